"""Exact population losses of the linear AR model for small d (docs/theory.md sections 1-2).

Everything here enumerates all ``2^d`` prompts and both demonstration types, so
expectations are exact sums.  The per-position problems are minimised with scipy
(trust-region Newton on the convex regularised logistic loss); this is independent
of both :mod:`linparity.theory` (which solves the reduced scalar problems) and of
the simulator.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp
from scipy.optimize import minimize


def prompts(d):
    """All inputs ``x in {-1, +1}^d`` as a ``(2^d, d)`` float array."""
    return np.array(list(itertools.product([1.0, -1.0], repeat=d)))


def walsh_features(x):
    """Every Walsh monomial ``prod_{i in S} x_i`` of ``x``, ``S`` in binary order (empty set first)."""
    phi = np.ones(1)
    for v in x:
        phi = np.concatenate([phi, phi * v])  # S without, then with, this bit
    return phi


def _position1_features(x, walsh):
    return walsh_features(x) if walsh else x.copy()


def _rows(d, position, l=None):
    """Yield ``(features, target, kind)`` per (prompt, demonstration type).

    ``kind`` is ``"long"`` or ``"short"``; the weight of a row is
    ``p / 2^d`` or ``(1 - p) / 2^d`` (chain positions: long rows only).
    """
    for x in prompts(d):
        chain = np.cumprod(x)  # c_1, ..., c_d
        chi = chain[-1]
        for kind in ("long", "short"):
            y1 = x[0] if kind == "long" else chi
            if position in ("1", "1-walsh"):
                yield _position1_features(x, position == "1-walsh"), y1, kind
            elif position == "2a":
                phi = np.concatenate([x, [y1], y1 * x, [1.0]])  # bias last
                yield phi, (-1.0 if kind == "long" else 1.0), kind
            elif position == "chain":
                if kind == "short":
                    continue
                prev = chain[l - 2]  # y_{l-1} = c_{l-1}
                phi = np.concatenate([x, chain[: l - 1], prev * x])
                yield phi, chain[l - 1], kind
            else:
                raise ValueError(position)


def position_data(d, p_long, position, l=None):
    """Feature matrix, targets and weights (summing to 1) of one position's problem."""
    feats, targets, weights = [], [], []
    for phi, target, kind in _rows(d, position, l):
        feats.append(phi)
        targets.append(target)
        if position == "chain":
            weights.append(1.0)
        else:
            weights.append(p_long if kind == "long" else 1.0 - p_long)
    w = np.array(weights)
    return np.array(feats), np.array(targets), w / w.sum()


def symbolic_position_data(d, p, position, l=None):
    """Same rows as :func:`position_data` with sympy weights in the symbol ``p``."""
    rows = []
    for phi, target, kind in _rows(d, position, l):
        if position == "chain":
            weight = sp.Rational(1, 2**d)
        else:
            weight = (p if kind == "long" else 1 - p) / 2**d
        rows.append(([int(v) for v in phi], int(target), weight))
    return rows


def minimise(features, targets, weights, lambda_):
    """Minimiser of ``sum w ln(1 + exp(-t <theta, phi>)) + lambda/2 |theta|^2``."""
    margins_sign = targets[:, None] * features

    def fun(theta):
        m = margins_sign @ theta
        return weights @ np.logaddexp(0.0, -m) + 0.5 * lambda_ * theta @ theta

    def jac(theta):
        m = margins_sign @ theta
        return -(weights * _sig(-m)) @ margins_sign + lambda_ * theta

    def hess(theta):
        m = margins_sign @ theta
        curv = weights * _sig(m) * _sig(-m)
        return (features.T * curv) @ features + lambda_ * np.eye(features.shape[1])

    theta0 = np.zeros(features.shape[1])
    res = minimize(fun, theta0, jac=jac, hess=hess, method="trust-exact", options={"gtol": 1e-13, "maxiter": 2000})
    return res.x


def _sig(s):
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def fit_model(d, p_long, lambda_, walsh=False):
    """Regularised population optimum of every position: dict of weight vectors.

    ``walsh``: position 1 over every Walsh monomial of x (docs/theory.md section 3.12);
    the model then carries ``"walsh": True`` and its position-1 weights are over those.
    """
    model = {"walsh": walsh}
    model["1"] = minimise(*position_data(d, p_long, "1-walsh" if walsh else "1"), lambda_)
    model["2a"] = minimise(*position_data(d, p_long, "2a"), lambda_)
    for l in range(2, d + 1):
        model[l] = minimise(*position_data(d, p_long, "chain", l), lambda_)
    return model


def _logit1(model, x):
    return model["1"] @ _position1_features(x, model.get("walsh", False))


def response_distribution(d, model, x):
    """Every response to prompt ``x`` with its probability under ``model``.

    Returns a list of ``(tokens, probability)``; ``tokens`` are the value tokens
    (EOS implicit): length 1 for a stop after ``y_1``, ``d`` otherwise.
    """
    out = []
    p1 = _sig(_logit1(model, x))
    for y1, py1 in ((1.0, p1), (-1.0, 1.0 - p1)):
        phi2 = np.concatenate([x, [y1], y1 * x, [1.0]])
        p_eos = _sig(model["2a"] @ phi2)
        out.append(((y1,), py1 * p_eos))
        # go on: chain positions 2..d
        partial = [((y1,), py1 * (1.0 - p_eos))]
        for l in range(2, d + 1):
            grown = []
            for tokens, prob in partial:
                phi = np.concatenate([x, tokens, tokens[-1] * x])
                pl = _sig(model[l] @ phi)
                grown.append((tokens + (1.0,), prob * pl))
                grown.append((tokens + (-1.0,), prob * (1.0 - pl)))
            partial = grown
        out.extend(partial)
    return out


