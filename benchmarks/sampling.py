"""Sampling responses and computing exact metrics for a batch of prompts, three ways.

The work: n prompts at d = 64, one sampled response each (temperature 1), and the
exact probabilities of the correct long and short answers (docs/theory.md sections 2, 4).
The model has random weights with a zero 2a bias, so about half the responses are
long. Throughput is prompts per second.
"""

import time

import numpy as np

from linparity import reference as ref
from linparity import task

from ._common import (
    best_time,
    interleaved,
    interleaved_records,
    jax_float64,
    random_model,
    record,
    with_threads,
    xla_small_loop_flag,
)


def sample_and_score(lib, blocks, x, uniforms):
    """Token by token, vectorised over the prompts, with ``lib`` = numpy or torch."""
    n, d = x.shape
    cat = lib.cat if hasattr(lib, "cat") else lib.concatenate
    sig = lambda s: 1 / (1 + lib.exp(-s))
    y = lib.zeros((n, d), dtype=x.dtype)
    y[:, 0] = lib.where(uniforms[:, 0] < sig(x @ blocks[0]), 1.0, -1.0)
    phi = cat([x, y[:, :1], y[:, :1] * x], 1)
    go = uniforms[:, 1] >= sig(phi @ blocks[1][:-1] + blocks[1][-1])
    xg, yg = x[go], y[go]
    for l in range(2, d + 1):
        phi = cat([xg, yg[:, : l - 1], yg[:, l - 2 : l - 1] * xg], 1)
        yg[:, l - 1] = lib.where(uniforms[go, l] < sig(phi @ blocks[l]), 1.0, -1.0)
    y[go] = yg
    # Exact probability of the correct long answer: teacher-forced along the chain.
    chain = lib.cumprod(x, 1)
    logp = lib.log(sig(chain[:, 0] * (x @ blocks[0])))
    phi = cat([x, chain[:, :1], chain[:, :1] * x], 1)
    logp = logp + lib.log(sig(-(phi @ blocks[1][:-1] + blocks[1][-1])))
    for l in range(2, d + 1):
        phi = cat([x, chain[:, : l - 1], chain[:, l - 2 : l - 1] * x], 1)
        logp = logp + lib.log(sig(chain[:, l - 1] * (phi @ blocks[l])))
    chi = chain[:, -1]
    phi = cat([x, chi[:, None], chi[:, None] * x], 1)
    p_short = sig(chi * (x @ blocks[0])) * sig(phi @ blocks[1][:-1] + blocks[1][-1])
    return y, lib.exp(logp), p_short


def _chain_parts(blocks, d):
    """The chain blocks as three padded matrices: ``A`` over x, ``B`` over y_<l (lower
    triangular), ``C`` over y_{l-1} x, row l - 2 for chain position l."""
    a = np.stack([b[:d] for b in blocks[2:]])
    c = np.stack([b[-d:] for b in blocks[2:]])
    bm = np.zeros((d - 1, d - 1))
    for l in range(2, d + 1):
        bm[l - 2, : l - 1] = blocks[l][d : d + l - 1]
    return a, bm, c


def _jax_exact_scores(w1, w2, bias, ax, b, cx, x):
    """One prompt's exact pi(correct long) (teacher-forced along the chain, all positions at
    once) and pi(correct short), in JAX; ``ax = A x`` and ``cx = C x`` (:func:`_chain_parts`)."""
    import jax
    import jax.numpy as jnp

    sig = jax.nn.sigmoid
    d = x.shape[0]
    chain = jnp.cumprod(x)
    prev = chain[: d - 1]
    logp = jnp.log(sig(chain[0] * (x @ w1)))
    logp += jnp.log(sig(-(jnp.concatenate([x, chain[:1], chain[0] * x]) @ w2 + bias)))
    logp += jnp.sum(jnp.log(sig(chain[1:] * (ax + b @ prev + prev * cx))))
    chi = chain[-1]
    p_short = sig(chi * (x @ w1)) * sig(jnp.concatenate([x, chi[None], chi * x]) @ w2 + bias)
    return jnp.exp(logp), p_short


_JAX_SCORERS = {}


def jax_sample_and_score(blocks, x, uniforms):
    """Sampling and exact scores as a JAX researcher would write them: one prompt's response
    token by token (``lax.scan`` over chain positions), ``vmap`` over prompts, ``jit``,
    float64.  The chain is three matrix-vector products per token (:func:`_chain_parts`);
    the exact probability of the long answer is teacher-forced, all positions at once.

    It draws the whole chain for every prompt, also for those that stop after y_1;
    :func:`jax_sample_and_score_go` draws it only for those that go on.
    """
    jax = jax_float64()
    import jax.numpy as jnp

    n, d = x.shape
    if d not in _JAX_SCORERS:

        def one(w1, w2, bias, a, b, c, x, u):
            sig = jax.nn.sigmoid
            y1 = jnp.where(u[0] < sig(x @ w1), 1.0, -1.0)
            go = u[1] >= sig(jnp.concatenate([x, y1[None], y1 * x]) @ w2 + bias)
            ax, cx = a @ x, c @ x

            def token(y, l):  # l = 0 .. d - 2 stands for chain position l + 2
                s = ax[l] + b[l] @ y[: d - 1] + y[l] * cx[l]
                return y.at[l + 1].set(jnp.where(u[l + 2] < sig(s), 1.0, -1.0)), None

            y0 = jnp.zeros(d).at[0].set(y1)
            y, _ = jax.lax.scan(token, y0, jnp.arange(d - 1))
            y = jnp.where(go, y, y0)
            p_long, p_short = _jax_exact_scores(w1, w2, bias, ax, b, cx, x)
            return y, p_long, p_short

        _JAX_SCORERS[d] = jax.jit(jax.vmap(one, in_axes=(None, None, None, None, None, None, 0, 0)))
    a, bm, c = _chain_parts(blocks, d)
    out = _JAX_SCORERS[d](
        jnp.asarray(blocks[0]), jnp.asarray(blocks[1][:-1]), jnp.asarray(blocks[1][-1]),
        jnp.asarray(a), jnp.asarray(bm), jnp.asarray(c), jnp.asarray(x), jnp.asarray(uniforms),
    )  # fmt: skip
    return tuple(np.asarray(v.block_until_ready()) for v in out)


