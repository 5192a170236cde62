"""Numerically safe logistic pieces (finite for |s| up to 1e4 and beyond)."""

import math

from numba import njit


@njit(cache=True, inline="always")
def _sigmoid(s):
    if s >= 0.0:
        return 1.0 / (1.0 + math.exp(-s))
    e = math.exp(s)
    return e / (1.0 + e)


@njit(cache=True, inline="always")
def _log_sigmoid(s):
    """ln sigma(s) = -ln(1 + e^-s), without overflow for large |s|."""
    if s >= 0.0:
        return -math.log1p(math.exp(-s))
    return s - math.log1p(math.exp(s))
