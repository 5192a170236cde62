"""The paper's predictions: sympy expressions and fast numeric twins.

Implements THEORY.md section 3 (Lemma 1, the position-2a posteriors, the greedy
threshold 1/3, sampling accuracy and length after pre-training, the SGD bound,
Propositions 1-3, Theorem 1) and section 4 (Theorem 2: the STaR recursion, its
closed form, rounds to greedy success and to ``1 - eta``, error compounding and the
end-to-end sample complexity).  The paper writes ``p_cot`` for the share of long
demonstrations; we write ``p_long``.

This module imports nothing from the simulator (only numpy, sympy, scipy and the
standard library), so theory predictions can never be tuned to the simulator.

Numeric conventions
-------------------
* Numeric functions accept Python/numpy scalars and numpy arrays and broadcast.
* Round counts are decided with *exact* rational arithmetic on the value actually
  passed (a float is the dyadic rational it stores), because the thresholds
  ``p_n = 1/3`` and ``p_n = 1 - eta`` are often hit exactly by rational inputs and
  ``log2`` in floating point rounds the wrong way there.  Scalars may also be given
  as :class:`fractions.Fraction` or sympy ``Rational`` for exact answers.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np
import sympy as sp

__all__ = [
    "greedy_threshold",
    "star_long_fraction",
    "rounds_to_greedy",
    "rounds_to_fraction",
    "pretrain_long_fraction",
    "pretrain_short_correct",
    "pretrain_sampling_accuracy",
    "pretrain_greedy_accuracy",
    "pretrain_mean_length",
    "lemma1_weight",
]

#: Greedy decoding after pre-training goes on (long chain) iff ``p_long > 1/3``
#: (THEORY.md section 3, Theorem 1).  Exact sympy rational.
greedy_threshold = sp.Rational(1, 3)


# ---------------------------------------------------------------------------
# input helpers
# ---------------------------------------------------------------------------

def _as_probability_array(p_long, name="p_long"):
    """Return ``p_long`` as a float array, checking ``0 <= p_long <= 1``."""
    arr = np.asarray(p_long, dtype=float)
    if np.any(np.isnan(arr)) or np.any((arr < 0.0) | (arr > 1.0)):
        raise ValueError(f"{name} must lie in [0, 1], got {p_long!r}")
    return arr


def _exact(value, name):
    """Exact rational of a scalar (float, int, Fraction, sympy Rational)."""
    if isinstance(value, sp.Basic):
        if not value.is_Rational:
            raise ValueError(f"{name} must be a rational number, got {value!r}")
        value = Fraction(int(value.p), int(value.q))
    elif isinstance(value, (Fraction, numbers.Integral)):
        value = Fraction(value)
    else:
        fvalue = float(value)
        if math.isnan(fvalue):
            raise ValueError(f"{name} must not be NaN")
        value = Fraction(fvalue)  # exact: the dyadic rational the float stores
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def _is_scalar(value):
    return isinstance(value, (numbers.Number, Fraction, sp.Basic)) or np.ndim(value) == 0


def _elementwise(func, *args):
    """Apply an exact scalar rule to scalars (-> int or inf) or arrays (-> float array)."""
    if all(_is_scalar(a) for a in args):
        return func(*args)
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in args])
    out = np.empty(arrays[0].shape, dtype=float)
    for index in np.ndindex(out.shape):
        out[index] = func(*(a[index] for a in arrays))
    return out


# ---------------------------------------------------------------------------
# Theorem 2: the STaR long fraction
# ---------------------------------------------------------------------------

def star_long_fraction(p_long, n):
    """Long fraction after ``n`` STaR rounds, ``p_n = 2^n p / (2^n p + 1 - p)``.

    THEORY.md section 4, Theorem 2: the odds ``p_n / (1 - p_n)`` double every round.

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
    p = _as_probability_array(p_long)
    n_arr = np.asarray(n, dtype=float)
    if np.any(np.isnan(n_arr)) or np.any(n_arr < 0):
        raise ValueError(f"n must be >= 0, got {n!r}")
    # Written as p / (p + (1 - p) 2^-n) so that large n does not overflow 2^n.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = p / (p + (1.0 - p) * np.exp2(-n_arr))
    value = np.where(p == 0.0, 0.0, value)
    return value[()] if value.ndim == 0 else value


