"""Algorithm 3's single-sample updates (docs/theory.md section 3), three ways.

The work: a fresh Algorithm 3 state takes n demonstrations of one kind (all long,
or all short) at a given d. Throughput is samples per second.
"""

import os
import time

import numpy as np

from linparity import ntp, task
from linparity import reference as ref

from ._common import best_time, record


def torch_algorithm3(d, lambdas, x, y, lengths):
    """Algorithm 3 as a researcher would write it in PyTorch: one autograd step per
    position and sample, features built with torch.cat, a running mean of iterates."""
    import torch

    sizes = [d, 2 * d + 2] + [2 * d + l - 1 for l in range(2, d + 1)]
    w = [torch.zeros(n, dtype=torch.float64, requires_grad=True) for n in sizes]
    avg = [torch.zeros(n, dtype=torch.float64) for n in sizes]
    t = [0] * (d + 1)
    lam = [float(v) for v in lambdas]
    xs = torch.as_tensor(x, dtype=torch.float64)
    ys = torch.as_tensor(y, dtype=torch.float64)

    def step(k, phi, target):
        t[k] += 1
        loss = torch.nn.functional.softplus(-target * (w[k] @ phi)) + 0.5 * lam[k] * (w[k] @ w[k])
        loss.backward()
        with torch.no_grad():
            w[k] -= w[k].grad / (lam[k] * t[k])
            w[k].grad.zero_()
            avg[k] += (w[k] - avg[k]) / t[k]

    one = torch.ones(1, dtype=torch.float64)
    for xi, yi, n in zip(xs, ys, lengths):
        step(0, xi, float(yi[0]))
        step(1, torch.cat([xi, yi[:1], yi[0] * xi, one]), 1.0 if n == 1 else -1.0)
        if n == d:
            for l in range(2, d + 1):
                step(l, torch.cat([xi, yi[: l - 1], yi[l - 2] * xi]), float(yi[l - 1]))
    return avg


def _pegasos_scan(rows, features):
    """A jitted Algorithm 3 over ``rows`` padded blocks: per sample, ``features(sample)`` gives
    every row's features and target, one vectorised Pegasos step moves every row, and the
    running mean of the iterates is kept; ``lax.scan`` over samples."""
    import jax
    import jax.numpy as jnp

    def step(carry, sample):
        w, avg, t, lam = carry
        phi, target = features(sample)
        t = t + 1.0
        coef = -target * jax.nn.sigmoid(-target * jnp.sum(w * phi, axis=1))
        w = w - (coef[:, None] * phi + lam[:, None] * w) / (lam * t)[:, None]
        return (w, avg + (w - avg) / t[:, None], t, lam), None

    @jax.jit
    def fit(lam, width, *samples):
        zeros = jnp.zeros((rows, width.shape[0]))
        (_, avg, _, _), _ = jax.lax.scan(step, (zeros, zeros, jnp.zeros(rows), lam), samples)
        return avg

    return fit


def _jax_fits(d):
    """Algorithm 3 as a JAX researcher would write it, in two scans: positions 1 and 2a over
    every sample (rows ``[x, y_1, y_1 x, 1]``, position 1 masked to ``x``), and the chain
    positions over the long samples only, gathered first, since a chain position learns
    from nothing else (row l padded to ``[x, y_1..y_{d-1}, y_{l-1} x]``).  Features are
    built inside the scan, one sample at a time.

    Not yet the strongest variant: the issue that asked for it reports a JAX Algorithm 3
    at about 1/1.5 of linparity's speed, while this one measured 21k against linparity's
    251k long samples per second at d = 64, on a machine loaded by another run.  Until a
    faster variant exists (running sums instead of the per-step mean, unpadded rows), no
    speed claim rests on it.
    """
    import jax.numpy as jnp

    head_mask = np.ones((2, 2 * d + 2))
    head_mask[0, d:] = 0.0
    chain_mask = np.zeros((d - 1, 3 * d - 1))
    for l in range(2, d + 1):
        chain_mask[l - 2, :d] = 1.0
        chain_mask[l - 2, d : d + l - 1] = 1.0
        chain_mask[l - 2, 2 * d - 1 :] = 1.0
    head_mask, chain_mask = jnp.asarray(head_mask), jnp.asarray(chain_mask)

    def head(sample):
        x, y1, stop = sample
        phi = jnp.concatenate([x, y1[None], y1 * x, jnp.ones(1)])
        return head_mask * phi[None, :], jnp.stack([y1, stop])

    def chain(sample):
        x, y = sample
        phi = jnp.concatenate(
            [
                jnp.broadcast_to(x, (d - 1, d)),
                jnp.broadcast_to(y[: d - 1], (d - 1, d - 1)),
                y[: d - 1, None] * x[None, :],  # y_{l-1} x for l = 2..d
            ],
            axis=1,
        )
        return chain_mask * phi, y[1:]

    return _pegasos_scan(2, head), _pegasos_scan(d - 1, chain)


