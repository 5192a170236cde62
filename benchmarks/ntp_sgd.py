"""Algorithm 3's single-sample updates (docs/theory.md section 3), three ways.

The work: a fresh Algorithm 3 state takes n demonstrations of one kind (all long,
or all short) at a given d. Throughput is samples per second.
"""

import time

import numpy as np

from linparity import ntp, task
from linparity import reference as ref

from ._common import best_time, interleaved, interleaved_records, jax_float64, record, with_threads, xla_small_loop_flag


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

    It keeps the running mean of the iterates, as Algorithm 3 is written;
    :func:`_jax_fits_sums` keeps running sums instead (faster).
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


def _jax_fits_sums(d):
    """Algorithm 3 in JAX with linparity's running sums instead of a running mean.

    The Pegasos iterate is ``w_t = -G_t / (lambda t)`` with ``G_t`` the sum of loss
    gradients, and the average of the iterates is ``-(H_T G_T - sum_s H_{s-1} g_s) /
    (lambda T)`` (``_kernels/_ntp.py``): a step adds ``c phi`` and ``c H phi`` to two sums
    and never rescales the weights, nor updates a mean.  The same two scans as
    :func:`_jax_fits` (positions 1 and 2a over every sample, the chain over the long ones
    as matrix-vector products and rank-one updates).
    """
    import jax
    import jax.numpy as jnp

    head_mask = np.ones((2, 2 * d + 2))
    head_mask[0, d:] = 0.0
    head_mask = jnp.asarray(head_mask)
    lower = jnp.asarray(np.tril(np.ones((d - 1, d - 1))))

    def coefficient(dot, target, t, lam):
        inv = jnp.where(t > 0, 1.0 / (lam * jnp.maximum(t, 1.0)), 0.0)
        return -target * jax.nn.sigmoid(target * dot * inv)

    def head_step(carry, sample):
        g, a, t, h, lam = carry
        x, y1, stop = sample
        phi = head_mask * jnp.concatenate([x, y1[None], y1 * x, jnp.ones(1)])[None, :]
        coef = coefficient(jnp.sum(g * phi, axis=1), jnp.stack([y1, stop]), t, lam)
        g = g + coef[:, None] * phi
        a = a + (coef * h)[:, None] * phi
        t = t + 1.0
        return (g, a, t, h + 1.0 / t, lam), None

    def chain_step(carry, sample):
        (ga, gb, gc), (aa, ab, ac), t, h, lam = carry
        x, y = sample
        prev, target = y[: d - 1], y[1:]
        coef = coefficient(ga @ x + gb @ prev + prev * (gc @ x), target, t, lam)
        ch = coef * h
        lp = lower * prev[None, :]
        ga, aa = ga + coef[:, None] * x[None, :], aa + ch[:, None] * x[None, :]
        gb, ab = gb + coef[:, None] * lp, ab + ch[:, None] * lp
        gc, ac = gc + (coef * prev)[:, None] * x[None, :], ac + (ch * prev)[:, None] * x[None, :]
        t = t + 1.0
        return ((ga, gb, gc), (aa, ab, ac), t, h + 1.0 / t, lam), None

    def average(g, a, t, h, lam):
        lam = lam.reshape(lam.shape + (1,) * (g.ndim - 1))
        t = t.reshape(lam.shape)
        h = h.reshape(lam.shape)
        return jnp.where(t > 0, -(h * g - a) / (lam * jnp.maximum(t, 1.0)), 0.0)

    @jax.jit
    def fit_head(lam, xs, y1, stop):
        z = jnp.zeros((2, 2 * d + 2))
        (g, a, t, h, _), _ = jax.lax.scan(head_step, (z, z, jnp.zeros(2), jnp.zeros(2), lam), (xs, y1, stop))
        return average(g, a, t, h, lam)

    @jax.jit
    def fit_chain(lam, xs, ys):
        z = (jnp.zeros((d - 1, d)), jnp.zeros((d - 1, d - 1)), jnp.zeros((d - 1, d)))
        t0 = jnp.zeros(d - 1)
        (g, a, t, h, _), _ = jax.lax.scan(chain_step, (z, z, t0, t0, lam), (xs, ys))
        return tuple(average(gi, ai, t, h, lam) for gi, ai in zip(g, a))

    return fit_head, fit_chain


