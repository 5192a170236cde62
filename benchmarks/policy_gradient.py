"""One REINFORCE step on a batch (docs/theory.md section 4), three ways.

The work: sample one response for each of n prompts (d = 64, temperature 1), score
it with r_cot, take advantages r - mean(r), and compute the exact
``sum_i A_i grad log pi(y_i | x_i)`` over every parameter. Throughput is prompts per
second. The numpy and PyTorch versions are vectorised over the batch, position by
position (PyTorch differentiates the summed log-probability with autograd).
"""

import numpy as np

from linparity import reference as ref
from linparity import rl, task

from ._common import best_time, random_model, record
from .sampling import sample_and_score


def _log_prob_terms(lib, blocks, x, y, go):
    """Per-response log-probabilities of given responses, vectorised (numpy or torch)."""
    cat = lib.cat if hasattr(lib, "cat") else lib.concatenate
    logsig = lambda s: -lib.log1p(lib.exp(-s))
    n, d = x.shape
    logp = logsig(y[:, 0] * (x @ blocks[0]))
    phi = cat([x, y[:, :1], y[:, :1] * x], 1)
    stop = lib.where(go, -1.0, 1.0) if lib is np else (1.0 - 2.0 * go.double())
    logp = logp + logsig(stop * (phi @ blocks[1][:-1] + blocks[1][-1]))
    xg, yg = x[go], y[go]
    chain_terms = 0.0
    for l in range(2, d + 1):
        phi = cat([xg, yg[:, : l - 1], yg[:, l - 2 : l - 1] * xg], 1)
        chain_terms = chain_terms + logsig(yg[:, l - 1] * (phi @ blocks[l]))
    return logp, chain_terms


def numpy_gradient(blocks, x, y, go, adv):
    """sum_i adv_i grad log pi, by hand: (t sigma(-t s)) times the features, per position."""
    sig = lambda s: 1 / (1 + np.exp(-s))
    d = x.shape[1]
    grads = []
    t = y[:, 0]
    grads.append(x.T @ (adv * t * sig(-t * (x @ blocks[0]))))
    phi = np.concatenate([x, y[:, :1], y[:, :1] * x, np.ones((len(x), 1))], 1)
    t = np.where(go, -1.0, 1.0)
    grads.append(phi.T @ (adv * t * sig(-t * (phi @ blocks[1]))))
    xg, yg, ag = x[go], y[go], adv[go]
    for l in range(2, d + 1):
        phi = np.concatenate([xg, yg[:, : l - 1], yg[:, l - 2 : l - 1] * xg], 1)
        t = yg[:, l - 1]
        grads.append(phi.T @ (ag * t * sig(-t * (phi @ blocks[l]))))
    return np.concatenate(grads)


def run(quick):
    d = 64
    n = 512 if quick else 4096
    rng = np.random.default_rng(1)
    model = random_model(d, rng)
    x = task.draw_prompts(n, d, key=task.stream_key(4, 0))
    results = []

    def linparity_way():
        y, lengths = model.generate(x, key=9)
        adv = rl.reinforce_advantages(task.reward("cot", x, y, lengths, check=False))
        rl.policy_gradient(model, x, y, lengths, adv)

    seconds = best_time(linparity_way, repeat=5)
    results.append(record("policy_gradient", "linparity", d, None, n / seconds, "prompts/s"))
    blocks = ref.split(model.theta, d)
    xf = x.astype(np.float64)
    uniforms = rng.random((n, d + 1))

    def numpy_way():
        y, _, _ = sample_and_score(np, blocks, xf, uniforms)
        go = y[:, 1] != 0
        lengths = np.where(go, d, 1)
        reward = task.reward("cot", x, y.astype(np.int8), lengths, check=False).astype(float)
        numpy_gradient(blocks, xf, y, go, reward - reward.mean())

    seconds = best_time(numpy_way, repeat=3)
    results.append(record("policy_gradient", "numpy", d, None, n / seconds, "prompts/s"))
    try:
        import torch
    except ImportError:
        return results
    tb = [torch.tensor(b, requires_grad=True) for b in blocks]
    tx, tu = torch.as_tensor(xf), torch.as_tensor(uniforms)

    def torch_way():
        with torch.no_grad():
            y, _, _ = sample_and_score(torch, [b.detach() for b in tb], tx, tu)
        go = y[:, 1] != 0
        lengths = np.where(go.numpy(), d, 1)
        reward = torch.as_tensor(
            task.reward("cot", x, y.numpy().astype(np.int8), lengths, check=False), dtype=torch.float64
        )
        logp, chain = _log_prob_terms(torch, tb, tx, y, go)
        adv = reward - reward.mean()
        loss = -(adv * logp).sum() - (adv[go] * chain).sum()
        for b in tb:
            b.grad = None
        loss.backward()

    seconds = best_time(torch_way, repeat=3)
    results.append(
        record("policy_gradient", "torch", d, None, n / seconds, "prompts/s", torch_threads=torch.get_num_threads())
    )
    return results