_JAX_FITS = {}


def jax_algorithm3(d, lambdas, x, y, lengths):
    """Run the JAX Algorithm 3 (:func:`_jax_fits`, jitted once per d and shape); return the
    averaged parameters in linparity's theta layout (numpy)."""
    # XLA runs a scan's small loop body through a slow generic path unless told not to
    # (about 5x here); the flag must be set before jax starts its CPU backend.
    os.environ.setdefault("XLA_FLAGS", "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=1000000000")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    if d not in _JAX_FITS:
        _JAX_FITS[d] = _jax_fits(d)
    fit_head, fit_chain = _JAX_FITS[d]
    lam = jnp.asarray(lambdas, dtype=jnp.float64)
    long_ = np.asarray(lengths) == d
    xs, ys = jnp.asarray(x, dtype=jnp.float64), jnp.asarray(y, dtype=jnp.float64)
    stop = jnp.asarray(np.where(long_, -1.0, 1.0))
    head = fit_head(lam[:2], jnp.zeros(2 * d + 2), xs, ys[:, 0], stop)
    blocks = [None, None] + [None] * (d - 1)
    head = np.asarray(head.block_until_ready())
    blocks[0], blocks[1] = head[0, :d], head[1]
    if long_.any():
        chain = np.asarray(fit_chain(lam[2:], jnp.zeros(3 * d - 1), xs[long_], ys[long_]).block_until_ready())
    else:  # no long sample: the chain positions never step (Algorithm 3 leaves them at 0)
        chain = np.zeros((d - 1, 3 * d - 1))
    for l in range(2, d + 1):
        blocks[l] = np.concatenate([chain[l - 2, : d + l - 1], chain[l - 2, 2 * d - 1 :]])
    return np.concatenate(blocks)


def run(dims, quick):
    results = []
    for d in dims:
        for kind, p_long in (("long", 1.0), ("short", 0.0)):
            n_fast = int(max(2000, (2e7 if kind == "short" else 4e6) / d**2 / (10 if quick else 1)))
            n_slow = max(3, (60 if kind == "short" else 6) // (1 + d // 64))
            batch = task.draw_demonstrations(n_fast, d, p_long, key=task.stream_key(1, 0))
            lam = ntp.default_lambdas(d, n_fast, n_fast if kind == "long" else 0)
            small = task.Batch(*(a[:n_slow] for a in batch))

            def linparity_way():
                ntp.Algorithm3(d, lam).partial_fit(*batch, check=False)

            seconds = best_time(linparity_way, repeat=3)
            results.append(record("ntp_sgd", "linparity", d, None, n_fast / seconds, "samples/s", kind=kind))
            seconds = best_time(lambda: ref.algorithm3(d, lam, *small), repeat=1)
            results.append(record("ntp_sgd", "numpy", d, None, n_slow / seconds, "samples/s", kind=kind))
            try:
                seconds = best_time(lambda: torch_algorithm3(d, lam, *small), repeat=1)
                results.append(record("ntp_sgd", "torch", d, None, n_slow / seconds, "samples/s", kind=kind))
            except ImportError:
                pass
            try:
                start = time.perf_counter()
                jax_algorithm3(d, lam, *batch)  # traces and compiles for this shape
                first = time.perf_counter() - start
                seconds = best_time(lambda: jax_algorithm3(d, lam, *batch), repeat=3)
                results.append(
                    record(
                        "ntp_sgd", "jax", d, None, n_fast / seconds, "samples/s", kind=kind,
                        compile_seconds=max(0.0, first - seconds),
                    )
                )  # fmt: skip
            except ImportError:
                pass
    return results
