"""Timing helpers and the machine description shared by the benchmarks."""

import os
import platform
import time

import numpy as np

from linparity.layout import position_offsets
from linparity.model import LinearAR

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
