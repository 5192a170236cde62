"""Policy gradient (docs/theory.md section 4): grad log pi, the PG kernels and their twins, REINFORCE and GRPO."""

import itertools

import numba
import numpy as np
import pytest
from conftest import random_model, random_responses

from linparity import ntp, rl, task
from linparity import reference as ref
from linparity._kernels._rollout import _group_rollout, _rollout
from linparity.evaluate import evaluate
from linparity.model import LinearAR

KEY = 0x0DDB_A11_5EED


def _finite_difference(model, x, y, lengths, temperature, h=1e-6):
    """Central differences of the exact ln pi(y | x) (model.log_prob), one row at a time."""
    out = np.zeros((x.shape[0], model.theta.size))
    for k in range(model.theta.size):
        up, down = model.theta.copy(), model.theta.copy()
        up[k] += h
        down[k] -= h
        out[:, k] = (
            LinearAR(model.d, up).log_prob(x, y, lengths, temperature)
            - LinearAR(model.d, down).log_prob(x, y, lengths, temperature)
        ) / (2 * h)
    return out


@pytest.mark.parametrize("d", [2, 3, 6])
@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_grad_log_pi_matches_finite_differences(d, temperature, rng):
    model = random_model(d, rng)
    x = task.draw_prompts(8, d, key=KEY)
    y, lengths = random_responses(x, rng)
    assert set(lengths) == {1, d}, "exercise short and long responses"
    fd = _finite_difference(model, x, y, lengths, temperature)
    for i in range(len(x)):
        weights = np.zeros(len(x))
        weights[i] = 1.0
        got = rl.policy_gradient(model, x, y, lengths, weights, temperature)
        np.testing.assert_allclose(got, fd[i], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("d,n", [(2, 50), (5, 300), (9, 260)])
@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_pg_gradient_kernel_matches_reference(d, n, temperature, rng):
    """More rows than one chunk (linparity.tuning.PG_CHUNK), weights of both signs and zeros."""
    model = random_model(d, rng, scale=0.7)
    x = task.draw_prompts(n, d, key=KEY + d)
    y, lengths = random_responses(x, rng)
    weights = rng.normal(size=n) * (rng.random(n) < 0.8)
    got = rl.policy_gradient(model, x, y, lengths, weights, temperature)
    want = ref.pg_gradient(model.theta, d, x, y, lengths, weights, temperature)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def test_policy_gradient_is_the_gradient_of_the_expected_reward(rng):
    """Exact enumeration at d = 2: sum_y pi(y|x) r(x,y) grad ln pi(y|x) = grad E[r]."""
    d = 2
    model = random_model(d, rng)
    xs = np.array(list(itertools.product([-1, 1], repeat=d)), dtype=np.int8)
    rows = []
    for xi in xs:
        for v in (-1, 1):
            rows.append((xi, [v, 0], 1))
        for ys in itertools.product([-1, 1], repeat=d):
            rows.append((xi, list(ys), d))
    x = np.array([r[0] for r in rows], np.int8)
    y = np.array([r[1] for r in rows], np.int8)
    lengths = np.array([r[2] for r in rows], np.int64)
    for name in ("cot", "e2e"):
        reward = task.reward(name, x, y, lengths).astype(float)

        def expected_reward(theta):
            return np.sum(np.exp(LinearAR(d, theta).log_prob(x, y, lengths)) * reward)

        pg = rl.policy_gradient(model, x, y, lengths, np.exp(model.log_prob(x, y, lengths)) * reward)
        h = 1e-6
        fd = np.array(
            [
                (expected_reward(model.theta + h * e) - expected_reward(model.theta - h * e)) / (2 * h)
                for e in np.eye(model.theta.size)
            ]
        )
        np.testing.assert_allclose(pg, fd, atol=1e-8)


@pytest.mark.parametrize("group", [1, 4])
@pytest.mark.parametrize("name", ["cot", "e2e"])
def test_group_rollout_matches_reference(group, name, rng):
    d, n, start = 7, 120, 8
    model = random_model(d, rng, scale=0.8)
    x, y = np.empty((n, d), np.int8), np.empty((n, d), np.int8)
    lengths, rewarded = np.empty(n, np.int64), np.empty(n, np.bool_)
    _group_rollout(
        model.policy_params(),
        model.offsets,
        np.uint64(KEY),
        np.uint64(KEY + 1),
        start,
        group,
        1 / 1.5,
        name == "e2e",
        x,
        y,
        lengths,
        rewarded,
    )
    want = ref.group_rollout(model.theta, d, KEY, KEY + 1, start, group, n, 1.5, name == "e2e")
    for a, b in zip((x, y, lengths, rewarded), want):
        assert np.array_equal(a, b)
    assert all(np.array_equal(x[i], x[i - i % group]) for i in range(n))
    if group == 1:  # the STaR rollout is the group-of-one case
        x1, y1 = np.empty_like(x), np.empty_like(y)
        l1, r1 = np.empty_like(lengths), np.empty_like(rewarded)
        _rollout(
            model.policy_params(),
            model.offsets,
            np.uint64(KEY),
            np.uint64(KEY + 1),
            start,
            1 / 1.5,
            name == "e2e",
            x1,
            y1,
            l1,
            r1,
        )
        assert np.array_equal(x1, x) and np.array_equal(y1, y) and np.array_equal(r1, rewarded)


def test_advantages(rng):
    rewards = rng.random(48) < 0.4
    rewards[:8] = True  # one group with identical rewards
    got = rl.grpo_advantages(rewards, 8, 1e-6)
    np.testing.assert_allclose(got, ref.grpo_advantages(rewards, 8, 1e-6), rtol=1e-12, atol=1e-15)
    assert np.all(got[:8] == 0.0)
    np.testing.assert_allclose(got.reshape(-1, 8).sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(rl.reinforce_advantages(rewards, "mean"), rewards - rewards.mean())
    np.testing.assert_array_equal(rl.reinforce_advantages(rewards, "none"), rewards.astype(float))
    with pytest.raises(ValueError):
        rl.grpo_advantages(rewards[:10], 8)
    with pytest.raises(ValueError):
        rl.reinforce_advantages(rewards, "median")


@pytest.mark.parametrize("algorithm,group", [("reinforce", 1), ("grpo", 4)])
def test_step_is_the_documented_update(algorithm, group, rng):
    """Two steps against the reference: rollouts, advantages, mean gradient, anchor."""
    d, batch, lr, anchor = 5, 40, 0.3, 0.2
    model = random_model(d, rng, scale=0.5)
    pg = rl.PolicyGradient(
        model,
        algorithm,
        seed=3,
        lr=lr,
        batch_size=batch,
        group_size=group,
        reward="e2e",
        temperature=1.3,
        anchor=anchor,
    )
    theta = model.theta.copy()
    for step in (1, 2):
        key_x = rl.stream_key(3, rl.STREAM_PG_PROMPTS, step)
        key_y = rl.stream_key(3, rl.STREAM_PG_SAMPLES, step)
        x, y, lengths, rewards = ref.group_rollout(theta, d, key_x, key_y, 0, group, batch * group, 1.3, True)
        if algorithm == "grpo":
            adv = ref.grpo_advantages(rewards, group, 1e-6)
        else:
            adv = rewards - rewards.mean()
        grad = ref.pg_gradient(theta, d, x, y, lengths, adv, 1.3) / len(adv)
        theta = model.theta + (theta + lr * grad - model.theta) / (1 + lr * anchor)
        counts = pg.step()
        np.testing.assert_allclose(pg.model.theta, theta, rtol=1e-9, atol=1e-12)
        assert counts["samples"] == batch * group and counts["kept"] == int(rewards.sum())
        assert counts["kept_long_wrong"] == int(np.sum(rewards & (lengths == d) & ~ref.reward_cot(x, y, lengths)))
    assert np.array_equal(model.theta, pg.theta_0), "the starting model is not modified"


def test_pg_steps_do_not_depend_on_thread_count(rng):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    d = 12
    model = random_model(d, rng, scale=0.4)
    results = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            thetas = []
            for algorithm, group in (("reinforce", 1), ("grpo", 8)):
                pg = rl.PolicyGradient(
                    model, algorithm, seed=5, lr=0.5, batch_size=700 // group, group_size=group, reward="cot"
                )
                for _ in range(3):
                    pg.step()
                thetas.append(pg.model.theta.copy())
            results.append(thetas)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_bad_arguments_are_rejected(rng):
    model = random_model(3, rng)
    for kwargs in (
        {"algorithm": "ppo"},
        {"reward": "length"},
        {"lr": 0.0},
        {"batch_size": 0},
        {"group_size": 2},
        {"temperature": -1.0},
        {"anchor": -0.1},
        {"baseline": "median"},
    ):
        args = {"algorithm": "reinforce", "seed": 0, "lr": 0.1, "batch_size": 4, **kwargs}
        with pytest.raises(ValueError):
            rl.PolicyGradient(model, **args)
    x = task.draw_prompts(3, 3, key=KEY)
    y, lengths = random_responses(x, rng)
    with pytest.raises(ValueError):
        rl.policy_gradient(model, x, y, lengths, np.ones(2))


@pytest.fixture(scope="module")
def pretrained_d8():
    return ntp.pretrain(8, 0.2, 300_000, seed=0).model()


@pytest.mark.parametrize("algorithm,group", [("reinforce", 1), ("grpo", 8)])
def test_pg_with_r_cot_lengthens_and_reaches_greedy_success(pretrained_d8, algorithm, group):
    """d = 8, p_long = 0.2 < 1/3: greedy starts at a coin flip of length 1."""
    x_eval = task.draw_prompts(4000, 8, key=KEY)
    before = evaluate(pretrained_d8, x_eval)
    assert before["greedy_accuracy"] < 0.6 and before["greedy_length"] < 1.5
    pg = rl.PolicyGradient(pretrained_d8, algorithm, seed=1, lr=1.0, batch_size=512 // group, group_size=group)
    for _ in range(30):
        pg.step()
    after = evaluate(pg.model, x_eval)
    assert after["greedy_accuracy"] >= 0.99 and after["greedy_length"] == 8
    assert after["mean_length"] > before["mean_length"] + 2 and after["p_long"] > 2 * before["p_long"]
