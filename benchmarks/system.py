"""Whole-run and machine-level benchmarks: the headline command, the roofline, scaling.

* ``headline``: ``python -m linparity.simulate --d 64 --p-long 0.01`` in a fresh
  process, with a cold numba cache (compilation included) and warm.
* ``roofline``: the NTP kernel's achieved GFLOP/s, from the operation count below,
  against numpy's float64 matmul measured in the same run, and against the same
  loads and stores without SGD's dependencies (:func:`_access_pattern`): the most
  this way of updating one sample at a time could reach on the machine; and against
  the same with SGD's chain from dot to exponential to update put back (``chained``).
* ``scaling``: cost per long sample against d (fitted exponent), and 1 versus 2
  threads for the threaded kernels, measured in alternation (see :func:`_interleaved`).
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np
from numba import njit

from linparity import ntp, task
from linparity.layout import position_offsets
from linparity.model import LinearAR
from linparity.threads import run_items
from linparity.tuning import FAST, NTP_GAP

from ._common import ROOT, best_time, interleaved, record, summarise

HEADLINE = ["--d", "64", "--p-long", "0.01"]


def ntp_flops_per_long_sample(d):
    """Useful flops of one long-sample update in the NTP state layout (_kernels/_ntp.py).

    A block over m output tokens reads d + m weights once for the logit (2 flops each)
    and updates two running sums over the same d + m coordinates (4 flops each);
    position 1 has m = 0 and 2a adds its bias. Exponentials and divisions are not
    counted.
    """
    return 6 * int(block_lengths(d).sum()) + 6


def block_lengths(d):
    """Coordinates per NTP block at ``d``: position 1, position 2a, chain positions 2..d."""
    return np.array([d, d + 1] + [d + l - 1 for l in range(2, d + 1)], dtype=np.int64)


def _headline_once(cache_dir, profile=False):
    """One headline run in a fresh process with numba's cache in ``cache_dir``: (wall, run seconds, profile)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        module = "benchmarks._compile_profile" if profile else "linparity.simulate"
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", module, *HEADLINE, "--quiet", "--json", out],
            check=True, cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        wall = time.perf_counter() - start
        with open(out) as f:
            inner = json.load(f)["wall_seconds"]
        return wall, inner, json.loads(done.stdout) if profile else None


