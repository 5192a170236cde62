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


def _jax_step_fn(d):
    """Algorithm 3 over a batch as a JAX researcher would write it: every position's block
    padded to one row of a (d + 1, 3d) matrix, one vectorised Pegasos step of all
    positions per sample (chain rows masked off on short samples), ``lax.scan`` over
    samples, jitted; float64.  Row layout: [x (d), y_1..y_{d-1}, last token * x (d), 1].

    A first variant, not yet the strongest: it computes every block on every sample (a
    short one needs two), and the issue that asked for it reports a JAX Algorithm 3 at
    about 1/1.5 of linparity's speed, while this one measured about 1/9 (long samples)
    and 1/17 (short) at d = 64 on a loaded machine.  Until a faster variant exists
    (long samples gathered, short ones through positions 1 and 2a only), no speed claim
    rests on it.
    """
    import jax
    import jax.numpy as jnp

    f = 3 * d
    mask = np.zeros((d + 1, f))
    mask[0, :d] = 1.0  # position 1: x
    mask[1, :d] = mask[1, d] = 1.0  # 2a: x, y_1, y_1 x, bias
    mask[1, 2 * d - 1 :] = 1.0
    for l in range(2, d + 1):  # chain l: x, y_1..y_{l-1}, y_{l-1} x
        mask[l, :d] = 1.0
        mask[l, d : d + l - 1] = 1.0
        mask[l, 2 * d - 1 : 3 * d - 1] = 1.0
    mask = jnp.asarray(mask)
    chain = jnp.arange(d + 1) >= 2

    def sample_step(carry, sample):
        w, avg, t, lam = carry
        xi, yi, long_ = sample
        last = jnp.concatenate([jnp.zeros(1), yi[:1], yi[: d - 1]])
        base = jnp.concatenate(
            [
                jnp.broadcast_to(xi, (d + 1, d)),
                jnp.broadcast_to(yi[: d - 1], (d + 1, d - 1)),
                last[:, None] * xi[None, :],
                jnp.ones((d + 1, 1)),
            ],
            axis=1,
        )
        phi = mask * base
        target = jnp.concatenate([yi[:1], jnp.where(long_, -1.0, 1.0)[None], yi[1:]])
        active = jnp.where(chain, long_, True)
        t_new = t + active
        coef = -target * jax.nn.sigmoid(-target * jnp.sum(w * phi, axis=1))
        grad = coef[:, None] * phi + lam[:, None] * w
        eta = jnp.where(active, 1.0 / (lam * jnp.maximum(t_new, 1)), 0.0)
        w_new = w - eta[:, None] * grad
        avg_new = jnp.where(active[:, None], avg + (w_new - avg) / jnp.maximum(t_new, 1)[:, None], avg)
        return (w_new, avg_new, t_new, lam), None

    @jax.jit
    def fit(lam, x, y, long_):
        zeros = jnp.zeros((d + 1, f))
        carry = (zeros, zeros, jnp.zeros(d + 1), lam)
        (_, avg, _, _), _ = jax.lax.scan(sample_step, carry, (x, y, long_))
        return avg

    return fit


_JAX_FITS = {}


def jax_algorithm3(d, lambdas, x, y, lengths):
    """Run the JAX Algorithm 3 (:func:`_jax_step_fn`, one jitted function per d, kept);
    return the averaged parameters in linparity's theta layout (numpy)."""
    # XLA runs a scan's small loop body through a slow generic path unless told not to
    # (about 5x here); the flag must be set before jax starts its CPU backend.
    os.environ.setdefault("XLA_FLAGS", "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=1000000000")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    if d not in _JAX_FITS:
        _JAX_FITS[d] = _jax_step_fn(d)
    avg = _JAX_FITS[d](
        jnp.asarray(lambdas, dtype=jnp.float64),
        jnp.asarray(x, dtype=jnp.float64),
        jnp.asarray(y, dtype=jnp.float64),
        jnp.asarray(np.asarray(lengths) == d),
    )
    avg = np.asarray(avg.block_until_ready())
    blocks = [avg[0, :d], np.concatenate([avg[1, : d + 1], avg[1, 2 * d - 1 :]])]
    blocks += [np.concatenate([avg[l, : d + l - 1], avg[l, 2 * d - 1 : 3 * d - 1]]) for l in range(2, d + 1)]
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
