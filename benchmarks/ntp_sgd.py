"""Algorithm 3's single-sample updates (docs/theory.md section 3), three ways.

The work: a fresh Algorithm 3 state takes n demonstrations of one kind (all long,
or all short) at a given d. Throughput is samples per second.
"""

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
    return results
