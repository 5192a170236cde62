"""The linear autoregressive model (docs/theory.md section 2): probabilities and decoding."""

import itertools

import numpy as np
import pytest
from conftest import random_model

from linparity import layout, task, tuning
from linparity import reference as ref
from linparity.layout import position_offsets
from linparity.model import LinearAR


def all_responses(d):
    """Every response the model can produce: 2 short ones and 2^d long ones."""
    ys = [[v] + [0] * (d - 1) for v in (-1, 1)]
    ys += [list(t) for t in itertools.product((-1, 1), repeat=d)]
    lengths = [1, 1] + [d] * 2**d
    return np.array(ys, dtype=np.int8), np.array(lengths)


def test_layout_sizes():
    d = 5
    sizes = np.diff(position_offsets(d))
    assert list(sizes) == [d, 2 * d + 2] + [2 * d + l - 1 for l in range(2, d + 1)]


def test_policy_layout_holds_the_u_parts(rng):
    d = 5
    theta = rng.normal(size=int(position_offsets(d)[-1]))
    blocks = ref.split(theta, d)
    params = layout.to_policy_layout(theta, d)
    got = ref.split(params, d)
    assert np.array_equal(got[0], blocks[0])
    for k in range(1, d + 1):
        m = 1 if k == 1 else k - 1
        w_x, w_y, w_lx = blocks[k][:d], blocks[k][d : d + m], blocks[k][d + m : 2 * d + m]
        np.testing.assert_array_equal(got[k][:d], w_x + w_lx)
        np.testing.assert_array_equal(got[k][d : d + m], w_y)
        np.testing.assert_array_equal(got[k][d + m : 2 * d + m], w_x - w_lx)
        np.testing.assert_array_equal(got[k][2 * d + m :], blocks[k][2 * d + m :])  # the 2a bias
    # The gradient's way back is the chain rule: <g_theta, dtheta> = <g_policy, dparams>.
    g = rng.normal(size=theta.size)
    dtheta = rng.normal(size=theta.size)
    dparams = layout.to_policy_layout(dtheta, d)
    assert np.dot(layout.gradient_to_theta_layout(g.copy(), d), dtheta) == pytest.approx(np.dot(g, dparams))


def test_ntp_state_layout_is_padded_and_converts_back(rng):
    d = 6
    state = layout.NTPStateLayout(d)
    sizes = np.diff(position_offsets(d))
    room = np.diff(state.offsets)
    assert np.all(room % tuning.NTP_PAD == 0) and np.all(room >= sizes + tuning.NTP_GAP)
    assert len(set(state.order)) == sizes.sum()
    start = state.offsets[:-1].repeat(sizes)  # every entry stays inside its block
    assert np.all((state.order >= start) & (state.order < start + sizes.repeat(sizes)))
    zeros = state.zeros()
    assert zeros.ctypes.data % (8 * tuning.NTP_PAD) == 0 and not zeros.any()
    # Sums over x and last * x parts, stored as u+- = g_x +- g_lx, come back as they were.
    g = rng.normal(size=int(position_offsets(d)[-1]))
    stored = np.zeros(int(state.offsets[-1]))
    stored[state.order] = layout.to_policy_layout(g, d)
    np.testing.assert_allclose(state.to_theta_layout(stored), g, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_probabilities_of_all_responses_sum_to_one(temperature, rng):
    d = 4
    model = random_model(d, rng)
    y, lengths = all_responses(d)
    for xi in task.draw_prompts(5, d, key=1):
        x = np.repeat(xi[None], len(lengths), axis=0)
        total = np.exp(model.log_prob(x, y, lengths, temperature)).sum()
        assert total == pytest.approx(1.0, abs=1e-12)


def test_exact_probabilities_match_monte_carlo(rng):
    d = 3
    model = random_model(d, rng, scale=0.7)
    xi = task.draw_prompts(1, d, key=2)[0]
    n = 200_000
    x = np.repeat(xi[None], n, axis=0)
    y, lengths = model.generate(x, key=3)
    ys, ls = all_responses(d)
    exact = np.exp(model.log_prob(np.repeat(xi[None], len(ls), axis=0), ys, ls))
    for response, length, p in zip(ys, ls, exact):
        freq = np.mean((lengths == length) & np.all(y == response, axis=1))
        assert abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-4


def test_response_stats_agree_with_log_prob_of_the_correct_answers(rng):
    d = 6
    model = random_model(d, rng, scale=0.4)
    x = task.draw_prompts(30, d, key=4)
    chain = task.prefix_parities(x)
    short = np.zeros_like(chain)
    short[:, 0] = chain[:, -1]
    stats = model.response_stats(x)
    np.testing.assert_allclose(stats[:, 0], np.exp(model.log_prob(x, chain, np.full(30, d))), rtol=1e-10)
    np.testing.assert_allclose(stats[:, 1], np.exp(model.log_prob(x, short, np.ones(30, int))), rtol=1e-10)
    # P(go on) is one minus the probability of the two short responses.
    minus = -short
    minus[:, 0] = -chain[:, -1]
    p_short_any = np.exp(model.log_prob(x, short, np.ones(30, int))) + np.exp(
        model.log_prob(x, minus, np.ones(30, int))
    )
    np.testing.assert_allclose(stats[:, 2], 1 - p_short_any, rtol=1e-10)


def test_greedy_takes_the_most_likely_token_at_every_step(rng):
    d = 5
    model = random_model(d, rng)
    x = task.draw_prompts(200, d, key=5)
    y, lengths = model.greedy(x)
    blocks = ref.split(model.theta, d)
    for xi, yi, n in zip(x, y, lengths):
        prefix = list(yi[:n])
        # Every token of the greedy path has probability >= 1/2 given its prefix,
        # the stop/go decision included (+1 = EOS at 2a).
        assert prefix[0] * ref.logit(blocks, xi, [], 1) >= 0
        stop = 1 if n == 1 else -1
        assert stop * ref.logit(blocks, xi, prefix, "2a") >= 0
        for l in range(2, n + 1):
            assert prefix[l - 1] * ref.logit(blocks, xi, prefix, l) >= 0
    # Sampling at a vanishing temperature is greedy decoding.
    y_cold, lengths_cold = model.generate(x, key=6, temperature=1e-6)
    assert np.array_equal(y_cold, y) and np.array_equal(lengths_cold, lengths)


def test_zero_model_is_uniform_and_greedy_ties_go_to_eos():
    d = 4
    model = LinearAR(d)
    x = task.draw_prompts(10, d, key=7)
    y, lengths = model.greedy(x)
    assert np.all(lengths == 1) and np.all(y[:, 0] == 1)
    stats = model.response_stats(x)
    np.testing.assert_allclose(stats[:, 0], 0.5 ** (d + 1))
    np.testing.assert_allclose(stats[:, 1], 0.25)
    np.testing.assert_allclose(stats[:, 2], 0.5)


def test_bad_model_input():
    with pytest.raises(ValueError):
        LinearAR(1)
    with pytest.raises(ValueError):
        LinearAR(3, np.zeros(4))
    model = LinearAR(3)
    with pytest.raises(ValueError):
        model.generate(np.zeros((2, 3)), key=0)
    with pytest.raises(ValueError):
        model.generate(np.ones((2, 4)), key=0)
    with pytest.raises(ValueError):
        model.generate(np.ones((2, 3)), key=0, temperature=0)