def greedy_response(d, model, x):
    """Greedy decoding (ties: EOS at 2a, ``+1`` for value tokens)."""
    y1 = 1.0 if _logit1(model, x) >= 0 else -1.0
    phi2 = np.concatenate([x, [y1], y1 * x, [1.0]])
    if model["2a"] @ phi2 >= 0:
        return (y1,)
    tokens = (y1,)
    for l in range(2, d + 1):
        phi = np.concatenate([x, tokens, tokens[-1] * x])
        tokens = tokens + ((1.0 if model[l] @ phi >= 0 else -1.0),)
    return tokens


def model_summary(d, model):
    """Averages over prompts: long/short-correct mass, sampling and greedy accuracy, length."""
    long_mass = short_mass = accuracy = length = greedy_acc = greedy_len = 0.0
    xs = prompts(d)
    for x in xs:
        chain = tuple(np.cumprod(x))
        chi = chain[-1]
        for tokens, prob in response_distribution(d, model, x):
            if tokens == chain:
                long_mass += prob
            if tokens == (chi,):
                short_mass += prob
            accuracy += prob * (tokens[-1] == chi)
            length += prob * len(tokens)
        g = greedy_response(d, model, x)
        greedy_acc += g[-1] == chi
        greedy_len += len(g)
    m = len(xs)
    return {
        "long_correct": long_mass / m,
        "short_correct": short_mass / m,
        "sampling_accuracy": accuracy / m,
        "mean_length": length / m,
        "greedy_accuracy": greedy_acc / m,
        "greedy_length": greedy_len / m,
    }


# --------------------------------------------------------------------------- any training set


def demonstrations(d, p_long):
    """``D(p)`` as weighted samples: ``[(x, tokens, weight)]`` over every prompt, weights adding to 1."""
    out = []
    xs = prompts(d)
    for x in xs:
        chain = tuple(np.cumprod(x))
        out.append((x, chain, p_long / len(xs)))
        out.append((x, (chain[-1],), (1.0 - p_long) / len(xs)))
    return out


def kept_set(d, model):
    """The exact kept set of a STaR round (``r_cot``, temperature 1) sampled from ``model``.

    Every prompt, every response the model can give, weighted by its probability;
    only the exactly correct long and short answers are kept.  Weights are normalised.
    """
    out = []
    xs = prompts(d)
    for x in xs:
        chain = tuple(np.cumprod(x))
        for tokens, prob in response_distribution(d, model, x):
            if tokens == chain or tokens == (chain[-1],):
                out.append((x, tokens, prob / len(xs)))
    total = sum(w for _, _, w in out)
    return [(x, t, w / total) for x, t, w in out]


def fit_on(d, samples, lambdas):
    """Penalised optimum of every position on a weighted training set, over the full class.

    ``lambdas`` maps "1", "2a" and every chain position ``l`` to its penalty.  Chain
    positions learn from the long samples only, with their weights renormalised (as
    Algorithm 3 steps a chain position on long samples only).
    """
    rows = {"1": [], "2a": []}
    for x, tokens, w in samples:
        y1 = tokens[0]
        rows["1"].append((x.copy(), y1, w))
        rows["2a"].append((np.concatenate([x, [y1], y1 * x, [1.0]]), 1.0 if len(tokens) == 1 else -1.0, w))
        if len(tokens) == d:
            for l in range(2, d + 1):
                phi = np.concatenate([x, tokens[: l - 1], tokens[l - 2] * x])
                rows.setdefault(l, []).append((phi, tokens[l - 1], w))
    model = {}
    for key, data in rows.items():
        feats = np.array([r[0] for r in data])
        targets = np.array([r[1] for r in data])
        weights = np.array([r[2] for r in data])
        model[key] = minimise(feats, targets, weights / weights.sum(), lambdas[key])
    return model


def decomposition(d, model):
    """Means over prompts of P(y_1 = x_1), P(go | copy), P(go | flip), the chain success and p_long."""
    copy = go_copy = go_flip = long_ = 0.0
    xs = prompts(d)
    for x in xs:
        chain = np.cumprod(x)
        p_copy = _sig(x[0] * _logit1(model, x))
        g = {}
        for y1 in (1.0, -1.0):
            g[y1] = 1.0 - _sig(model["2a"] @ np.concatenate([x, [y1], y1 * x, [1.0]]))
        success = 1.0
        for l in range(2, d + 1):
            phi = np.concatenate([x, chain[: l - 1], chain[l - 2] * x])
            success *= _sig(chain[l - 1] * (model[l] @ phi))
        copy += p_copy
        go_copy += p_copy * g[x[0]]
        go_flip += (1 - p_copy) * g[-x[0]]
        long_ += p_copy * g[x[0]] * success
    m = len(xs)
    copy, go_copy, go_flip, long_ = copy / m, go_copy / m, go_flip / m, long_ / m
    return {
        "p_copy": copy,
        "p_go_given_copy": go_copy / copy,
        "p_go_given_no_copy": go_flip / (1 - copy),
        "chain_success": long_ / go_copy,
        "p_long": long_,
    }
