"""The command line of a sweep (``python -m linparity.sweep``)."""

import math
import os
import sys
import typing

from ..cli import OneLineParser
from ..output import check_dir_writable
from .execute import OutputError, SchedulerError, run_sweep
from .grid import axis_fields, build_grid, parse_schedule, run_key
from .report import growth_table
from .store import SUMMARY, summary_rows, write_summary

#: Upper bound of ``--workers``, per core available.
WORKERS_PER_CORE = 4


def _axis_type(tp):
    """argparse converter for a (possibly Optional) field type; ``none``/``auto`` give None."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    optional, base = len(args) < len(typing.get_args(tp)), (args[0] if args else tp)

    def convert(text):
        if optional and text.lower() in ("none", "auto"):
            return None
        if base is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
        return base(text)

    convert.__name__ = getattr(base, "__name__", "value")
    return convert


def _budget(text):
    value = float(text)
    if not (math.isfinite(value) and value >= 1 and value == int(value)):
        raise ValueError(text)
    return int(value)


def parser():
    """The argument parser of ``python -m linparity.sweep``; its axes come from the config dataclass."""
    from ..config import fields
    from ..evaluate import GENERALISE_ACCURACY

    helps = {f["name"]: f["help"] for f in fields()}
    p = OneLineParser(
        prog="python -m linparity.sweep",
        description="Run a grid of linparity.simulate experiments (d x p_long x seeds x any simulate "
        "setting) on local processes or a Dask cluster, resumably, and tabulate the samples "
        f"needed to generalise (greedy accuracy >= {GENERALISE_ACCURACY}).",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="directory for the run files (<hash>.json) and summary.csv; created if missing",
    )
    g = p.add_argument_group("grid")
    g.add_argument("--d", type=int, nargs="+", default=[], metavar="D", help="input dimensions (>= 2)")
    g.add_argument(
        "--p-long",
        type=float,
        nargs="+",
        default=[],
        metavar="P",
        help="fixed long fractions in [0, 1] (the paper's p_cot)",
    )
    g.add_argument(
        "--p-schedule",
        type=str,
        nargs="+",
        default=[],
        metavar="SPEC",
        help="p_long tied to d: poly:C:KAPPA for C d^-kappa, exp:C:K for C 2^(-d/k)",
    )
    g.add_argument("--seeds", type=int, default=1, metavar="N", help="seeds 0 .. N-1 per grid point")
    g.add_argument(
        "--budget",
        type=_budget,
        default=None,
        metavar="SAMPLES",
        help="cap on total samples (pre-training + RL): later stages do not count, and RL "
        "rounds/steps are capped to fit (see the README's sweep section); default: no cap",
    )
    g = p.add_argument_group("simulate settings (each takes one or more values: every combination is run)")
    for name, tp, default in axis_fields():
        flag = "--" + name.rstrip("_").replace("_", "-")
        none = "; 'none' gives None" if type(None) in typing.get_args(tp) else ""
        g.add_argument(
            flag,
            dest=name,
            type=_axis_type(tp),
            nargs="+",
            default=None,
            metavar="V",
            help=f"{helps.get(name, 'SimulationConfig.' + name)} (default {default!r}{none})",
        )
    g = p.add_argument_group("execution and output")
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local worker processes, one thread each (default: the cores available)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="submit to a running Dask scheduler (e.g. tcp://10.0.0.1:8786) instead",
    )
    g.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def worker_count(workers, scheduler):
    """The local worker count: ``--workers``, else the cores available; ValueError naming the flag.

    ``None`` if the runs go to ``scheduler`` (a running cluster) instead.
    """
    cores = len(os.sched_getaffinity(0))
    if scheduler is not None:
        if workers is not None:
            raise ValueError("give --scheduler or --workers, not both")
        if not scheduler.strip():
            raise ValueError("--scheduler: empty address")
        return None
    if workers is None:
        return cores
    # More single-threaded processes than this only add start-up time and memory
    # (each holds its own simulator); a huge count would exhaust memory, not run faster.
    limit = WORKERS_PER_CORE * cores
    if not 1 <= workers <= limit:
        raise ValueError(
            f"--workers must be between 1 and {limit} ({WORKERS_PER_CORE} x the {cores} cores available), got {workers}"
        )
    return workers


def _grid(args):
    """The runs asked for, every one validated; ValueError (one line) otherwise."""
    axes = {name: getattr(args, name) for name, _, _ in axis_fields() if getattr(args, name) is not None}
    schedules = [parse_schedule(s) for s in args.p_schedule]
    return build_grid(args.d, args.p_long, schedules, args.seeds, axes, args.budget)


def _summary(out, prog):
    """Rebuild the summary from the run files; return ``(rows, written)``.

    A summary that cannot be written (``DIR/summary.csv`` a directory, a full disk) is
    said in one line: the run files are what matters, and they are kept.
    """
    rows = []
    try:
        rows = summary_rows(out)
        write_summary(out, rows)
    except OSError as exc:
        path = os.path.join(out, SUMMARY)
        sys.stderr.write(f"{prog}: error: cannot write {path}: {exc.strerror or exc}; the run files are kept\n")
        return rows, False
    return rows, True


def main(argv=None):
    args = parser().parse_args(argv)
    prog = "linparity.sweep"
    try:
        check_dir_writable(args.out, "--out")  # first: a bad --out is the cheapest thing to fix
        workers = worker_count(args.workers, args.scheduler)
        specs = _grid(args)
        import distributed  # noqa: F401  (fail here, with one line, if the extra is missing)
    except (ValueError, TypeError) as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    except ImportError:
        sys.stderr.write(f"{prog}: error: needs dask.distributed: pip install 'linparity[distributed]'\n")
        return 2
    try:
        done, resumed, failed = run_sweep(specs, args.out, scheduler=args.scheduler, workers=workers, quiet=args.quiet)
    except KeyboardInterrupt:
        if os.path.isdir(args.out):
            _summary(args.out, prog)
        sys.stderr.write(f"{prog}: interrupted; finished runs are kept, rerun to resume\n")
        return 130
    except SchedulerError as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    except OutputError as exc:  # a full disk, say: the summary could not be written either
        sys.stderr.write(f"{prog}: error: {exc}; finished runs are kept, rerun to resume\n")
        return 1
    except OSError as exc:  # e.g. the local cluster cannot start
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 1
    rows, written = _summary(args.out, prog)
    if not args.quiet:
        keys = {run_key(s) for s in specs}
        where = f"{os.path.join(args.out, SUMMARY)} has {len(rows)} rows" if written else "no summary written"
        sys.stdout.write(f"{len(specs)} runs: {done} run now, {resumed} resumed, {failed} failed; {where}\n")
        sys.stdout.write(growth_table([r for r in rows if r["key"] in keys]))
    return 1 if failed or not written else 0