def headline(quick):
    """The headline command in fresh processes: cold (an empty numba cache, with the compile
    time of every kernel) and warm (median of 3; 1 with ``--quick``).  The cache is a
    temporary directory, so the user's own cache is left alone."""

    def headline_record(state, wall, inner, **extra):
        threads = numba.config.NUMBA_NUM_THREADS
        fields = dict(cache=state, seconds=wall, run_seconds=inner, **extra)
        return record("headline", "linparity", 64, threads, 1 / wall, "runs/s", **fields)

    results = []
    with tempfile.TemporaryDirectory() as cache_dir:
        wall, inner, prof = _headline_once(cache_dir, profile=True)
        results.append(
            headline_record(
                "cold", wall, inner, compile_seconds_top_level=prof["top_level"], compile_seconds=prof["compile"]
            )
        )
        runs = sorted(_headline_once(cache_dir)[:2] for _ in range(1 if quick else 3))
        median = runs[len(runs) // 2]
        results.append(headline_record("warm", *median, all_seconds=[r[0] for r in runs]))
    return results


def matmul_gflops(n=2048):
    a = np.random.default_rng(0).random((n, n))
    seconds = best_time(lambda: a @ a, repeat=3)
    return 2 * n**3 / seconds / 1e9


def _long_batch(d, n):
    return task.draw_demonstrations(n, d, 1.0, key=task.stream_key(3, d))


def _ntp_seconds(d, batch, repeat=5):
    lam = ntp.default_lambdas(d, len(batch.lengths), len(batch.lengths))
    return best_time(lambda: ntp.Algorithm3(d, lam).partial_fit(*batch, check=False), repeat=repeat)


@njit(cache=True, fastmath=FAST)
def _access_pattern_block(u, a, x, length, chained):
    sink = 0.0
    for r in range(x.shape[0]):
        s = 0.0
        for j in range(length):
            s += u[j] * x[r, j]
        sink += s
        if chained:
            # The kernel's chain, without its bookkeeping: the multiple waits on this
            # sample's dot and an exponential, and the next dot on this update.
            c = 1e-12 / (1.0 + math.exp(-s))
        else:
            c = 1e-12 * (r & 7)  # independent of s: no chain from one sample to the next
        for j in range(length):
            v = x[r, j]
            u[j] += c * v
            a[j] += 2.0 * c * v
    return sink


@njit(cache=True, nogil=True, fastmath=FAST)
def _access_pattern_items(u, a, x, lengths, chained, sinks, lo, hi):
    for b in range(lo, hi):
        sinks[b] = _access_pattern_block(u[b], a[b], x, lengths[b], chained)


def _access_pattern(u, a, x, lengths, sinks, chained=False):
    """The NTP kernel's loads, stores and flops without its dependencies.

    Block b reads ``u[b, :lengths[b]]`` against every row of ``x`` (a dot), then adds
    multiples of the row to ``u[b]`` and ``a[b]``: 6 flops per coordinate, as in the
    NTP kernel, but the multiple does not wait for the dot or an exponential. With
    ``chained`` it does (``1e-12 sigma(dot)``): the dependency of single-sample SGD put
    back, one block per loop, which says how much of the gap to the ceiling the chain
    alone explains. Blocks run on threads as there (:func:`linparity.threads.run_items`).
    Returns nothing; ``sinks[b]`` is the sum of the dots.
    """
    run_items(_access_pattern_items, lengths.shape[0], u, a, x, lengths, bool(chained), sinks)


def access_pattern_numpy(u, a, x, lengths, chained=False):
    """Plain-numpy twin of :func:`_access_pattern` (returns the sinks)."""
    sinks = np.zeros(len(lengths))
    xf = x.astype(np.float64)
    for b, length in enumerate(lengths):
        for r in range(x.shape[0]):
            s = u[b, :length] @ xf[r, :length]
            sinks[b] += s
            c = 1e-12 / (1.0 + np.exp(-s)) if chained else 1e-12 * (r & 7)
            u[b, :length] += c * xf[r, :length]
            a[b, :length] += 2.0 * c * xf[r, :length]
    return sinks


def roofline(quick):
    """The NTP kernel's GFLOP/s against numpy's matmul and against the access-pattern ceiling
    (``pattern_gflops``: :func:`_access_pattern`), the kernel and the pattern (plain and
    chained) timed in 5 interleaved rounds (``_common.interleaved``): ``fraction_of_pattern``
    is the median of the per-round ratios, with its range."""
    d = 64
    n = 5_000 if quick else 40_000
    batch = _long_batch(d, n)
    lam = ntp.default_lambdas(d, n, n)
    flops = ntp_flops_per_long_sample(d) * n
    lengths = block_lengths(d)
    x = np.where(np.random.default_rng(0).random((n, 2 * d)) < 0.5, -1, 1).astype(np.int8)
    stride = 2 * d + NTP_GAP
    u, a, sinks = np.zeros((len(lengths), stride)), np.zeros((len(lengths), stride)), np.zeros(len(lengths))
    measured = interleaved(
        {
            "kernel": (lambda: ntp.Algorithm3(d, lam).partial_fit(*batch, check=False), flops / 1e9),
            "pattern": (lambda: _access_pattern(u, a, x, lengths, sinks), flops / 1e9),
            "chained": (lambda: _access_pattern(u, a, x, lengths, sinks, chained=True), flops / 1e9),
        },
        5,
    )
    kernel, pattern, chained = (np.asarray(measured[k]["throughput"]) for k in ("kernel", "pattern", "chained"))
    fraction = summarise(kernel / pattern)
    chain_fraction = summarise(chained / pattern)
    matmul = matmul_gflops(1024 if quick else 2048)
    return [
        record(
            "roofline",
            "linparity",
            d,
            numba.config.NUMBA_NUM_THREADS,
            float(np.median(kernel)),
            "GFLOP/s",
            matmul_gflops=matmul,
            fraction_of_matmul=float(np.median(kernel)) / matmul,
            pattern_gflops=float(np.median(pattern)),
            fraction_of_pattern=fraction["median"],
            fraction_of_pattern_min=fraction["min"],
            fraction_of_pattern_max=fraction["max"],
            chained_pattern_gflops=float(np.median(chained)),
            chained_fraction_of_pattern=chain_fraction["median"],
            chained_fraction_of_pattern_min=chain_fraction["min"],
            chained_fraction_of_pattern_max=chain_fraction["max"],
            protocol="interleaved, 5 rounds",
            flops_per_long_sample=ntp_flops_per_long_sample(d),
        )
    ]


_S13, _S7, _S17 = np.uint64(13), np.uint64(7), np.uint64(17)


@njit(cache=True, nogil=True)
def _independent_work_items(steps, out, lo, hi):
    for t in range(lo, hi):
        z = np.uint64(t + 1)
        for _ in range(steps):
            z ^= z << _S13
            z ^= z >> _S7
            z ^= z << _S17
        out[t] = z


def _independent_work(n_items, steps, out):
    """``n_items`` independent chains of ``steps`` xorshift64 steps on threads, as the
    kernels run theirs (:func:`linparity.threads.run_items`): work with no memory
    traffic and nothing shared, whose thread scaling is the machine's own (xorshift,
    unlike an affine recurrence, has no closed form for LLVM to find)."""
    run_items(_independent_work_items, n_items, steps, out)


def independent_work_numpy(n_items, steps):
    """Plain-numpy twin of :func:`_independent_work`."""
    z = np.arange(1, n_items + 1, dtype=np.uint64)
    for _ in range(steps):
        z ^= z << _S13
        z ^= z >> _S7
        z ^= z << _S17
    return z


def _interleaved(measures, threads, rounds):
    """Best seconds of every (kernel, thread count), measuring them in alternation.

    On a shared machine the speed drifts from second to second; timing one thread
    count after the other would put the drift into their ratio.
    """
    available = numba.config.NUMBA_NUM_THREADS
    best = {}
    try:
        for _ in range(rounds):
            for name, measure in measures.items():
                for t in threads:
                    numba.set_num_threads(t)
                    seconds = measure()
                    best[name, t] = min(best.get((name, t), np.inf), seconds)
    finally:
        numba.set_num_threads(available)
    return best


def scaling(quick):
    results = []
    dims = (16, 32, 64, 128) if quick else (16, 32, 64, 128, 256, 512, 1024)
    costs = []
    for d in dims:
        n = int(max(500, 4e6 / d**2 / (8 if quick else 1)))
        seconds = _ntp_seconds(d, _long_batch(d, n))
        costs.append(seconds / n)
        results.append(
            record(
                "scaling",
                "linparity",
                d,
                numba.config.NUMBA_NUM_THREADS,
                n / seconds,
                "long samples/s",
                microseconds_per_long_sample=1e6 * seconds / n,
            )
        )
    slope = np.polyfit(np.log(dims), np.log(costs), 1)[0]
    results.append(
        record(
            "scaling",
            "linparity",
            None,
            numba.config.NUMBA_NUM_THREADS,
            slope,
            "exponent",
            what="cost per long sample ~ d^exponent (least squares, log-log)",
        )
    )
    d = 64
    batch = _long_batch(d, 5_000 if quick else 20_000)
    rng = np.random.default_rng(0)
    model = LinearAR(d, rng.normal(scale=0.3, size=int(position_offsets(d)[-1])))
    x = task.draw_prompts(5_000 if quick else 20_000, d, key=5)
    sink = np.zeros(2, np.uint64)
    measures = {
        "ntp_steps": lambda: _ntp_seconds(d, batch, repeat=1),
        "generate": lambda: best_time(lambda: model.generate(x, key=1), repeat=3),
        "response_stats": lambda: best_time(lambda: model.response_stats(x), repeat=3),
        # Two items either way: one thread does both, two threads one each.
        "independent_work": lambda: best_time(lambda: _independent_work(2, 20_000_000, sink), repeat=1),
    }
    threads = sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})
    best = _interleaved(measures, threads, 3 if quick else 15)
    for name in measures:
        for t in threads:
            extra = (
                {"what": "the machine's own scaling, measured in the same rounds"} if name == "independent_work" else {}
            )
            results.append(
                record(
                    "scaling",
                    "linparity",
                    d,
                    t,
                    1 / best[name, t],
                    "calls/s",
                    kernel=name,
                    speedup_vs_1_thread=best[name, 1] / best[name, t],
                    **extra,
                )
            )
    return results
