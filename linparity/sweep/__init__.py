"""``python -m linparity.sweep``: grids of simulate runs, local or on a Dask cluster, resumable.

Every grid point is one :func:`linparity.experiment.run`; its result (the simulate JSON
contract) is stored under ``--out DIR`` as ``<key>.json``, ``key`` a hash of the
run's full specification, and ``DIR/summary.csv`` (one row per run) is rebuilt from
those files.  The per-run metric is *samples to generalise*: the samples consumed
(pre-training plus RL) until greedy accuracy first reaches
:data:`linparity.evaluate.GENERALISE_ACCURACY` (0.99).  Plotted against
``d`` for ``p_long = C d^-kappa`` and ``p_long = C 2^(-d/k)`` it shows the
polynomial/exponential threshold of docs/theory.md section 4 (Theorem 2, formal
version); the printed table sets the measured growth beside the growth of the
sufficient sample count of :mod:`linparity.theory` (``polynomial_degree`` and
``exponential_rate``), the only use of the theory here.

Runs are computed by Dask workers (a ``LocalCluster`` of one single-threaded
process per core with ``NUMBA_NUM_THREADS=1``, or a running cluster given by
``--scheduler``) and written by this process as they arrive, each atomically, so a
kill loses at most the runs in flight.  See the README's "Running a sweep on a cluster" section.

The package follows the life of a sweep: :mod:`.grid` (the runs a command line
asks for), :mod:`.execute` (running them on Dask), :mod:`.store` (one file per run,
validated on reading; the summary CSV) and :mod:`.report` (the growth table).
Importing it loads no numba: a worker process must see ``NUMBA_NUM_THREADS=1``
before numba loads, so the simulator is imported lazily, inside the functions.
"""

from ..output import TMP_PREFIX
from .cli import main, parser
from .execute import run_adaptive, run_one, run_sweep, with_sweep_section
from .grid import GRID_FIELDS, Schedule, apply_budget, axis_fields, build_grid, make_spec, parse_schedule, run_key
from .report import growth_table
from .store import RUN_KEYS, SUMMARY, check_run, load_run, rebuild_summary, summary_row, summary_rows, write_summary

__all__ = [
    "GRID_FIELDS",
    "RUN_KEYS",
    "SUMMARY",
    "TMP_PREFIX",
    "Schedule",
    "apply_budget",
    "axis_fields",
    "build_grid",
    "check_run",
    "growth_table",
    "load_run",
    "make_spec",
    "main",
    "parser",
    "parse_schedule",
    "rebuild_summary",
    "run_key",
    "run_adaptive",
    "run_one",
    "run_sweep",
    "summary_row",
    "summary_rows",
    "with_sweep_section",
    "write_summary",
]
