"""Sampling responses and computing exact metrics for a batch of prompts, three ways.

The work: n prompts at d = 64, one sampled response each (temperature 1), and the
exact probabilities of the correct long and short answers (docs/theory.md sections 2, 4).
The model has random weights with a zero 2a bias, so about half the responses are
long. Throughput is prompts per second.
"""

import numpy as np

from linparity import reference as ref
from linparity import task

from ._common import best_time, random_model, record


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


def run(quick):
    d = 64
    n = 2_000 if quick else 10_000
    rng = np.random.default_rng(0)
    model = random_model(d, rng)
    x = task.draw_prompts(n, d, key=task.stream_key(2, 0))
    results = []

    def linparity_way():
        model.generate(x, key=7)
        model.response_stats(x)

    seconds = best_time(linparity_way, repeat=5)
    results.append(record("sampling", "linparity", d, None, n / seconds, "prompts/s"))
    blocks = ref.split(model.theta, d)
    xf = x.astype(np.float64)
    uniforms = rng.random((n, d + 1))
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
