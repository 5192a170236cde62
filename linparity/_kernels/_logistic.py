"""Numerically safe logistic pieces (finite for |s| up to 1e4 and beyond)."""

import math

from numba import njit


@njit(cache=True, inline="always")
def _sigmoid(s):
    # One formula for both signs: a branch on the sign is mispredicted half the time
    # on random logits, and for s < -709 exp overflows to inf and the result is the
    # right limit, 0. Against e / (1 + e) for s < 0 it differs by rounding only.
    return 1.0 / (1.0 + math.exp(-s))


@njit(cache=True, inline="always")
def _log_sigmoid(s):
    """ln sigma(s) = min(s, 0) - ln(1 + e^-|s|), without overflow for large |s|.

    The same operations as branching on the sign (-ln(1 + e^-s) for s >= 0,
    s - ln(1 + e^s) below), without the branch, mispredicted on random signs.
    """
    return min(s, 0.0) - math.log1p(math.exp(-abs(s)))
