"""STaR (docs/theory.md section 4): the kept set, the two modes, and the odds doubling."""

import numpy as np
import pytest

from linparity import ntp, rl, task
from linparity.simulate import SimulationConfig, run


@pytest.fixture(scope="module")
def pretrained():
    d, p = 8, 0.1
    return ntp.pretrain(d, p, 500_000, seed=0)


@pytest.mark.parametrize("reward", ["cot", "e2e"])
def test_kept_set_holds_exactly_the_rewarded_samples(pretrained, reward):
    model = pretrained.model()
    kept, counts = rl.sample_and_filter(model, 20_000, seed=1, round_index=1, reward=reward, chunk=3000)
    assert counts["samples"] == 20_000 and counts["kept"] == len(kept.lengths)
    assert np.all(task.reward(reward, *kept))
    # Same prompts and samples with one big chunk: the kept set does not depend on chunking.
    again, _ = rl.sample_and_filter(model, 20_000, seed=1, round_index=1, reward=reward)
    for a, b in zip(kept, again):
        assert np.array_equal(a, b)
    # Under r_cot every kept long answer is the correct chain.
    if reward == "cot":
        long = kept.lengths == 8
        assert np.array_equal(kept.y[long], task.prefix_parities(kept.x[long]))


def test_warm_round_continues_the_sgd_state(pretrained):
    import copy

    state = copy.deepcopy(pretrained)
    steps_before = state.steps.copy()
    kept, counts = rl.sample_and_filter(state.model(), 10_000, seed=2, round_index=1)
    state = rl.train_on_kept(kept, None, state=state)
    assert state.steps[0] == steps_before[0] + counts["kept"]
    assert np.all(state.average_start == steps_before)


def test_star_doubles_the_odds_of_long_answers():
    """The measured long fraction after each fresh round, d = 8, p = 0.05.

    Theorem 2 predicts odds x2 per round for a calibrated model; a per-round factor
    between 1.6 and 2.4 rules out both "no growth" and runaway growth while leaving
    room for the estimation error of each round (about 3% here).
    """
    result = run(
        SimulationConfig(d=8, p_long=0.05, rounds=4, target_accuracy=None, long_target=30_000, eval_prompts=20_000),
        show_progress=False,
    )
    p = [result["pretrain"]["p_long"]] + [r["p_long"] for r in result["rl"]]
    odds = np.array(p) / (1 - np.array(p))
    factors = odds[1:] / odds[:-1]
    assert np.all((factors > 1.6) & (factors < 2.4)), factors
    lengths = [result["pretrain"]["mean_length"]] + [r["mean_length"] for r in result["rl"]]
    assert np.all(np.diff(lengths) > 0)


def test_star_reaches_greedy_success_and_stops():
    result = run(
        SimulationConfig(d=8, p_long=0.2, rounds=8, long_target=20_000, eval_prompts=5000), show_progress=False
    )
    last = result["rl"][-1]
    assert last["greedy_accuracy"] >= 0.99 and last["greedy_length"] == pytest.approx(8)
    assert all(r["greedy_accuracy"] < 0.99 for r in result["rl"][:-1])
    assert result["pretrain"]["greedy_accuracy"] < 0.6


@pytest.mark.parametrize("warm", [False, True])
def test_streaming_round_equals_sample_then_train(pretrained, warm):
    import copy

    model = pretrained.model()
    lambdas = ntp.default_lambdas(8, 10_000, 500)
    kept, counts = rl.sample_and_filter(model, 30_000, seed=4, round_index=2, chunk=7000)
    base = copy.deepcopy(pretrained) if warm else None
    want = rl.train_on_kept(kept, lambdas, state=base)
    got, counts_stream = rl.star_round(
        model, 30_000, lambdas, seed=4, round_index=2, chunk=5000, state=copy.deepcopy(pretrained) if warm else None
    )
    assert counts_stream == counts
    assert np.array_equal(got.model().theta, want.model().theta)


def test_first_kept_long_is_the_number_of_the_first_prompt_with_a_kept_chain(pretrained):
    """Found by drawing the same prompts and responses unfused, whatever the chunking."""
    model = pretrained.model()
    n, seed, round_index = 3000, 5, 2
    x = task.draw_prompts(n, model.d, key=task.stream_key(seed, task.STREAM_RL_PROMPTS, round_index))
    y, lengths = model.generate(x, key=task.stream_key(seed, task.STREAM_RL_SAMPLES, round_index))
    hits = np.flatnonzero(task.reward("cot", x, y, lengths) & (lengths != 1))
    assert len(hits) > 3  # the tested answer is not the trivial first prompt
    for chunk in (1, 7, 1 << 16):
        _, counts = rl.sample_and_filter(model, n, seed=seed, round_index=round_index, chunk=chunk)
        assert counts["first_kept_long"] == hits[0] + 1, chunk
    # None when the round keeps no long answer: too few prompts to reach the first one
    _, counts = rl.sample_and_filter(model, int(hits[0]), seed=seed, round_index=round_index, chunk=7)
    assert counts["first_kept_long"] is None
