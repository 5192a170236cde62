"""Pre-training by Algorithm 3 (docs/theory.md section 3) against the population optimum.

The expected values here (Lemma 1's weight, the 2a posteriors, the long fraction)
are computed directly from the task's definition; the tolerances are explained
next to each assertion.
"""

import numpy as np
import pytest

from linparity import ntp, task
from linparity import reference as ref
from linparity.evaluate import evaluate


def test_lemma1_position1_converges_to_the_population_optimum():
    d, p = 3, 0.4
    lambdas = ntp.position_lambdas(d, 1e-3, 1e-3, 1e-3)
    model = ntp.pretrain(d, p, 400_000, seed=1, lambdas=lambdas).model()
    target = np.log((1 + p) / (1 - p))  # 0.847
    # lambda = 1e-3 shrinks the optimum by about lambda / sigma'(w*) = 0.5%, and the
    # averaged SGD iterate after 4e5 samples is within ~0.01; 0.03 leaves room for both.
    assert model.w1[0] == pytest.approx(target, abs=0.03)
    assert np.max(np.abs(model.w1[1:])) < 0.03


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_position_2a_learns_the_bayes_posteriors(p):
    d = 4
    model = ntp.pretrain(d, p, 300_000, seed=2).model()
    blocks = ref.split(model.theta, d)
    x = task.draw_prompts(2000, d, key=9)
    eos_after_copy = np.mean([ref.sigmoid(ref.logit(blocks, xi, [xi[0]], "2a")) for xi in x])
    eos_after_flip = np.mean([ref.sigmoid(ref.logit(blocks, xi, [-xi[0]], "2a")) for xi in x])
    # Bayes on D(p): P(EOS | y_1 = x_1) = (1 - p) / (1 + p); after y_1 != x_1 the sample
    # must be short. The regularisation keeps the second below 1 and biases the first
    # towards 1/2 by O(lambda_2a) ~ 0.01 here; 0.03 covers that plus sampling noise.
    assert eos_after_copy == pytest.approx((1 - p) / (1 + p), abs=0.03)
    assert eos_after_flip > 0.95


@pytest.mark.parametrize("p,greedy_long", [(0.1, False), (0.25, False), (0.45, True)])
def test_pretraining_is_calibrated_and_greedy_follows_the_one_third_rule(p, greedy_long):
    d = 8
    state = ntp.pretrain(d, p, ntp.default_pretrain_samples(p), seed=3)
    metrics = evaluate(state.model(), task.draw_prompts(5000, d, key=11))
    # A calibrated model gives the correct long answer with probability p; the
    # acceptance band of the project is +-30%, at d = 8 the defaults do far better.
    assert metrics["p_long"] == pytest.approx(p, rel=0.1)
    assert metrics["p_short_correct"] == pytest.approx((1 - p) / 2, abs=0.02)
    if greedy_long:
        assert metrics["greedy_accuracy"] > 0.95 and metrics["greedy_length"] == pytest.approx(d, abs=0.1)
    else:
        assert metrics["greedy_accuracy"] < 0.6 and metrics["greedy_length"] == pytest.approx(1, abs=0.1)


def test_chain_positions_learn_only_from_long_samples():
    d = 5
    state = ntp.Algorithm3(d, ntp.default_lambdas(d, 1000, 0))
    state.partial_fit(*task.draw_demonstrations(1000, d, 0.0, key=4))
    assert state.samples == 1000 and state.long_samples == 0
    model = state.model()
    for l in range(2, d + 1):
        assert not model.chain_weights(l).any()


def test_default_lambdas_are_in_range_and_shrink_with_data():
    small = ntp.default_lambdas(16, 10_000, 1_000)
    large = ntp.default_lambdas(16, 1_000_000, 100_000)
    assert small.shape == (17,)
    assert np.all((small >= ntp.LAMBDA_MIN) & (small <= ntp.LAMBDA_MAX))
    assert np.all(large <= small) and np.any(large < small)


def test_bad_training_input():
    with pytest.raises(ValueError):
        ntp.pretrain(1, 0.5, 10, seed=0)
    with pytest.raises(ValueError):
        ntp.pretrain(4, -0.1, 10, seed=0)
    with pytest.raises(ValueError):
        ntp.pretrain(4, 0.5, -10, seed=0)
    with pytest.raises(ValueError):
        ntp.Algorithm3(4, np.zeros(5))
    with pytest.raises(ValueError):
        ntp.position_lambdas(4, 0.1, -1, 0.1)