def _rounds_to_greedy_exact(p_long):
    p = _exact(p_long, "p_long")
    if p == 0:
        return math.inf
    # p_n > 1/3  <=>  odds 2^n p / (1 - p) > 1/2  <=>  2^n > (1 - p) / (2 p) =: r.
    # For an integer 2^n, 2^n > r <=> 2^n > floor(r); the smallest such n is the
    # bit length of floor(r) (0 when floor(r) = 0).
    r = (1 - p) / (2 * p)
    return int(r.numerator // r.denominator).bit_length()


def rounds_to_greedy(p_long):
    """Smallest number of STaR rounds ``n >= 0`` with ``p_n > 1/3``.

    THEORY.md section 4, Theorem 2: greedy decoding outputs the full chain once the
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
    return _elementwise(_rounds_to_greedy_exact, p_long)


def _rounds_to_fraction_exact(p_long, eta):
    p = _exact(p_long, "p_long")
    e = _exact(eta, "eta")
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

    THEORY.md section 4, Theorem 2: ``n >= log2((1 - eta)(1 - p) / (eta p))``.
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
    return _elementwise(_rounds_to_fraction_exact, p_long, eta)


# ---------------------------------------------------------------------------
# Section 3: the calibrated model after pre-training
# ---------------------------------------------------------------------------

def _scalar_or_array(value):
    value = np.asarray(value, dtype=float)
    return value[()] if value.ndim == 0 else value


def pretrain_long_fraction(p_long):
    """Probability of the correct long sequence after pre-training, ``p``.

    THEORY.md section 3, Theorem 1: ``pi(correct long | x) = p +- epsilon``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction of the pre-training mixture, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
        ``p_long`` itself (the calibrated model reproduces the mixture).
    """
    return _scalar_or_array(_as_probability_array(p_long))


def pretrain_short_correct(p_long):
    """Probability of the correct short sequence after pre-training, ``(1 - p) / 2``.

    THEORY.md section 3, Theorem 1.  Holds for every prompt ``x``: when
    ``chi(x) = x_1`` it is ``(1+p)/2 * (1-p)/(1+p)``, otherwise ``(1-p)/2 * 1``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = _as_probability_array(p_long)
    return _scalar_or_array((1.0 - p) / 2.0)


def pretrain_sampling_accuracy(p_long):
    """Accuracy of temperature-1 sampling after pre-training, ``(1 + p) / 2``.

    THEORY.md section 3: the long chain is right (mass ``p``) and exactly one of the
    two short answers is right (mass ``(1 - p) / 2``), for every prompt.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = _as_probability_array(p_long)
    return _scalar_or_array((1.0 + p) / 2.0)


def _greedy_accuracy_exact(p_long):
    p = _exact(p_long, "p_long")
    if p < Fraction(1, 3):
        return 0.5
    if p > Fraction(1, 3):
        return 1.0
    return 0.75


def pretrain_greedy_accuracy(p_long):
    """Greedy-decoding accuracy of the calibrated model after pre-training.

    THEORY.md section 3, Theorem 1 (for ``d >= 2``): below the threshold greedy
    outputs ``(x_1, EOS)``, right for half the prompts; above it outputs the full
    correct chain.

    Parameters
    ----------
    p_long : float, Fraction, sympy Rational or array_like
        Long fraction, in ``[0, 1]``; compared with 1/3 exactly (a float never
        equals 1/3; ``float(1/3)`` lies just below it and gives 1/2).

    Returns
    -------
    float or numpy.ndarray
        ``0.5`` if ``p_long < 1/3``, ``1.0`` if ``p_long > 1/3`` and ``0.75`` at
        exactly ``1/3``, where the position-2a logit is exactly 0: 0.75 is the
        accuracy under a fair-coin tie-break (a deterministic tie rule gives 1/2 or
        1).
    """
    return _elementwise(_greedy_accuracy_exact, p_long)


def pretrain_mean_length(p_long, d):
    """Expected response length (value tokens) after pre-training, ``p d + 1 - p``.

    THEORY.md section 3: long responses have ``d`` value tokens, short ones 1.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.
    d : int or array_like
        Input dimension (chain length), ``d >= 1``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = _as_probability_array(p_long)
    d_arr = np.asarray(d, dtype=float)
    if np.any(d_arr < 1):
        raise ValueError(f"d must be >= 1, got {d!r}")
    return _scalar_or_array(p * d_arr + 1.0 - p)


def lemma1_weight(p_long):
    """Weight of ``x_1`` in the best position-1 predictor, ``ln((1 + p) / (1 - p))``.

    THEORY.md section 3, Lemma 1: ``w_1* = ln((1 + p)/(1 - p)) e_1``, so that
    ``sigma(<w_1*, x>) = (1 + p x_1) / 2``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]`` (``inf`` at ``p_long = 1``).

    Returns
    -------
    float or numpy.ndarray
    """
    p = _as_probability_array(p_long)
    with np.errstate(divide="ignore"):
        # 2 artanh(p) = ln((1+p)/(1-p)), accurate for small p as well.
        return _scalar_or_array(2.0 * np.arctanh(p))
