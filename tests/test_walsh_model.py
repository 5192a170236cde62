"""A Walsh position 1 (docs/theory.md section 3.12): its kernel and evaluation against the numpy twins."""

import numpy as np
import pytest
from conftest import random_model, random_responses

from linparity import ntp, task
from linparity import reference as ref
from linparity.evaluate import evaluate
from linparity.walsh import WALSH_MAX_D, WalshAR, check_walsh_d, prompt_index, walsh_table

KEY = 0x5EED_0F_3A15


def _walsh_model(d, rng, scale=1.0):
    linear = random_model(d, rng, scale)
    theta = linear.theta.copy()
    theta[:d] = 0.0
    return WalshAR(d, theta, rng.normal(scale=scale, size=1 << d))


@pytest.mark.parametrize("d", [2, 3, 6])
def test_monomial_logits_match_reference(d, rng):
    w = rng.normal(size=1 << d)
    x = task.draw_prompts(50, d, key=KEY)
    model = WalshAR(d, walsh=w)
    np.testing.assert_allclose(model.position1_logits(x), ref.walsh_logits(w, x), rtol=1e-12, atol=1e-12)


def test_the_table_holds_every_prompt_once():
    d = 5
    x = np.array([[1 - 2 * ((b >> k) & 1) for k in range(d)] for b in range(1 << d)], dtype=np.int8)
    assert np.array_equal(prompt_index(x), np.arange(1 << d))
    # a one-hot weight on S gives the monomial x_S itself at every prompt
    s = 0b10110
    e = np.zeros(1 << d)
    e[s] = 1.0
    assert np.array_equal(walsh_table(e), np.prod(np.where([(s >> k) & 1 for k in range(d)], x, 1), axis=1))


@pytest.mark.parametrize("d,p_long,correct", [(2, 0.5, True), (4, 0.0, True), (5, 0.3, False), (7, 0.1, True)])
def test_walsh_algorithm3_matches_reference(d, p_long, correct, rng):
    batch = task.draw_demonstrations(300, d, p_long, key=int(rng.integers(2**63)))
    if not correct:
        y, lengths = random_responses(batch.x, rng, p_long)
        batch = task.Batch(batch.x, y, lengths)
    lambdas = rng.uniform(1e-3, 0.5, size=d + 1)
    state = ntp.Algorithm3(d, lambdas, position1="walsh").partial_fit(*batch)
    model = state.model()
    np.testing.assert_allclose(model.walsh, ref.walsh_position1(d, lambdas[0], batch.x, batch.y), rtol=1e-9, atol=1e-9)
    # the other positions are Algorithm 3's, untouched; the linear position-1 block stays zero
    want = ref.algorithm3(d, lambdas, *batch)
    np.testing.assert_allclose(model.theta[d:], want[d:], rtol=1e-9, atol=1e-9)
    assert not model.w1.any() and state.samples == 300


def test_walsh_horizon_and_restarted_average_match_reference(rng):
    d = 4
    batch = task.draw_demonstrations(400, d, 0.2, key=KEY)
    lambdas = np.full(d + 1, 0.03)
    horizons = np.array([250] + [10**9] * d)
    state = ntp.Algorithm3(d, lambdas, horizons, position1="walsh")
    state.partial_fit(*(a[:150] for a in batch))
    state.restart_average()
    state.partial_fit(*(a[150:] for a in batch))
    want = ref.walsh_position1(d, 0.03, batch.x, batch.y, horizon=250, average_from=150)
    np.testing.assert_allclose(state.model().walsh, want, rtol=1e-8, atol=1e-9)
    assert state.steps[0] == 250


