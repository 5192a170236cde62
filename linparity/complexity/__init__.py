"""Sample complexity, measured: the fewest samples with which NTP (then STaR) generalises.

docs/theory.md section 4.13.  The automatic budgets of :mod:`linparity.config` spend
``long_target / p_long`` samples whether or not fewer would do, so what a sweep
records as "samples to generalise" is the budget rule's spending.  This package
measures the *minimum* instead, within the one-parameter family of budgets that
``L`` sets: for a point ``(d, p_long, seed)`` the smallest per-stage long count ``L``
(floors off) at which the run reaches greedy accuracy 0.99, and ``N_min``, the
samples that run drew.

:mod:`.search` (the bracketing and bisection over a geometric grid, a pure state
machine), :mod:`.points` (a point's trials and record), :mod:`.fit` (the law
``N_min = C d^a p^-beta`` with bootstrap intervals over seeds), :mod:`.report`
(``summary.csv``, ``fit.json``, beside the theory's numbers) and :mod:`.cli`.  The
runs go through the sweep engine (:func:`linparity.sweep.run_adaptive`): Dask,
local or on a cluster, one file per run, resumable.
"""

from .fit import fit_law, fit_rate, law_along, law_band
from .points import CONTROL_LAMBDA_2A, CONTROL_PRETRAIN, Point, PointDriver, command_line, run_serially, trial_config
from .report import chance_wait, fit_report, minimal_run_seconds, summary_rows, upper_half
from .search import GRID_RATIO, GRID_START, PointSearch, grid_index, grid_value

__all__ = [
    "CONTROL_LAMBDA_2A",
    "CONTROL_PRETRAIN",
    "GRID_RATIO",
    "GRID_START",
    "Point",
    "PointDriver",
    "PointSearch",
    "chance_wait",
    "command_line",
    "fit_law",
    "fit_rate",
    "fit_report",
    "grid_index",
    "grid_value",
    "law_along",
    "law_band",
    "minimal_run_seconds",
    "run_serially",
    "summary_rows",
    "trial_config",
    "upper_half",
]
