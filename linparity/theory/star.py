"""Theorem 2: the STaR long fraction, the rounds it needs and how errors compound.

Implements docs/theory.md section 4 (Theorem 2).  One STaR round on the calibrated
model maps the long fraction ``p`` to ``2p / (1 + p)``: the odds ``p / (1 - p)``
double.  Round counts are decided with exact rational arithmetic on the value
actually passed (a float is the dyadic rational it stores), because the thresholds
``p_n = 1/3`` and ``p_n = 1 - eta`` are often hit exactly by rational inputs and
``log2`` in floating point rounds the wrong way there.
"""

from __future__ import annotations

import math

import numpy as np

from ._inputs import as_probability_array, elementwise, exact_fraction, scalar_or_array

__all__ = ["compounded_error", "rounds_to_fraction", "rounds_to_greedy", "star_long_fraction"]


def star_long_fraction(p_long, n):
    """Long fraction after ``n`` STaR rounds, ``p_n = 2^n p / (2^n p + 1 - p)``.

    docs/theory.md section 4, Theorem 2: the odds ``p_n / (1 - p_n)`` double every round.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction ``p_0 = p`` of the pre-training mixture, in ``[0, 1]``.
    n : int, float or array_like
        Number of rounds, ``n >= 0`` (non-integer values interpolate the odds).

    Returns
    -------
    float or numpy.ndarray
        ``p_n``, broadcast over ``p_long`` and ``n``.  ``p_long = 0`` stays 0 and
        ``p_long = 1`` stays 1.
    """
    p = as_probability_array(p_long)
    n_arr = np.asarray(n, dtype=float)
    if np.any(np.isnan(n_arr)) or np.any(n_arr < 0):
        raise ValueError(f"n must be >= 0, got {n!r}")
    # Written as p / (p + (1 - p) 2^-n) so that large n does not overflow 2^n.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = p / (p + (1.0 - p) * np.exp2(-n_arr))
    value = np.where(p == 0.0, 0.0, value)
    return value[()] if value.ndim == 0 else value


def _rounds_to_greedy_exact(p_long):
    p = exact_fraction(p_long, "p_long")
    if p == 0:
        return math.inf
    # p_n > 1/3  <=>  odds 2^n p / (1 - p) > 1/2  <=>  2^n > (1 - p) / (2 p) =: r.
    # For an integer 2^n, 2^n > r <=> 2^n > floor(r); the smallest such n is the
    # bit length of floor(r) (0 when floor(r) = 0).
    r = (1 - p) / (2 * p)
    return int(r.numerator // r.denominator).bit_length()


def rounds_to_greedy(p_long):
    """Smallest number of STaR rounds ``n >= 0`` with ``p_n > 1/3``.

    docs/theory.md section 4, Theorem 2: greedy decoding outputs the full chain once the
    long fraction passes the greedy threshold 1/3, i.e. the smallest
    ``n > log2((1 - p) / (2 p))``.  Decided exactly on the rational value of the
    input (see the module notes), so e.g. ``rounds_to_greedy(Fraction(1, 5)) == 2``
    (``p_1 = 1/3`` exactly, not above) while the float ``0.2``, which is slightly
    above 1/5, needs 1 round.

    Parameters
    ----------
    p_long : float, Fraction, sympy Rational or array_like
        Long fraction of the pre-training mixture, in ``[0, 1]``.

    Returns
    -------
    int or float or numpy.ndarray
        For a scalar: a Python ``int`` (0 when ``p_long > 1/3``), or ``math.inf``
        when ``p_long == 0`` (the odds stay 0 for ever).  For an array: a float
        array of the same shape holding whole numbers and ``inf`` where
        ``p_long == 0``.
    """
    return elementwise(_rounds_to_greedy_exact, p_long)


def _rounds_to_fraction_exact(p_long, eta):
    p = exact_fraction(p_long, "p_long")
    e = exact_fraction(eta, "eta")
    if p == 1 or e == 1:
        return 0
    if p == 0 or e == 0:
        return math.inf  # p_n < 1 for every finite n when 0 < p < 1
    # p_n >= 1 - eta  <=>  2^n >= (1 - eta)(1 - p) / (eta p) =: R  <=>  2^n >= ceil(R);
    # the smallest such n is the bit length of ceil(R) - 1.
    ratio = (1 - e) * (1 - p) / (e * p)
    ceil_ratio = -((-ratio.numerator) // ratio.denominator)
    return int(max(ceil_ratio - 1, 0)).bit_length()


def rounds_to_fraction(p_long, eta):
    """Smallest number of STaR rounds ``n >= 0`` with ``p_n >= 1 - eta``.

    docs/theory.md section 4, Theorem 2: ``n >= log2((1 - eta)(1 - p) / (eta p))``.
    Decided exactly on the rational values of the inputs.

    Parameters
    ----------
    p_long : float, Fraction, sympy Rational or array_like
        Long fraction of the pre-training mixture, in ``[0, 1]``.
    eta : float, Fraction, sympy Rational or array_like
        Allowed short fraction, in ``[0, 1]``.

    Returns
    -------
    int or float or numpy.ndarray
        For scalars a Python ``int``, or ``math.inf`` when the target is never
        reached (``p_long == 0`` or ``eta == 0`` with ``p_long < 1``).  For arrays a
        float array (whole numbers and ``inf``).
    """
    return elementwise(_rounds_to_fraction_exact, p_long, eta)


def compounded_error(n, epsilon, form="derived"):
    """Bound on ``|q_n - p_n|`` after ``n`` STaR rounds with per-round error ``epsilon``.

    docs/theory.md section 4.  The round map ``f(q) = 2q/(1+q)`` is 2-Lipschitz on
    ``[0, 1]`` (``f'(q) = 2/(1+q)^2``), so ``e_{n+1} <= 2 e_n + epsilon`` with
    ``e_0 = epsilon``: ``e_n <= (2^(n+1) - 1) epsilon`` (derived).  The published
    ``2^n epsilon`` is the same up to the factor 2.

    Parameters
    ----------
    n : int or array_like
        Rounds, ``>= 0``.
    epsilon : float or array_like
        Per-round estimation error.
    form : {"derived", "published"}

    Returns
    -------
    float or numpy.ndarray
    """
    n = np.asarray(n, dtype=float)
    if np.any(n < 0):
        raise ValueError("n must be >= 0")
    eps = np.asarray(epsilon, dtype=float)
    if form == "derived":
        return scalar_or_array((np.exp2(n + 1) - 1.0) * eps)
    if form == "published":
        return scalar_or_array(np.exp2(n) * eps)
    raise ValueError(f"form must be 'derived' or 'published', got {form!r}")