@pytest.mark.parametrize("d", [2, 5])
def test_decoding_and_scoring_with_walsh_logits_match_reference(d, rng):
    model = _walsh_model(d, rng)
    x = task.draw_prompts(60, d, key=KEY)
    first = ref.walsh_logits(model.walsh, x)
    y, lengths = model.generate(x, key=KEY + 1, start=3)
    y_ref, lengths_ref = ref.decode(model.theta, d, x, key=KEY + 1, start=3, first=first)
    assert np.array_equal(y, y_ref) and np.array_equal(lengths, lengths_ref)
    y, lengths = model.greedy(x)
    y_ref, lengths_ref = ref.decode(model.theta, d, x, greedy=True, first=first)
    assert np.array_equal(y, y_ref) and np.array_equal(lengths, lengths_ref)
    np.testing.assert_allclose(
        model.log_prob(x, y, lengths), ref.log_prob(model.theta, d, x, y, lengths, first=first), rtol=1e-10
    )
    np.testing.assert_allclose(model.response_stats(x), ref.response_stats(model.theta, d, x, first), rtol=1e-10)


def test_a_walsh_position1_learns_the_parity_that_a_linear_one_cannot():
    """At p_long = 0 NTP alone: the linear model stays at chance, the Walsh one does not."""
    d = 6
    x_eval = task.draw_prompts(2000, d, key=KEY)
    walsh = evaluate(ntp.pretrain(d, 0.0, 2000, seed=1, position1="walsh").model(), x_eval)
    linear = evaluate(ntp.pretrain(d, 0.0, 2000, seed=1).model(), x_eval)
    assert walsh["greedy_accuracy"] == 1.0
    assert abs(linear["greedy_accuracy"] - 0.5) < 0.05


def test_walsh_limits():
    assert check_walsh_d(WALSH_MAX_D) == WALSH_MAX_D
    with pytest.raises(ValueError, match="d <= 20"):
        check_walsh_d(WALSH_MAX_D + 1)
    with pytest.raises(ValueError, match="must be zero"):
        WalshAR(3, np.ones(int(random_model(3, np.random.default_rng(0)).theta.size)))
    with pytest.raises(ValueError, match="8 finite weights"):
        WalshAR(3, walsh=np.ones(7))


def test_a_prompt_training_never_saw_has_logit_zero_and_greedy_ties_to_plus_one():
    """Orthogonal monomials: an unseen prompt's logit is exactly 0, not rounding noise of either sign."""
    d = 10
    n = 2 << d
    batch = task.draw_demonstrations(n, d, 0.0, key=KEY)
    state = ntp.Algorithm3(d, np.full(d + 1, 0.1), position1="walsh").partial_fit(*batch)
    model = state.model()
    every = np.array([[1 - 2 * ((b >> k) & 1) for k in range(d)] for b in range(1 << d)], dtype=np.int8)
    seen = np.zeros(1 << d, bool)
    seen[prompt_index(batch.x)] = True
    logits = model.position1_logits(every)
    assert 0 < (~seen).sum() and np.all(logits[~seen] == 0.0)
    assert np.all(np.sign(logits[seen]) == every[seen].prod(axis=1))  # p_long = 0: the parity, from one visit
    y, _ = model.greedy(every[~seen])
    assert np.all(y[:, 0] == 1)
    # without the rounding rule the same logits are nonzero: the test sees what it guards
    raw = walsh_table(model.walsh)[prompt_index(every)]
    assert np.any(raw[~seen] != 0.0) and np.abs(raw[~seen]).max() < 1e-9


def test_rl_refuses_a_walsh_model_rather_than_training_it_as_linear():
    from linparity import rl

    model = WalshAR(4)
    with pytest.raises(ValueError, match="linear position 1 only"):
        rl.star_round(model, 100, np.full(5, 0.1), seed=0, round_index=1)
    with pytest.raises(ValueError, match="linear position 1 only"):
        rl.PolicyGradient(model, "grpo", seed=0, lr=1.0, batch_size=8, group_size=2)
    x = task.draw_prompts(4, 4, key=KEY)
    with pytest.raises(ValueError, match="linear position 1 only"):
        rl.policy_gradient(model, x, *model.greedy(x), np.ones(4))
