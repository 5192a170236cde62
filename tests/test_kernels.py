"""Every numba kernel against its slow plain-numpy twin in linparity/reference.py."""

import os

import numba
import numpy as np
import pytest
from conftest import random_model, random_responses
from hypothesis import given, settings
from hypothesis import strategies as st

from linparity import ntp, task
from linparity import reference as ref
from linparity.model import LinearAR

KEY = 0x1234_5678_9ABC_DEF0


@pytest.mark.parametrize("d", [2, 5, 64, 70])
def test_draw_prompts_matches_reference(d):
    x = task.draw_prompts(40, d, key=KEY, start=7)
    assert np.array_equal(x, ref.draw_prompts(KEY, 7, 40, d))


@pytest.mark.parametrize("d,p_long", [(2, 0.5), (6, 0.3), (65, 0.7), (8, 0.0), (8, 1.0)])
def test_draw_demonstrations_matches_reference(d, p_long):
    got = task.draw_demonstrations(60, d, p_long, key=KEY, start=3)
    want = ref.draw_demonstrations(KEY, 3, p_long, 60, d)
    for a, b in zip(got, want):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("d", [2, 3, 7])
@pytest.mark.parametrize("temperature", [1.0, 0.5, 3.0])
def test_generate_matches_reference(d, temperature, rng):
    model = random_model(d, rng)
    x = task.draw_prompts(50, d, key=KEY)
    y, lengths = model.generate(x, key=KEY + 1, start=11, temperature=temperature)
    y_ref, lengths_ref = ref.decode(model.theta, d, x, temperature, key=KEY + 1, start=11)
    assert np.array_equal(lengths, lengths_ref)
    assert np.array_equal(y, y_ref)
    assert set(np.unique(lengths)) <= {1, d}


@pytest.mark.parametrize("d", [2, 4, 9])
def test_greedy_matches_reference(d, rng):
    model = random_model(d, rng)
    x = task.draw_prompts(60, d, key=KEY)
    y, lengths = model.greedy(x)
    y_ref, lengths_ref = ref.decode(model.theta, d, x, greedy=True)
    assert np.array_equal(y, y_ref) and np.array_equal(lengths, lengths_ref)


@pytest.mark.parametrize("d", [2, 5, 12])
@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_log_prob_matches_reference(d, temperature, rng):
    model = random_model(d, rng)
    x = task.draw_prompts(40, d, key=KEY)
    y, lengths = random_responses(x, rng)
    np.testing.assert_allclose(
        model.log_prob(x, y, lengths, temperature), ref.log_prob(model.theta, d, x, y, lengths, temperature), rtol=1e-10
    )


