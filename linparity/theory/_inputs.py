"""How values enter the theory layer: validation, exact rationals and broadcasting.

Shared by every numeric module of :mod:`linparity.theory` (docs/theory.md sections 3
and 4).  The numeric twins accept Python/numpy scalars and numpy arrays and
broadcast; the threshold decisions (round counts, the greedy threshold) are made on
the *exact* rational value of a scalar: a float is the dyadic rational it stores, and
:class:`fractions.Fraction` and sympy ``Rational`` are taken as they are.  sympy is
only recognised here, never imported.
"""

from __future__ import annotations

import math
import numbers
import sys
from fractions import Fraction

import numpy as np

__all__ = [
    "as_positive_array",
    "as_probability_array",
    "check_eps_delta",
    "elementwise",
    "exact_fraction",
    "is_scalar",
    "is_sympy",
    "scalar_or_array",
]


def is_sympy(value):
    """Whether ``value`` is a sympy object; never imports sympy (unloaded, it cannot be one)."""
    module = sys.modules.get("sympy")
    return module is not None and isinstance(value, module.Basic)


def as_probability_array(p_long, name="p_long"):
    """Return ``p_long`` as a float array, checking ``0 <= p_long <= 1``."""
    arr = np.asarray(p_long, dtype=float)
    if np.any(np.isnan(arr)) or np.any((arr < 0.0) | (arr > 1.0)):
        raise ValueError(f"{name} must lie in [0, 1], got {p_long!r}")
    return arr


def as_positive_array(value, name):
    """Return ``value`` as a float array, checking ``value > 0``."""
    arr = np.asarray(value, dtype=float)
    if np.any(np.isnan(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return arr


def exact_fraction(value, name):
    """Exact rational of a scalar (float, int, Fraction, sympy Rational)."""
    if is_sympy(value):
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


def is_scalar(value):
    """Whether ``value`` is one number (Python, numpy 0-d, Fraction or sympy)."""
    return isinstance(value, (numbers.Number, Fraction)) or is_sympy(value) or np.ndim(value) == 0


def elementwise(func, *args):
    """Apply an exact scalar rule to scalars (-> int or inf) or arrays (-> float array)."""
    if all(is_scalar(a) for a in args):
        return func(*args)
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in args])
    out = np.empty(arrays[0].shape, dtype=float)
    for index in np.ndindex(out.shape):
        out[index] = func(*(a[index] for a in arrays))
    return out


def scalar_or_array(value):
    """``value`` as a float array, or its scalar when 0-d: what every numeric twin returns."""
    value = np.asarray(value, dtype=float)
    return value[()] if value.ndim == 0 else value


def check_eps_delta(epsilon, delta):
    """Check a target accuracy ``0 < epsilon < 1`` and failure probability ``0 < delta <= 1``."""
    if not 0 < epsilon < 1:
        raise ValueError(f"epsilon must lie in (0, 1), got {epsilon!r}")
    if not 0 < delta <= 1:
        raise ValueError(f"delta must lie in (0, 1], got {delta!r}")
