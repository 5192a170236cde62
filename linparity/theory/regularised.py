"""The L2-regularised population optima that Propositions 1-3 compare SGD with.

Implements docs/theory.md section 3 (Lemma 1 and Propositions 1-3): Algorithm 3 runs
regularised SGD, so each position converges to the minimiser of its regularised
population loss, not to the Bayes predictor.  Each optimum solves a one-dimensional
first-order condition, found by bracketing root search (scipy, imported on first
use); the propositions' regularisation terms bound its distance from the Bayes
predictor.
"""

from __future__ import annotations

import math

import numpy as np

from ._inputs import as_positive_array, as_probability_array, scalar_or_array

__all__ = [
    "regularised_2a_logits",
    "regularised_position1_weight",
    "regularised_wrong_probability",
]


def _sigmoid(s):
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def _root(func, lo, hi):
    from scipy.optimize import brentq  # lazy: keeps `import linparity.theory` fast

    if lo == hi:
        return lo
    return brentq(func, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)


def _position1_weight_scalar(p, lam):
    a0 = 2.0 * math.atanh(p)

    # first-order condition of E ln(1 + e^{-a y1 x1}) + lam a^2 / 2, with y1 x1 = +1
    # w.p. (1+p)/2; the root lies between 0 and the unregularised a0.
    def foc(a):
        return (1 - p) / 2 * _sigmoid(a) - (1 + p) / 2 * _sigmoid(-a) + lam * a

    return _root(foc, 0.0, a0)


def regularised_position1_weight(p_long, lambda_):
    """Weight ``a_lambda`` of ``x_1`` in the L2-regularised position-1 optimum.

    docs/theory.md section 3, Lemma 1 and Proposition 1: ``a_lambda`` solves
    ``(1-p)/2 sigma(a) - (1+p)/2 sigma(-a) + lambda a = 0``; it tends to the Lemma 1
    weight as ``lambda -> 0`` and ``|a_lambda - a_0| <= 4 lambda a_0 / (1 - p^2)``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1)``.
    lambda_ : float or array_like
        Regularisation strength, ``> 0``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = as_probability_array(p_long)
    if np.any(p >= 1):
        raise ValueError("p_long must be < 1")
    lam = as_positive_array(lambda_, "lambda_")
    return scalar_or_array(np.vectorize(_position1_weight_scalar, otypes=[float])(p, lam))


def _logits_2a_scalar(p, lam):
    u0 = math.log((1 - p) / (2 * p))

    # branch y1 = x1 (mass (1+p)/2), EOS w.p. (1-p)/(1+p); penalty (lam/4) u^2
    def foc_u(u):
        return -(1 - p) / 2 * _sigmoid(-u) + p * _sigmoid(u) + lam / 2 * u

    u = _root(foc_u, min(0.0, u0), max(0.0, u0))
    # branch y1 != x1 (mass (1-p)/2), always EOS: sigma(-v) = lam v / (1 - p)
    lam_flip = lam / (1 - p)
    v = _root(lambda v: _sigmoid(-v) - lam_flip * v, 0.0, 1.0 / lam_flip)
    return u, v


def regularised_2a_logits(p_long, lambda_):
    """Logits ``(u, v)`` of EOS at the L2-regularised position-2a optimum (``d >= 3``).

    docs/theory.md section 3, Proposition 2.  The optimum uses only the bias ``b`` and the
    weight ``a`` of ``y_1 x_1``; ``u = b + a`` is the logit after ``y_1 = x_1`` and
    ``v = b - a`` after ``y_1 != x_1``.  The penalty ``(lambda/2)(a^2 + b^2)`` equals
    ``(lambda/4)(u^2 + v^2)``, so the two branches decouple.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``(0, 1)``.
    lambda_ : float or array_like
        Regularisation strength, ``> 0``.

    Returns
    -------
    tuple of (float or numpy.ndarray)
        ``(u, v)``; ``sigma(u)`` tends to ``(1-p)/(1+p)`` and ``sigma(v)`` to 1.
    """
    p = as_probability_array(p_long)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("p_long must lie in (0, 1)")
    lam = as_positive_array(lambda_, "lambda_")
    u, v = np.vectorize(_logits_2a_scalar, otypes=[float, float])(p, lam)
    return scalar_or_array(u), scalar_or_array(v)


def regularised_wrong_probability(lambda_):
    """Wrong-token probability ``q`` at the regularised optimum of a separable position.

    docs/theory.md section 3, Proposition 3: ``min_a ln(1 + e^{-a}) + lambda a^2 / 2``
    gives ``q = sigma(-a) = lambda a``, i.e. ``q = lambda ln((1-q)/q)``,
    ``q ~ lambda ln(1/lambda)`` as ``lambda -> 0`` and ``q <= sqrt(lambda)`` always.
    Also the flip branch of 2a with ``lambda / (1 - p)``.

    Parameters
    ----------
    lambda_ : float or array_like
        Regularisation strength, ``> 0``.

    Returns
    -------
    float or numpy.ndarray
    """
    lam = as_positive_array(lambda_, "lambda_")

    def scalar(lam_value):
        a = _root(lambda a: _sigmoid(-a) - lam_value * a, 0.0, 1.0 / lam_value)
        return _sigmoid(-a)

    return scalar_or_array(np.vectorize(scalar, otypes=[float])(lam))
