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
    from nothing else.  Features are
    built inside the scan for positions 1 and 2a; the chain's are never built
    (:func:`_chain_scan`).

    Not yet the strongest variant: the issue that asked for it reports a JAX Algorithm 3
    at about 1/1.5 of linparity's speed; this one (jax 0.10.2, small-loop flag on)
    measured 59k against linparity's 250k long samples per second and 425k against
    0.6-1M short ones at d = 64, on a machine loaded by another run.  No speed claim
    rests on it yet.
    """
    import jax.numpy as jnp

    head_mask = np.ones((2, 2 * d + 2))
    head_mask[0, d:] = 0.0
    head_mask = jnp.asarray(head_mask)

    def head(sample):
        x, y1, stop = sample
        phi = jnp.concatenate([x, y1[None], y1 * x, jnp.ones(1)])
        return head_mask * phi[None, :], jnp.stack([y1, stop])

    return _pegasos_scan(2, head), _chain_scan(d)


def _chain_scan(d):
    """The chain positions' Algorithm 3 without building their features: row l's logit is
    ``<A_l, x> + <B_l, y_<l> + y_{l-1} <C_l, x>``, so a step is three matrix-vector
    products and three rank-one updates over the (d - 1)-row blocks A, B (lower
    triangular), C; the running mean of the iterates is kept for each."""
    import jax
    import jax.numpy as jnp

    lower = jnp.asarray(np.tril(np.ones((d - 1, d - 1))))  # row l - 2 sees y_1 .. y_{l-1}

    def step(carry, sample):
        (a, b, c), (ma, mb, mc), t, lam = carry
        x, y = sample
        prev, target = y[: d - 1], y[1:]
        s = a @ x + b @ prev + prev * (c @ x)
        coef = -target * jax.nn.sigmoid(-target * s)
        t = t + 1.0
        eta = (1.0 / (lam * t))[:, None]
        a = a - eta * (coef[:, None] * x[None, :] + lam[:, None] * a)
        b = b - eta * (coef[:, None] * lower * prev[None, :] + lam[:, None] * b)
        c = c - eta * ((coef * prev)[:, None] * x[None, :] + lam[:, None] * c)
        means = tuple(m + (w - m) / t[:, None] for m, w in zip((ma, mb, mc), (a, b, c)))
        return ((a, b, c), means, t, lam), None

    @jax.jit
    def fit(lam, xs, ys):
        zeros = (jnp.zeros((d - 1, d)), jnp.zeros((d - 1, d - 1)), jnp.zeros((d - 1, d)))
        (_, means, _, _), _ = jax.lax.scan(step, (zeros, zeros, jnp.zeros(d - 1), lam), (xs, ys))
        return means

    return fit


_JAX_FITS = {}


def jax_algorithm3(d, lambdas, x, y, lengths):
    """Run the JAX Algorithm 3 (:func:`_jax_fits`, jitted once per d and shape); return the
    averaged parameters in linparity's theta layout (numpy)."""
    # XLA's CPU runtime runs a small loop body through a slow generic path unless told
    # not to: with jax 0.10.2 the flag gives 1.8x here (with 0.4.38 it cost 2x, which
    # is why the version is pinned).  It must be set before jax starts its backend.
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
        a, b, c = (np.asarray(m) for m in fit_chain(lam[2:], xs[long_], ys[long_]))
    else:  # no long sample: the chain positions never step (Algorithm 3 leaves them at 0)
        a, b, c = np.zeros((d - 1, d)), np.zeros((d - 1, d - 1)), np.zeros((d - 1, d))
    for l in range(2, d + 1):
        blocks[l] = np.concatenate([a[l - 2], b[l - 2, : l - 1], c[l - 2]])
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
