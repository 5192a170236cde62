"""The benchmark baselines do the same work as linparity (no timing is asserted)."""

import numpy as np
import pytest

from benchmarks import ntp_sgd, policy_gradient, sampling, system
from benchmarks._common import random_model
from linparity import ntp, task
from linparity import reference as ref


def test_numpy_baseline_computes_the_same_metrics_as_the_kernels():
    d = 8
    rng = np.random.default_rng(0)
    model = random_model(d, rng)
    x = task.draw_prompts(400, d, key=3)
    _, p_long, p_short = sampling.sample_and_score(
        np, ref.split(model.theta, d), x.astype(float), rng.random((400, d + 1))
    )
    stats = model.response_stats(x)
    np.testing.assert_allclose(p_long, stats[:, 0], rtol=1e-10)
    np.testing.assert_allclose(p_short, stats[:, 1], rtol=1e-10)


def test_torch_baseline_runs_algorithm3():
    torch = pytest.importorskip("torch")
    d = 3
    batch = task.draw_demonstrations(30, d, 0.5, key=4)
    lam = np.full(d + 1, 0.1)
    avg = ntp_sgd.torch_algorithm3(d, lam, *batch)
    want = ntp.Algorithm3(d, lam).partial_fit(*batch).model().theta
    np.testing.assert_allclose(torch.cat(avg).numpy(), want, rtol=1e-8, atol=1e-10)


def test_jax_sampling_baseline_equals_numpy_and_the_kernels():
    pytest.importorskip("jax")
    d = 8
    rng = np.random.default_rng(0)
    model = random_model(d, rng)
    x = task.draw_prompts(400, d, key=3).astype(float)
    u = rng.random((400, d + 1))
    blocks = ref.split(model.theta, d)
    y_np, _, _ = sampling.sample_and_score(np, blocks, x, u)
    stats = model.response_stats(x.astype(np.int8))
    for scorer in (sampling.jax_sample_and_score, sampling.jax_sample_and_score_go):
        y, p_long, p_short = scorer(blocks, x, u)
        np.testing.assert_array_equal(y, y_np)
        np.testing.assert_allclose(p_long, stats[:, 0], rtol=1e-10)
        np.testing.assert_allclose(p_short, stats[:, 1], rtol=1e-10)


def test_jax_baseline_computes_algorithm3():
    pytest.importorskip("jax")
    for d, p in ((3, 0.5), (8, 0.3)):
        batch = task.draw_demonstrations(200, d, p, key=4)
        lam = ntp.default_lambdas(d, 200, int(200 * p))
        want = ntp.Algorithm3(d, lam).partial_fit(*batch).model().theta
        for variant in ntp_sgd.JAX_VARIANTS:
            got = ntp_sgd.jax_algorithm3(d, lam, *batch, variant=variant)
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_benchmark_records_have_the_documented_fields():
    results = ntp_sgd.run((8,), quick=True)
    assert {r["impl"] for r in results} >= {"linparity", "numpy"}
    for r in results:
        assert {"benchmark", "impl", "d", "threads", "throughput", "unit"} <= set(r)
        assert r["throughput"] > 0
    assert system.ntp_flops_per_long_sample(2) == 6 * (2 + 3 + 3) + 6


def test_numpy_policy_gradient_baseline_equals_the_kernel():
    from linparity import rl

    d = 6
    rng = np.random.default_rng(1)
    model = random_model(d, rng)
    x = task.draw_prompts(300, d, key=3)
    y, lengths = model.generate(x, key=4)
    adv = rng.normal(size=300)
    want = rl.policy_gradient(model, x, y, lengths, adv)
    got = policy_gradient.numpy_gradient(ref.split(model.theta, d), x.astype(float), y.astype(float), lengths != 1, adv)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("chained", [False, True])
def test_access_pattern_kernel_equals_its_numpy_twin(chained):
    rng = np.random.default_rng(2)
    x = np.where(rng.random((50, 12)) < 0.5, -1, 1).astype(np.int8)
    lengths = np.array([5, 12, 7], dtype=np.int64)
    u = rng.normal(size=(3, 16))
    a = rng.normal(size=(3, 16))
    u0 = u.copy()
    u2, a2, sinks = u.copy(), a.copy(), np.zeros(3)
    system._access_pattern(u2, a2, x, lengths, sinks, chained=chained)
    want = system.access_pattern_numpy(u, a, x, lengths, chained=chained)
    np.testing.assert_allclose(sinks, want, rtol=1e-12)
    np.testing.assert_allclose(u2, u, rtol=1e-12)
    np.testing.assert_allclose(a2, a, rtol=1e-12)
    assert not np.array_equal(u2, u0)  # the updates happened


def test_independent_work_kernel_equals_its_numpy_twin():
    out = np.zeros(3, np.uint64)
    system._independent_work(3, 1000, out)
    assert np.array_equal(out, system.independent_work_numpy(3, 1000))


def test_interleaved_rounds_alternate_and_ratios_pair_them():
    from benchmarks import __main__ as bench
    from benchmarks._common import interleaved, interleaved_records

    calls = []
    impls = {"linparity@2": (lambda: calls.append("a"), 10), "jax": (lambda: calls.append("j"), 10)}
    measured = interleaved(impls, 3)
    assert calls == ["a", "j"] + ["a", "j"] * 3  # warm-up, then A B A B A B
    records = interleaved_records("sampling", 64, "prompts/s", measured)
    assert [(r["impl"], r["threads"]) for r in records] == [("linparity", 2), ("jax", None)]
    assert all(len(r["rounds"]) == 3 and r["protocol"] == "interleaved" for r in records)
    mine = dict(records[0], rounds=[3.0, 6.0, 9.0])
    peer = dict(records[1], rounds=[2.0, 2.0, 3.0], throughput=2.0)
    out = bench.ratios([mine, peer])
    assert out["sampling_d64_linparity_2t_vs_best_jax"] == 3.0  # rounds 1.5, 3, 3
    assert out["sampling_d64_linparity_2t_vs_best_jax_min"] == 1.5
    lines = bench.target_lines(out)
    assert any("sampling at d = 64" in line and "met in median only" in line for line in lines)


def test_flag_off_records_stay_out_of_the_peer_ratios():
    from benchmarks import __main__ as bench
    from benchmarks._common import record

    def rec(impl, throughput, rounds, **extra):
        return record("sampling", impl, 64, 2 if impl == "linparity" else None, throughput, "prompts/s",
                      rounds=rounds, protocol="interleaved", **extra)  # fmt: skip

    mine = rec("linparity", 6.0, [6.0, 6.0, 6.0])
    on = rec("jax", 2.0, [2.0, 2.0, 2.0], xla_small_loop_flag="on")
    off = rec("jax_flag_off", 10.0, [10.0, 10.0, 10.0], xla_small_loop_flag="off")  # faster, to be noticed
    out = bench.ratios([mine, on, off])
    assert out["sampling_d64_linparity_2t_vs_best_jax"] == 3.0  # against the flag-on record only
    assert out["sampling_d64_jax_flag_on_vs_off"] == 0.2
