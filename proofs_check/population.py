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
            if position == "1":
                yield x.copy(), y1, kind
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


def fit_model(d, p_long, lambda_):
    """Regularised population optimum of every position: dict of weight vectors."""
    model = {}
    for position in ("1", "2a"):
        model[position] = minimise(*position_data(d, p_long, position), lambda_)
    for l in range(2, d + 1):
        model[l] = minimise(*position_data(d, p_long, "chain", l), lambda_)
    return model


def response_distribution(d, model, x):
    """Every response to prompt ``x`` with its probability under ``model``.

    Returns a list of ``(tokens, probability)``; ``tokens`` are the value tokens
    (EOS implicit): length 1 for a stop after ``y_1``, ``d`` otherwise.
    """
    out = []
    p1 = _sig(model["1"] @ x)
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
    y1 = 1.0 if model["1"] @ x >= 0 else -1.0
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
