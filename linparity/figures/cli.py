"""The command ``python -m linparity.figures``: compute, store, plot (or only replot)."""

import os
import sys
import time

from ..cli import OneLineParser, exit_on_interrupt
from ..output import OutputError, check_dir_writable
from . import plot, report, store
from .compute import RunCache, Settings
from .registry import FIGURES

PROG = "linparity.figures"


def _parser():
    parser = OneLineParser(
        prog="python -m linparity.figures",
        description="Regenerate the figures: measured curves over predicted ones. Each figure's "
        "measurements are stored in OUT/data/NAME.json and drawn from there.",
    )
    parser.add_argument(
        "names", nargs="*", default=["all"], metavar="NAME", help=f"figures to make (default all): {', '.join(FIGURES)}"
    )
    parser.add_argument("--quick", action="store_true", help="small runs: a smoke test of every figure")
    parser.add_argument(
        "--replot",
        action="store_true",
        help="no simulation: redraw the figures, summary.json and README.md from OUT/data",
    )
    parser.add_argument("--out", default="figures", help="output directory")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per measured curve (default 3; 1 with --quick)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def _error(message, code=2):
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return code


def compute_and_store(names, settings, out, say):
    """Run the experiments of ``names`` and store each figure's record in ``out/data``."""
    runs = RunCache()
    for name in names:
        start = time.perf_counter()
        # Computing writes nothing, and a Ctrl-C raised into numba's compiler can be
        # swallowed (see linparity.cli.exit_on_interrupt): exit from the handler.
        with exit_on_interrupt(PROG, "; figures finished so far are stored"):
            record = FIGURES[name].compute(settings, runs)
        seconds = time.perf_counter() - start
        record = {
            "figure": name,
            "paper": FIGURES[name].paper,
            "format": store.FORMAT,
            "predictions": store.PREDICTIONS,
            "quick": settings.quick,
            "seeds": list(settings.seeds),
            "seconds": seconds,
            "command": f"python -m linparity.figures {name}" + (" --quick" if settings.quick else "") + f" --out {out}",
            **record,
        }
        say(f"{name}: {seconds:.1f}s -> {store.write(out, record)}")


def draw_and_report(names, out, say):
    """Draw ``names`` from their stored records; rewrite summary.json and README.md from every record."""
    for name in names:
        record = store.read(out, name)
        fig = plot.render(FIGURES[name].draw, record)
        stem = os.path.join(out, name)
        plot.save(fig, stem)
        say(f"{name}: drawn -> {stem}.png")
    records = {name: store.read(out, name) for name in FIGURES if os.path.exists(store.data_path(out, name))}
    return report.write(out, records)


def main(argv=None):
    """Entry point; returns the exit code (2: bad arguments, 1: missing data)."""
    args = _parser().parse_args(argv)
    names = list(FIGURES) if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        return _error(f"unknown figure {unknown[0]!r}; choose from {', '.join(FIGURES)}")
    if args.replot and (args.quick or args.seeds is not None):
        return _error("--replot draws the stored data: it takes no --quick or --seeds")
    seeds = 3 if args.seeds is None else args.seeds
    if seeds < 1:
        return _error(f"--seeds must be >= 1, got {seeds}")
    try:
        check_dir_writable(args.out, "--out")
        os.makedirs(args.out, exist_ok=True)
    except ValueError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"--out {args.out}: cannot write there ({exc.strerror})")
    say = (lambda text: None) if args.quiet else (lambda text: print(text, flush=True))
    start = time.perf_counter()
    try:
        if not args.replot:
            settings = Settings(quick=args.quick, seeds=(0,) if args.quick else tuple(range(seeds)))
            compute_and_store(names, settings, args.out, say)
        draw_and_report(names, args.out, say)
    except store.MissingDataError as exc:
        return _error(str(exc), 1)
    except OutputError as exc:
        return _error(str(exc), 1)
    summary = os.path.join(args.out, "summary.json")
    say(f"{len(names)} figure(s) in {time.perf_counter() - start:.1f}s; summary: {summary}")
    return 0
