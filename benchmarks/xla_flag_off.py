"""``xla_flag_off``: the JAX baselines at d = 64 without XLA's small-loop flag.

The flag (:data:`._common.XLA_SMALL_LOOP_FLAG`) must be set before jax starts its
backend, so this runs them in a process of its own with ``XLA_FLAGS`` empty: the
same work and protocol as ``ntp_sgd`` and ``sampling`` (interleaved rounds of the JAX
variants), records marked ``xla_small_loop_flag="off"`` and named ``impl + "_flag_off"``.
They are kept out of the ratios against the best JAX variant, which is measured with
the flag on; ``ratios`` reports each variant's flag-on over flag-off throughput
(medians from two processes, not interleaved with each other).
"""

import json
import os
import subprocess
import sys

from ._common import ROOT


def run(quick):
    """The records of the child process (empty without jax)."""
    env = dict(os.environ, XLA_FLAGS="")
    cmd = [sys.executable, "-m", "benchmarks.xla_flag_off"] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"xla_flag_off: the child process failed: {last}")
    return json.loads(proc.stdout)


def _child(quick):
    try:
        import jax  # noqa: F401
    except ImportError:
        return []
    from . import ntp_sgd, sampling

    records = ntp_sgd.run((64,), quick, jax_only=True) + sampling.run(quick, jax_only=True)
    for r in records:
        r["impl"] += "_flag_off"
    return records


if __name__ == "__main__":
    json.dump(_child("--quick" in sys.argv[1:]), sys.stdout)
