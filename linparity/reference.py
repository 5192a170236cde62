"""Slow, obviously correct plain-numpy twins of every numba kernel.

They materialise the feature vectors phi_l of docs/theory.md section 2, update the
Pegasos iterate and its running average explicitly (no running-sum tricks), and
loop over samples in Python. The tests hold the kernels to these results, and the
benchmarks time them as "the numpy way".

Parameters are in the theta layout (:mod:`linparity.layout`); the twins rebuild it
themselves (:func:`split`) rather than import it, so that they share nothing with
the code they check. Nothing here imports numba or the rest of the package.
"""

import numpy as np

MASK64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def hash64(key, counter):
    return mix64(key ^ mix64(((counter + 1) * GAMMA) & MASK64))


def uniform(key, counter):
    return (hash64(key, counter) >> 11) / 2.0**53


def prompt(key, first_counter, d):
    words = [hash64(key, first_counter + w) for w in range((d + 63) // 64)]
    return np.array([1 if (words[j // 64] >> (j % 64)) & 1 else -1 for j in range(d)], dtype=np.int8)


def draw_prompts(key, start, n, d):
    stride = (d + 63) // 64
    return np.array([prompt(key, (start + i) * stride, d) for i in range(n)], dtype=np.int8).reshape(n, d)


def draw_demonstrations(key, start, p_long, n, d):
    stride = (d + 63) // 64 + 1
    x = np.zeros((n, d), dtype=np.int8)
    y = np.zeros((n, d), dtype=np.int8)
    lengths = np.zeros(n, dtype=np.int64)
    for i in range(n):
        first = (start + i) * stride
        x[i] = prompt(key, first, d)
        chain = np.cumprod(x[i].astype(int))
        if uniform(key, first + stride - 1) < p_long:
            y[i], lengths[i] = chain, d
        else:
            y[i, 0], lengths[i] = chain[-1], 1
    return x, y, lengths


def sigmoid(s):
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def features(x, prefix):
    """phi for a context (x, y_1..y_m): [z, z_last * x] with z = (x, y); no bias."""
    z = np.concatenate([x, prefix]).astype(float)
    if len(prefix) == 0:
        return z
    return np.concatenate([z, prefix[-1] * np.asarray(x, float)])


def split(theta, d):
    """theta -> [w_1, (w_2a with bias last), w_2, ..., w_d] as separate arrays."""
    sizes = [d, 2 * d + 2] + [2 * d + l - 1 for l in range(2, d + 1)]
    return np.split(np.asarray(theta, float), np.cumsum(sizes)[:-1])


def logit(blocks, x, prefix, position):
    """Logit at ``position`` (1, '2a', or l = 2..d) given the value tokens so far."""
    if position == 1:
        return blocks[0] @ features(x, [])
    if position == "2a":
        return blocks[1][:-1] @ features(x, prefix[:1]) + blocks[1][-1]
    return blocks[position] @ features(x, prefix[: position - 1])


def first_logit(blocks, xi, first, i):
    """Position 1's logit of prompt ``i``: ``first[i]`` when given (a Walsh position 1), else linear."""
    return logit(blocks, xi, [], 1) if first is None else first[i]


def decode(theta, d, x, temperature=1.0, greedy=False, key=0, start=0, first=None):
    """Token by token decoding; the uniforms follow the kernel's numbering.

    ``first``: position 1's logit of every prompt, in place of ``<w_1, x>`` (as for
    the other twins below).
    """
    blocks = split(theta, d)
    y = np.zeros((len(x), d), dtype=np.int8)
    lengths = np.zeros(len(x), dtype=np.int64)

    def token(s, counter):
        if greedy:
            return 1 if s >= 0 else -1
        return 1 if uniform(key, counter) < sigmoid(s / temperature) else -1

    for i, xi in enumerate(x):
        base = (start + i) * (d + 1)
        prefix = [token(first_logit(blocks, xi, first, i), base)]
        if token(logit(blocks, xi, prefix, "2a"), base + 1) == 1:
            lengths[i] = 1
        else:
            for l in range(2, d + 1):
                prefix.append(token(logit(blocks, xi, prefix, l), base + l))
            lengths[i] = d
        y[i, : len(prefix)] = prefix
    return y, lengths


def log_prob(theta, d, x, y, lengths, temperature=1.0, first=None):
    blocks = split(theta, d)
    out = np.zeros(len(x))
    for i, xi in enumerate(x):
        prefix = list(y[i, : lengths[i]])
        terms = [
            np.log(sigmoid(prefix[0] * first_logit(blocks, xi, first, i) / temperature)),
            np.log(sigmoid((1 if lengths[i] == 1 else -1) * logit(blocks, xi, prefix, "2a") / temperature)),
        ]
        if lengths[i] == d:
            terms += [
                np.log(sigmoid(prefix[l - 1] * logit(blocks, xi, prefix, l) / temperature)) for l in range(2, d + 1)
            ]
        out[i] = np.sum(terms)
    return out


def response_stats(theta, d, x, first=None):
    """Exact (pi(correct long), pi(correct short), P(go on), P(y_1 = x_1), P(go | copy),
    P(go | no copy)) by enumerating the tree."""
    blocks = split(theta, d)
    out = np.zeros((len(x), 6))
    for i, xi in enumerate(x):
        chain = list(np.cumprod(xi.astype(int)))
        p1 = sigmoid(first_logit(blocks, xi, first, i))  # P(y_1 = +1)
        p_y1 = {1: p1, -1: 1 - p1}
        p_eos = {v: sigmoid(logit(blocks, xi, [v], "2a")) for v in (1, -1)}
        p_long = p_y1[chain[0]] * (1 - p_eos[chain[0]])
        for l in range(2, d + 1):
            p_long *= sigmoid(chain[l - 1] * logit(blocks, xi, chain, l))
        x1 = chain[0]
        out[i] = (
            p_long,
            p_y1[chain[-1]] * p_eos[chain[-1]],
            sum(p_y1[v] * (1 - p_eos[v]) for v in (1, -1)),
            p_y1[x1],
            1 - p_eos[x1],
            1 - p_eos[-x1],
        )
    return out


def algorithm3(d, lambdas, x, y, lengths, horizons=None, average_from=0):
    """Algorithm 3 exactly as written: explicit Pegasos iterates and their running mean.

    Only the iterates made by samples ``average_from, average_from + 1, ...`` enter
    the average (0: all of them, as in Algorithm 3; later starts model a warm
    STaR round). Returns the averaged parameters as one flat vector in the theta
    layout (a block with no averaged step returns its last iterate).
    """
    horizons = horizons if horizons is not None else [np.inf] * (d + 1)
    sizes = [d, 2 * d + 2] + [2 * d + l - 1 for l in range(2, d + 1)]
    w = [np.zeros(n) for n in sizes]
    avg = [np.zeros(n) for n in sizes]
    t = [0] * (d + 1)
    averaged = [0] * (d + 1)
    state = {"averaging": False}

    def step(k, phi, target):
        if t[k] >= horizons[k]:
            return
        t[k] += 1
        eta = 1.0 / (lambdas[k] * t[k])
        grad = -target * sigmoid(-target * (w[k] @ phi)) * phi + lambdas[k] * w[k]
        w[k] = w[k] - eta * grad
        if state["averaging"]:
            averaged[k] += 1
            avg[k] += (w[k] - avg[k]) / averaged[k]

    for index, (xi, yi, n) in enumerate(zip(x, y, lengths)):
        state["averaging"] = index >= average_from
        step(0, features(xi, []), yi[0])
        step(1, np.append(features(xi, yi[:1]), 1.0), 1 if n == 1 else -1)
        if n == d:
            for l in range(2, d + 1):
                step(l, features(xi, yi[: l - 1]), yi[l - 1])
    return np.concatenate([a if averaged[k] else w[k] for k, a in enumerate(avg)])


def walsh_monomials(xi):
    """Every monomial prod_{k in S} x_k of one prompt, S by bitmask (bit k for x_{k+1}; S = 0 the bias)."""
    d = len(xi)
    return np.array([np.prod([xi[k] for k in range(d) if (s >> k) & 1]) for s in range(1 << d)], dtype=float)


def walsh_logits(weights, x):
    """Position 1's logit <w, phi(x)> of every prompt, over explicitly built monomials."""
    return np.array([weights @ walsh_monomials(xi) for xi in x])


def walsh_position1(d, lam, x, y, horizon=np.inf, average_from=0):
    """Algorithm 3 for a Walsh position 1, as written: explicit Pegasos iterates over the
    2^d monomials and their running mean over the iterates of samples ``average_from``, ...

    Returns the averaged weights (the last iterate if none was averaged).
    """
    w = np.zeros(1 << d)
    avg = np.zeros(1 << d)
    t = averaged = 0
    for index, (xi, yi) in enumerate(zip(x, y)):
        if t >= horizon:
            break
        phi = walsh_monomials(xi)
        t += 1
        grad = -yi[0] * sigmoid(-yi[0] * (w @ phi)) * phi + lam * w
        w = w - grad / (lam * t)
        if index >= average_from:
            averaged += 1
            avg += (w - avg) / averaged
    return avg if averaged else w


def reward_cot(x, y, lengths):
    """1 iff the response equals the correct long or the correct short one, token by token."""
    out = []
    for xi, yi, n in zip(x, y, lengths):
        chain = list(np.cumprod(xi.astype(int)))
        response = list(yi[:n])
        out.append(response == chain or response == [chain[-1]])
    return np.array(out)


def reward_e2e(x, y, lengths):
    """1 iff the last value token equals the parity."""
    return np.array([yi[n - 1] == np.prod(xi.astype(int)) for xi, yi, n in zip(x, y, lengths)])


# --------------------------------------------------------------------------- policy gradient twins


def pg_gradient(theta, d, x, y, lengths, weights, temperature=1.0):
    """sum_i weights[i] * grad_theta ln pi_tau(y_i | x_i), with the features phi built explicitly.

    A token with target t and logit s contributes (t / tau) sigma(-t s / tau) phi to its
    position's block (2a: phi with a trailing 1 for the bias); blocks in the theta layout.
    """
    blocks = split(theta, d)
    grads = [np.zeros_like(b) for b in blocks]
    for xi, yi, n, w in zip(x, y, lengths, weights):
        prefix = list(yi[:n])

        def add(k, phi, s, t):
            grads[k] += w * (t / temperature) * sigmoid(-t * s / temperature) * phi

        add(0, features(xi, []), logit(blocks, xi, [], 1), prefix[0])
        add(1, np.append(features(xi, prefix[:1]), 1.0), logit(blocks, xi, prefix, "2a"), 1 if n == 1 else -1)
        if n == d:
            for l in range(2, d + 1):
                add(l, features(xi, prefix[: l - 1]), logit(blocks, xi, prefix, l), prefix[l - 1])
    return np.concatenate(grads)


def group_rollout(theta, d, key_x, key_y, start, group, n, temperature, end_to_end):
    """Rows start..start+n-1: prompt (start + r) // group, response r of the kernel's numbering."""
    prompts = [prompt(key_x, ((start + r) // group) * ((d + 63) // 64), d) for r in range(n)]
    x = np.array(prompts, dtype=np.int8).reshape(n, d)
    y, lengths = decode(theta, d, x, temperature, key=key_y, start=start)
    rewards = (reward_e2e if end_to_end else reward_cot)(x, y, lengths)
    return x, y, lengths, rewards


def grpo_advantages(rewards, group_size, eps):
    """(r_i - mean) / (std + eps) group by group, with explicit loops."""
    out = []
    for g in range(0, len(rewards), group_size):
        group = [float(r) for r in rewards[g : g + group_size]]
        mean = sum(group) / len(group)
        std = (sum((r - mean) ** 2 for r in group) / len(group)) ** 0.5
        out += [(r - mean) / (std + eps) for r in group]
    return np.array(out)
