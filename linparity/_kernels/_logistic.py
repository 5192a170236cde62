"""Numerically safe logistic pieces (finite for |s| up to 1e4 and beyond)."""

import math

from numba import njit
from numba.extending import overload


def _exp(t):
    """``math.exp(t)``, overflowing to inf as compiled code does.

    Plain Python raises OverflowError instead (beyond t = ln(DBL_MAX) = 709.78), so
    this is what lets the kernels run as Python with ``NUMBA_DISABLE_JIT=1``.
    Compiled kernels use :func:`_exp_compiled`: their code is that of ``math.exp``.
    """
    try:
        return math.exp(t)
    except OverflowError:
        return math.inf


@overload(_exp, inline="always")
def _exp_compiled(t):
    return lambda t: math.exp(t)


@njit(cache=True, inline="always")
def _sigmoid(s):
    # One formula for both signs: a branch on the sign is mispredicted half the time
    # on random logits, and for s < -709 exp overflows to inf and the result is the
    # right limit, 0. Against e / (1 + e) for s < 0 it differs by rounding only.
    return 1.0 / (1.0 + _exp(-s))


@njit(cache=True, inline="always")
def _log_sigmoid(s):
    """ln sigma(s) = min(s, 0) - ln(1 + e^-|s|), without overflow for large |s|.

    The same operations as branching on the sign (-ln(1 + e^-s) for s >= 0,
    s - ln(1 + e^s) below), without the branch, mispredicted on random signs.
    """
    return min(s, 0.0) - math.log1p(math.exp(-abs(s)))