_JAX_FITS = {}

#: The JAX variants of Algorithm 3: ``jax`` keeps the running mean of the iterates, as
#: written in the paper; ``jax_sums`` keeps linparity's two running sums.
JAX_VARIANTS = {"jax": _jax_fits, "jax_sums": _jax_fits_sums}


def jax_algorithm3(d, lambdas, x, y, lengths, variant="jax"):
    """Run a JAX Algorithm 3 (:data:`JAX_VARIANTS`, jitted once per d and shape); return the
    averaged parameters in linparity's theta layout (numpy)."""
    jax_float64()
    import jax.numpy as jnp

    if (variant, d) not in _JAX_FITS:
        _JAX_FITS[variant, d] = JAX_VARIANTS[variant](d)
    fit_head, fit_chain = _JAX_FITS[variant, d]
    lam = jnp.asarray(lambdas, dtype=jnp.float64)
    long_ = np.asarray(lengths) == d
    xs, ys = jnp.asarray(x, dtype=jnp.float64), jnp.asarray(y, dtype=jnp.float64)
    stop = jnp.asarray(np.where(long_, -1.0, 1.0))
    if variant == "jax":
        head = fit_head(lam[:2], jnp.zeros(2 * d + 2), xs, ys[:, 0], stop)
    else:
        head = fit_head(lam[:2], xs, ys[:, 0], stop)
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


def _work(d, kind):
    """Samples per timed call: enough that per-call overhead does not matter (about 0.1-0.5 s
    for linparity), the same in ``--quick`` and the full run, so that both give the same ratios."""
    if kind == "long":
        return int(np.clip(2.5e8 / d**2, 20_000, 500_000))
    return int(np.clip(4e9 / d**2, 200_000, 2_000_000))


def run(dims, quick, jax_only=False):
    """Interleaved rounds (``_common.interleaved``) of linparity at 1 and 2 threads and every
    JAX variant; the per-sample Python baselines (numpy, PyTorch) once, on a few samples.
    ``jax_only``: the JAX variants alone (the ``xla_flag_off`` benchmark)."""
    rounds = 3 if quick else 7
    results = []
    for d in dims:
        for kind, p_long in (("long", 1.0), ("short", 0.0)):
            n_fast = _work(d, kind)
            n_slow = max(3, (60 if kind == "short" else 6) // (1 + d // 64))
            batch = task.draw_demonstrations(n_fast, d, p_long, key=task.stream_key(1, 0))
            lam = ntp.default_lambdas(d, n_fast, n_fast if kind == "long" else 0)
            small = task.Batch(*(a[:n_slow] for a in batch))

            def linparity_way():
                ntp.Algorithm3(d, lam).partial_fit(*batch, check=False)

            impls = {} if jax_only else {f"linparity@{t}": (with_threads(t, linparity_way), n_fast) for t in (1, 2)}
            compile_seconds = {}
            try:
                import jax  # noqa: F401

                for variant in JAX_VARIANTS:
                    start = time.perf_counter()
                    jax_algorithm3(d, lam, *batch, variant=variant)  # traces and compiles for this shape
                    compile_seconds[variant] = time.perf_counter() - start
                    impls[variant] = (lambda v=variant: jax_algorithm3(d, lam, *batch, variant=v), n_fast)
            except ImportError:
                pass
            measured = interleaved(impls, rounds)
            for r in interleaved_records("ntp_sgd", d, "samples/s", measured, kind=kind, samples_per_call=n_fast):
                if r["impl"] in compile_seconds:  # the first call's time beyond a measured one
                    r["compile_seconds"] = max(0.0, compile_seconds[r["impl"]] - n_fast / r["throughput"])
                    r["xla_small_loop_flag"] = xla_small_loop_flag()
                results.append(r)
            if jax_only:
                continue
            seconds = best_time(lambda: ref.algorithm3(d, lam, *small), repeat=1)
            results.append(record("ntp_sgd", "numpy", d, None, n_slow / seconds, "samples/s", kind=kind))
            try:
                seconds = best_time(lambda: torch_algorithm3(d, lam, *small), repeat=1)
                results.append(record("ntp_sgd", "torch", d, None, n_slow / seconds, "samples/s", kind=kind))
            except ImportError:
                pass
    return results
