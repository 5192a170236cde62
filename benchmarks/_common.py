"""Timing helpers and the machine description shared by the benchmarks."""

import os
import platform
import time

import numpy as np

from linparity.layout import position_offsets
from linparity.model import LinearAR

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


#: XLA's CPU runtime runs a small loop body through a slow generic path unless told not
#: to; this flag (set before jax starts its backend) gives the JAX baselines 1.8x with
#: jax 0.10.2 (with 0.4.38 it cost 2x, which is why the version is pinned). The
#: ``xla_flag_off`` benchmark measures them without it, in a process of its own.
XLA_SMALL_LOOP_FLAG = "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=1000000000"


def jax_float64():
    """``jax`` with float64 on and, unless ``XLA_FLAGS`` was set before (``xla_flag_off``
    sets it empty), :data:`XLA_SMALL_LOOP_FLAG`. Raises ImportError without jax."""
    os.environ.setdefault("XLA_FLAGS", XLA_SMALL_LOOP_FLAG)
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def xla_small_loop_flag():
    """``"on"`` or ``"off"``: whether this process's JAX runs with :data:`XLA_SMALL_LOOP_FLAG`."""
    return "on" if XLA_SMALL_LOOP_FLAG in os.environ.get("XLA_FLAGS", XLA_SMALL_LOOP_FLAG) else "off"


def random_model(d, rng):
    """The benchmarks' policy: random weights (scale 0.3) and a zero 2a bias, so that
    about half the responses are long."""
    theta = rng.normal(scale=0.3, size=int(position_offsets(d)[-1]))
    model = LinearAR(d, theta)
    model.block(1)[-1] = 0.0
    return model


def best_time(func, repeat=3, min_seconds=0.0):
    """Smallest wall time of ``repeat`` calls (after one warm-up call), in seconds.

    The minimum is the least noisy estimate of the cost on a shared machine.
    """
    func()
    times = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def with_threads(n, func):
    """``func`` run with numba's thread count set to ``n`` (restored after)."""
    import numba

    def run():
        before = numba.get_num_threads()
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        try:
            func()
        finally:
            numba.set_num_threads(before)

    return run


def interleaved(impls, rounds):
    """Throughputs of competing implementations, measured in alternation.

    The protocol of every comparison here: each implementation is called once to warm up
    (compilation, caches), then ``rounds`` rounds call each of them once in turn (A B C,
    A B C, ...), so that a change in the machine's load hits all of them alike; the
    per-round values are kept, and a ratio is taken round by round (:func:`paired_ratio`).

    Parameters
    ----------
    impls : dict
        Name to ``(func, units)``: ``func()`` does ``units`` units of work.
    rounds : int

    Returns
    -------
    dict
        Name to ``{"throughput": [per round], "cpu_per_wall": [per round]}``; the CPU
        seconds of the whole process per wall second of the call (1 per busy thread).
    """
    for func, _ in impls.values():
        func()
    out = {name: {"throughput": [], "cpu_per_wall": []} for name in impls}
    for _ in range(rounds):
        for name, (func, units) in impls.items():
            w0, c0 = time.perf_counter(), time.process_time()
            func()
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            out[name]["throughput"].append(units / wall)
            out[name]["cpu_per_wall"].append(cpu / wall)
    return out


def summarise(values):
    """Median and range of per-round values."""
    v = np.asarray(values, dtype=float)
    return {"median": float(np.median(v)), "min": float(v.min()), "max": float(v.max())}


def interleaved_records(benchmark, d, unit, measured, **extra):
    """One record per implementation from :func:`interleaved`'s output: the median
    throughput, its range, the CPU per wall second and the per-round values."""
    out = []
    for name, m in measured.items():
        impl, _, threads = name.partition("@")
        stats = summarise(m["throughput"])
        out.append(
            record(
                benchmark, impl, d, int(threads) if threads else None, stats["median"], unit,
                min=stats["min"], max=stats["max"], cpu_per_wall=float(np.median(m["cpu_per_wall"])),
                rounds=m["throughput"], protocol="interleaved", **extra,
            )
        )  # fmt: skip
    return out


def paired_ratio(mine, theirs):
    """Round-by-round ratio of two interleaved records' throughputs: median and range."""
    return summarise(np.asarray(mine["rounds"]) / np.asarray(theirs["rounds"]))


def machine():
    """What the numbers were measured on."""
    import numba

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


def record(benchmark, impl, d, threads, throughput, unit, **extra):
    return {
        "benchmark": benchmark,
        "impl": impl,
        "d": d,
        "threads": threads,
        "throughput": float(throughput),
        "unit": unit,
        **extra,
    }