_JAX_GO = {}


def jax_sample_and_score_go(blocks, x, uniforms):
    """:func:`jax_sample_and_score`, hand-batched: y_1, the 2a decision and the exact scores
    for every prompt in one jitted, vmapped call; then the chain drawn only for the prompts
    that go on (gathered outside jit, a ``lax.scan`` over chain positions vmapped over
    them), so the half that stop cost nothing in the chain.  One compilation per number of
    prompts that go on."""
    jax = jax_float64()
    import jax.numpy as jnp

    n, d = x.shape
    if d not in _JAX_GO:
        sig = jax.nn.sigmoid

        def head(w1, w2, bias, a, b, c, x, u):
            y1 = jnp.where(u[0] < sig(x @ w1), 1.0, -1.0)
            go = u[1] >= sig(jnp.concatenate([x, y1[None], y1 * x]) @ w2 + bias)
            ax, cx = a @ x, c @ x
            p_long, p_short = _jax_exact_scores(w1, w2, bias, ax, b, cx, x)
            return y1, go, p_long, p_short

        def chain(a, b, c, x, y1, u):
            ax, cx = a @ x, c @ x

            def token(y, l):
                s = ax[l] + b[l] @ y[: d - 1] + y[l] * cx[l]
                return y.at[l + 1].set(jnp.where(u[l + 2] < sig(s), 1.0, -1.0)), None

            y, _ = jax.lax.scan(token, jnp.zeros(d).at[0].set(y1), jnp.arange(d - 1))
            return y

        _JAX_GO[d] = (
            jax.jit(jax.vmap(head, in_axes=(None, None, None, None, None, None, 0, 0))),
            jax.jit(jax.vmap(chain, in_axes=(None, None, None, 0, 0, 0))),
        )
    head, chain = _JAX_GO[d]
    a, bm, c = (jnp.asarray(m) for m in _chain_parts(blocks, d))
    xj, uj = jnp.asarray(x), jnp.asarray(uniforms)
    y1, go, p_long, p_short = head(
        jnp.asarray(blocks[0]), jnp.asarray(blocks[1][:-1]), jnp.asarray(blocks[1][-1]), a, bm, c, xj, uj
    )
    go = np.asarray(go)
    y = np.zeros((n, d))
    y[:, 0] = np.asarray(y1)
    idx = np.flatnonzero(go)
    if idx.size:
        y[idx] = np.asarray(chain(a, bm, c, xj[idx], jnp.asarray(y[idx, 0]), uj[idx]).block_until_ready())
    return y, np.asarray(p_long), np.asarray(p_short)


#: Prompts per timed call, the same in ``--quick`` and the full run.
PROMPTS = 20_000


def run(quick, jax_only=False):
    """Interleaved rounds of linparity at 1 and 2 threads and both JAX variants; numpy and
    PyTorch (vectorised over prompts) by their best of 3. ``jax_only``: the JAX variants
    alone (the ``xla_flag_off`` benchmark)."""
    d = 64
    n = PROMPTS
    rng = np.random.default_rng(0)
    model = random_model(d, rng)
    x = task.draw_prompts(n, d, key=task.stream_key(2, 0))
    results = []

    def linparity_way():
        model.generate(x, key=7)
        model.response_stats(x)

    blocks = ref.split(model.theta, d)
    xf = x.astype(np.float64)
    uniforms = rng.random((n, d + 1))
    impls = {} if jax_only else {f"linparity@{t}": (with_threads(t, linparity_way), n) for t in (1, 2)}
    compile_seconds = {}
    try:
        import jax  # noqa: F401

        for name, func in (("jax", jax_sample_and_score), ("jax_go", jax_sample_and_score_go)):
            start = time.perf_counter()
            func(blocks, xf, uniforms)  # traces and compiles for this shape
            compile_seconds[name] = time.perf_counter() - start
            impls[name] = (lambda f=func: f(blocks, xf, uniforms), n)
    except ImportError:
        pass
    for r in interleaved_records("sampling", d, "prompts/s", interleaved(impls, 3 if quick else 7)):
        if r["impl"] in compile_seconds:
            r["compile_seconds"] = max(0.0, compile_seconds[r["impl"]] - n / r["throughput"])
            r["xla_small_loop_flag"] = xla_small_loop_flag()
        results.append(r)
    if jax_only:
        return results
    seconds = best_time(lambda: sample_and_score(np, blocks, xf, uniforms), repeat=3)
    results.append(record("sampling", "numpy", d, None, n / seconds, "prompts/s"))
    try:
        import torch

        tb = [torch.as_tensor(b) for b in blocks]
        tx, tu = torch.as_tensor(xf), torch.as_tensor(uniforms)
        with torch.no_grad():
            seconds = best_time(lambda: sample_and_score(torch, tb, tx, tu), repeat=3)
        results.append(
            record("sampling", "torch", d, None, n / seconds, "prompts/s", torch_threads=torch.get_num_threads())
        )
    except ImportError:
        pass
    return results
