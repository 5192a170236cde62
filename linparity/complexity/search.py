"""The minimal-budget search: the fewest long samples per stage that generalise.

docs/theory.md section 4.13.  For one point ``(d, p_long, seed)`` the budget is a
single number, the per-stage long count ``L`` (pre-training draws ``ceil(L / p_long)``
samples, every STaR round enough prompts for about ``L`` kept long answers, no
floors).  ``L`` runs over a geometric grid (``L_(k+1) = floor(1.5 L_k)``); the search brackets
the smallest generalising index from a starting guess by steps 1, 2, 4, ... and then
bisects.  That is correct only if success is monotone in ``L``, which is assumed and
then checked: the grid steps just above and below the answer are always run, and any
trial that succeeds below a failure is reported.

The search is a pure state machine (:class:`PointSearch`): it asks for grid indices
and is told whether each reached the target; it never runs anything itself, so a
driver can run many points at once, on any executor, and replay finished trials
from disk after an interruption.
"""

from __future__ import annotations

import math

__all__ = ["GRID_RATIO", "GRID_START", "PointSearch", "grid_value", "grid_index"]

#: The grid: ``L_0 = GRID_START``, ``L_(k+1) = floor(GRID_RATIO L_k)`` (integers, every ratio <= 1.5).
GRID_START, GRID_RATIO = 10, 1.5
_GRID = [GRID_START]


def grid_value(k):
    """The long count of grid index ``k`` (``k >= 0``)."""
    if k < 0:
        raise ValueError(f"grid index must be >= 0, got {k}")
    while len(_GRID) <= k:  # floor, not ceil: a ceiling would make some ratios exceed 1.5
        _GRID.append(max(_GRID[-1] + 1, math.floor(GRID_RATIO * _GRID[-1])))
    return _GRID[k]


def grid_index(value):
    """The smallest grid index whose long count is at least ``value``."""
    k = 0
    while grid_value(k) < value:
        k += 1
    return k


class PointSearch:
    """Bracketing then bisection over grid indices ``0 .. k_max``, then the monotonicity check.

    Parameters
    ----------
    k_start : int
        First index tried.
    k_max : int
        Largest index allowed (the point is "not reached" if it fails there).

    Use :meth:`wanted` for the indices to run next (one, or the two of the check),
    :meth:`tell` with each outcome, until :attr:`done`.  Outcomes already known (a
    trial stored on disk) may be told at any time; they are never asked for again.
    """

    def __init__(self, k_start, k_max):
        if not 0 <= k_start <= k_max:
            raise ValueError(f"need 0 <= k_start <= k_max, got {k_start}, {k_max}")
        self.k_max = k_max
        self.outcomes = {}  # index -> reached (bool)
        self._first = k_start

    # -- what is known ---------------------------------------------------------
    def _lowest_success(self):
        wins = [k for k, ok in self.outcomes.items() if ok]
        return min(wins) if wins else None

    def _highest_failure_below(self, k):
        losses = [j for j, ok in self.outcomes.items() if not ok and (k is None or j < k)]
        return max(losses) if losses else None

    @property
    def answer(self):
        """The smallest index that reached the target with every index below it tried or bracketed; None if none."""
        hi = self._lowest_success()
        if hi is None:
            return None
        lo = self._highest_failure_below(hi)
        if hi == 0 or lo == hi - 1:
            return hi
        return None

    def _next_search(self):
        """The next index of the bracketing/bisection, or None when it has converged."""
        if not self.outcomes:
            return self._first
        hi = self._lowest_success()
        if hi is None:  # every trial failed: step up, doubling the stride
            top = max(self.outcomes)
            if top >= self.k_max:
                return None  # not reached within the grid
            stride = 2 ** sum(1 for ok in self.outcomes.values() if not ok)
            return min(self.k_max, top + stride // 2 if stride > 1 else top + 1)
        lo = self._highest_failure_below(hi)
        if lo is None:  # every trial below hi untried: step down, doubling the stride
            if hi == 0:
                return None
            stride = 2 ** (sum(1 for ok in self.outcomes.values() if ok) - 1)
            return max(0, hi - stride)
        if hi - lo <= 1:
            return None
        return (lo + hi) // 2

    def wanted(self):
        """Indices to run next (not yet known); empty when :attr:`done`."""
        k = self._next_search()
        if k is not None:
            return [k]
        found = self.answer
        if found is None:
            return []
        return [j for j in (found - 1, found + 1) if 0 <= j <= self.k_max and j not in self.outcomes]

    def tell(self, k, reached):
        """Record that grid index ``k`` did (``True``) or did not reach the target."""
        self.outcomes[int(k)] = bool(reached)

    @property
    def done(self):
        return not self.wanted()

    @property
    def reached(self):
        return self.answer is not None

    def violations(self):
        """Pairs ``(fail, success)`` of indices with a failure above a success: success not monotone there."""
        fails = [j for j, ok in self.outcomes.items() if not ok]
        wins = [k for k, ok in self.outcomes.items() if ok]
        return sorted((j, k) for j in fails for k in wins if j > k)