@pytest.mark.parametrize("d", [2, 5, 12])
def test_response_stats_match_reference(d, rng):
    model = random_model(d, rng, scale=0.5)
    x = task.draw_prompts(40, d, key=KEY)
    np.testing.assert_allclose(model.response_stats(x), ref.response_stats(model.theta, d, x), rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("name", ["cot", "e2e"])
def test_rewards_match_reference(name, rng):
    d = 5
    x = task.draw_prompts(300, d, key=KEY)
    y, lengths = random_responses(x, rng)
    # Make a good share of the responses correct so both outcomes are exercised.
    chain = task.prefix_parities(x)
    fix = rng.random(300) < 0.5
    y[fix & (lengths == d)] = chain[fix & (lengths == d)]
    y[fix & (lengths == 1), 0] = chain[fix & (lengths == 1), -1]
    got = task.reward(name, x, y, lengths)
    want = getattr(ref, f"reward_{name}")(x, y, lengths)
    assert np.array_equal(got, want)
    assert 0 < got.sum() < 300


def _training_set(d, n, p_long, rng, correct=True):
    batch = task.draw_demonstrations(n, d, p_long, key=int(rng.integers(2**63)))
    if correct:
        return batch
    y, lengths = random_responses(batch.x, rng, p_long)  # noisy labels: non-separable chains
    return task.Batch(batch.x, y, lengths)


@pytest.mark.parametrize("d,p_long,correct", [(2, 0.5, True), (4, 0.3, True), (6, 0.6, False)])
def test_algorithm3_matches_reference(d, p_long, correct, rng):
    batch = _training_set(d, 400, p_long, rng, correct)
    lambdas = rng.uniform(1e-3, 0.5, size=d + 1)
    state = ntp.Algorithm3(d, lambdas).partial_fit(*batch)
    np.testing.assert_allclose(state.model().theta, ref.algorithm3(d, lambdas, *batch), rtol=1e-9, atol=1e-9)


def test_algorithm3_horizons_match_reference(rng):
    d = 4
    batch = _training_set(d, 300, 0.5, rng)
    lambdas = np.full(d + 1, 0.05)
    horizons = np.array([120, 250, 30, 60, 1000])
    state = ntp.Algorithm3(d, lambdas, horizons).partial_fit(*batch)
    np.testing.assert_allclose(
        state.model().theta, ref.algorithm3(d, lambdas, *batch, horizons=horizons), rtol=1e-9, atol=1e-9
    )
    assert list(state.steps[:2]) == [120, 250] and state.steps[2] == 30


def test_algorithm3_restarted_average_matches_reference(rng):
    """Warm STaR rounds average only the iterates after the restart."""
    d = 3
    batch = _training_set(d, 500, 0.5, rng)
    lambdas = np.full(d + 1, 0.02)
    state = ntp.Algorithm3(d, lambdas)
    state.partial_fit(*(a[:200] for a in batch))
    state.restart_average()
    state.partial_fit(*(a[200:] for a in batch))
    np.testing.assert_allclose(
        state.model().theta, ref.algorithm3(d, lambdas, *batch, average_from=200), rtol=1e-8, atol=1e-9
    )


@settings(max_examples=20, deadline=None)
@given(split=st.integers(0, 300), seed=st.integers(0, 2**32 - 1))
def test_algorithm3_does_not_depend_on_batching(split, seed):
    d = 5
    batch = task.draw_demonstrations(300, d, 0.4, key=seed)
    lambdas = np.full(d + 1, 1e-2)
    whole = ntp.Algorithm3(d, lambdas).partial_fit(*batch).model().theta
    parts = ntp.Algorithm3(d, lambdas)
    parts.partial_fit(*(a[:split] for a in batch)).partial_fit(*(a[split:] for a in batch))
    assert np.array_equal(whole, parts.model().theta)


def test_parallel_kernels_do_not_depend_on_thread_count(rng):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    d = 16
    model = random_model(d, rng, 0.3)
    batch = task.draw_demonstrations(5000, d, 0.5, key=KEY)
    results = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            theta = ntp.Algorithm3(d, np.full(d + 1, 1e-3)).partial_fit(*batch).model().theta
            sampled = model.generate(batch.x, key=KEY)
            results.append(
                (
                    theta,
                    *sampled,
                    model.response_stats(batch.x),
                    model.log_prob(batch.x, batch.y, batch.lengths),
                    task.reward_cot(batch.x, *sampled),
                )
            )
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_logistic_pieces_stay_finite_for_huge_logits():
    d = 3
    model = LinearAR(d, np.full(int(LinearAR(d).offsets[-1]), 5e3))
    x = np.ones((2, d), dtype=np.int8)
    x[1] = -1
    y, lengths = model.generate(x, key=KEY)
    assert np.all(np.isfinite(model.log_prob(x, y, lengths)))
    assert np.all(np.isfinite(model.response_stats(x)))


@pytest.mark.parametrize("name", ["cot", "e2e"])
@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_fused_rollout_equals_draw_generate_reward(name, temperature, rng):
    from linparity._kernels._rollout import _rollout

    d, n = 6, 300
    model = random_model(d, rng, scale=0.8)
    x, y = np.empty((n, d), np.int8), np.empty((n, d), np.int8)
    lengths, rewarded = np.empty(n, np.int64), np.empty(n, np.bool_)
    _rollout(
        model.policy_params(),
        model.offsets,
        np.uint64(KEY),
        np.uint64(KEY + 5),
        17,
        1 / temperature,
        name == "e2e",
        x,
        y,
        lengths,
        rewarded,
    )
    x_ref = ref.draw_prompts(KEY, 17, n, d)
    y_ref, lengths_ref = ref.decode(model.theta, d, x_ref, temperature, key=KEY + 5, start=17)
    assert np.array_equal(x, x_ref) and np.array_equal(y, y_ref) and np.array_equal(lengths, lengths_ref)
    assert np.array_equal(rewarded, getattr(ref, f"reward_{name}")(x_ref, y_ref, lengths_ref))


def test_compact_rows_equals_boolean_indexing(rng):
    from linparity._kernels._rollout import _compact_rows

    x = rng.choice(np.array([-1, 1], np.int8), size=(200, 7))
    y = rng.choice(np.array([-1, 0, 1], np.int8), size=(200, 7))
    lengths = rng.integers(1, 8, size=200)
    keep = rng.random(200) < 0.4
    n = int(keep.sum())
    out = (np.empty((n, 7), np.int8), np.empty((n, 7), np.int8), np.empty(n, np.int64))
    _compact_rows(x, y, lengths, keep, *out)
    for got, want in zip(out, (x[keep], y[keep], lengths[keep])):
        assert np.array_equal(got, want)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
# With the bench extra, JAX (imported by the benchmark tests) warns at any fork; the
# child here runs numba kernels only, never JAX.
@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning")
def test_a_forked_child_runs_kernels_on_threads_of_its_own():
    # The child inherits the parent's thread pool but not its threads; without the
    # at-fork reset in linparity.threads its first threaded kernel waits forever.
    import time

    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    x = task.draw_prompts(5000, 16, key=1)  # the parent's pool now exists
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if np.array_equal(task.draw_prompts(5000, 16, key=1), x) else 3)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child's kernel did not finish in 60 s")
