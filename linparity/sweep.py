"""``python -m linparity.sweep``: grids of simulate runs, local or on a Dask cluster, resumable.

Every grid point is one :func:`linparity.simulate.run`; its result (the simulate JSON
contract) is stored under ``--out DIR`` as ``<key>.json``, ``key`` a hash of the
run's full specification, and ``DIR/summary.csv`` (one row per run) is rebuilt from
those files.  The per-run metric is *samples to generalise*: the samples consumed
(pre-training plus RL) until greedy accuracy first reaches 0.99.  Plotted against
``d`` for ``p_long = C d^-kappa`` and ``p_long = C 2^(-d/k)`` it shows the
polynomial/exponential threshold of THEORY.md section 4 (Theorem 2, formal
version); the printed table sets the measured growth beside the growth of the
sufficient sample count of :mod:`linparity.theory` (``polynomial_degree`` and
``exponential_rate``), the only use of the theory here.

Runs are computed by Dask workers (a ``LocalCluster`` of one single-threaded
process per core with ``NUMBA_NUM_THREADS=1``, or a running cluster given by
``--scheduler``) and written by this process as they arrive, each atomically, so a
kill loses at most the runs in flight.  See docs/sweep.md.
"""

import csv
import dataclasses
import hashlib
import importlib
import io
import json
import logging
import math
import os
import statistics
import sys
import tempfile
import time
import typing

# No numba at import time: a worker process that re-imports this module must see
# NUMBA_NUM_THREADS=1 before numba loads, so simulate (and theory) load lazily.

#: SimulationConfig fields the sweep sets itself (``--d``, ``--p-long``/``--p-schedule``, ``--seeds``).
GRID_FIELDS = ("d", "p_long", "seed")
#: Flags of the sweep itself; a SimulationConfig field of the same name is not exposed.
OWN_FLAGS = ("out", "p_schedule", "seeds", "budget", "workers", "scheduler", "quiet", "help")
SUMMARY = "summary.csv"
TMP_PREFIX = ".linparity-tmp-"
RUN_KEYS = ("config", "pretrain", "rl", "wall_seconds", "sweep")


# --------------------------------------------------------------------------- schedules

@dataclasses.dataclass(frozen=True)
class Schedule:
    """``p_long`` tied to ``d``: ``poly`` is ``C d^-a``, ``exp`` is ``C 2^(-d/a)``, ``fixed`` is ``C``."""

    kind: str
    c: float
    a: float = 0.0

    @property
    def label(self):
        return f"p={self.c:g}" if self.kind == "fixed" else f"{self.kind}:{self.c:g}:{self.a:g}"

    def p_long(self, d):
        if self.kind == "poly":
            return self.c * d ** -self.a
        if self.kind == "exp":
            return self.c * 2.0 ** (-d / self.a)
        return self.c

    def predicted_growth(self, d, d0):
        """Growth ``N(d) / N(d0)`` of :func:`linparity.theory.sample_complexity` (a sufficient count).

        ``d^polynomial_degree(kappa)`` for ``poly``, ``2^(exponential_rate(k) d)`` for
        ``exp`` (THEORY.md section 4, formal version of Theorem 2); ``None`` for a fixed p.
        """
        from . import theory

        if self.kind == "poly":
            return (d / d0) ** float(theory.polynomial_degree(self.a))
        if self.kind == "exp":
            return 2.0 ** (float(theory.exponential_rate(self.a)) * (d - d0))
        return None

    def growth_exponents(self, ds, ns):
        """Least-squares exponent of measured ``N(d)`` beside theory's, or None.

        ``N ~ d^e`` for ``poly`` (theory: ``polynomial_degree(kappa)``), ``N ~ 2^(e d)`` for
        ``exp`` (theory: ``exponential_rate(k)``); needs two or more distinct d.
        """
        from . import theory

        if self.kind == "fixed" or len(set(ds)) < 2:
            return None
        xs = [math.log2(d) if self.kind == "poly" else d for d in ds]
        ys = [math.log2(n) for n in ns]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        if self.kind == "poly":
            return slope, float(theory.polynomial_degree(self.a))
        return slope, float(theory.exponential_rate(self.a))


def parse_schedule(text):
    """``poly:C:KAPPA`` (``p = C d^-kappa``) or ``exp:C:K`` (``p = C 2^(-d/k)``) -> :class:`Schedule`."""
    parts = text.split(":")
    if len(parts) != 3 or parts[0] not in ("poly", "exp"):
        raise ValueError(f"--p-schedule must be poly:C:KAPPA or exp:C:K, got {text!r}")
    try:
        c, a = float(parts[1]), float(parts[2])
    except ValueError:
        raise ValueError(f"--p-schedule {text!r}: C and the exponent must be numbers") from None
    if not (math.isfinite(c) and c >= 0 and math.isfinite(a)):
        raise ValueError(f"--p-schedule {text!r}: C must be a finite number >= 0")
    if parts[0] == "poly" and a < 0 or parts[0] == "exp" and a <= 0:
        raise ValueError(f"--p-schedule {text!r}: need KAPPA >= 0 for poly, K > 0 for exp")
    return Schedule(parts[0], c, a)


# --------------------------------------------------------------------------- the grid

def axis_fields():
    """SimulationConfig fields that are sweep axes (every field but d, p_long and seed).

    Introspected, so fields added to the simulator become sweepable without a change here.
    """
    from .simulate import SimulationConfig

    hints = typing.get_type_hints(SimulationConfig)
    return [(f.name, hints.get(f.name, str), f.default) for f in dataclasses.fields(SimulationConfig)
            if f.name not in GRID_FIELDS and f.name.rstrip("_") not in OWN_FLAGS]


def apply_budget(config, budget):
    """Map the sample budget onto the simulator's knobs; return ``(config, caps)``.

    The exact cap is a ``max_samples`` field if SimulationConfig has one.  Otherwise the
    number of RL rounds (STaR) or steps (policy gradient) is capped at what fits in
    ``budget - pretrain_samples`` at the smallest size of a round (``samples_per_round``
    or ``simulate.ROUND_MIN``) or at the size of a step (``batch_size * group_size``
    responses).  Adaptive STaR rounds can still overshoot the budget in compute; the
    samples-to-generalise metric ignores every stage past it.
    """
    from . import simulate

    caps = {}
    if budget is None:
        return config, caps
    config = dict(config)
    if "max_samples" in config:
        old = config["max_samples"]
        config["max_samples"] = budget if old is None else min(old, budget)
        caps["max_samples"] = [old, config["max_samples"]]
    left = max(0, budget - (config.get("pretrain_samples") or 0))
    if config.get("rl") == "star" and "rounds" in config:
        knob, per_stage = "rounds", config.get("samples_per_round") or getattr(simulate, "ROUND_MIN", 1)
    elif "rl_steps" in config and config.get("rl") not in ("star", "none"):
        resolved = simulate.SimulationConfig(**config)
        if hasattr(resolved, "resolve_pg"):  # the automatic batch and group sizes
            resolved.resolve_pg()
        knob, per_stage = "rl_steps", (getattr(resolved, "batch_size", None) or 1) * (
            getattr(resolved, "group_size", None) or 1)
    else:
        return config, caps
    if isinstance(config[knob], int) and left // per_stage < config[knob]:
        caps[knob] = [config[knob], left // per_stage]
        config[knob] = left // per_stage
    return config, caps


def run_key(spec):
    """Hash of a run's specification (simulate config, schedule, budget, caps): its file name."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_grid(ds, p_longs, schedules, seeds, axes, budget):
    """Every run of the grid as a JSON-ready spec; ValueError (one line) for a bad grid.

    Parameters
    ----------
    ds : list of int
    p_longs : list of float
        Fixed long fractions.
    schedules : list of Schedule
        ``p_long`` as a function of ``d``.
    seeds : int
        Seeds ``0 .. seeds - 1``.
    axes : dict
        Other SimulationConfig fields, each with a list of values.
    budget : int or None

    Returns
    -------
    list of dict
        ``{"config", "schedule", "budget", "caps", "threshold"}``, without duplicates.
    """
    from .evaluate import GENERALISE_ACCURACY
    from .simulate import SimulationConfig

    schedules = [Schedule("fixed", p) for p in p_longs] + list(schedules)
    if not ds or not schedules or seeds < 1:
        raise ValueError("empty grid: give --d, at least one --p-long or --p-schedule, and --seeds >= 1")
    combos = [{}]
    for name, values in axes.items():
        combos = [{**c, name: v} for c in combos for v in values]
    specs = {}
    for sched in schedules:
        for d in ds:
            if isinstance(d, bool) or not isinstance(d, int) or d < 2:
                raise ValueError(f"--d must be integers >= 2, got {d!r}")
            p = sched.p_long(d)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{sched.label} gives p_long = {p:g} at d = {d}, outside [0, 1]")
            for combo in combos:
                for seed in range(seeds):
                    cfg = SimulationConfig(d=d, p_long=p, seed=seed, **combo).validate()
                    if (getattr(cfg, "target_accuracy", None) or 1.0) < GENERALISE_ACCURACY:
                        raise ValueError(f"--target-accuracy {cfg.target_accuracy} would stop runs before "
                                         f"greedy accuracy {GENERALISE_ACCURACY}, the sweep's metric")
                    config, caps = apply_budget(dataclasses.asdict(cfg), budget)
                    SimulationConfig(**config).validate()
                    spec = {"config": config, "schedule": sched.label, "budget": budget,
                            "caps": caps, "threshold": GENERALISE_ACCURACY}
                    specs.setdefault(run_key(spec), spec)
    return list(specs.values())


# --------------------------------------------------------------------------- the metric

# --------------------------------------------------------------------------- storage

def write_atomic(path, text):
    """Write through a temporary file in the same directory, fsync, then ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=TMP_PREFIX)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_run(path, key=None):
    """The stored result at ``path`` if it is complete and consistent, else None."""
    try:
        with open(path) as f:
            result = json.load(f)
        sweep = result["sweep"]
        ok = all(k in result for k in RUN_KEYS) and run_key(sweep["spec"]) == sweep["key"]
        name = os.path.basename(path)[:-len(".json")]
        return result if ok and sweep["key"] == name and key in (None, name) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def summary_row(result):
    """One tidy row: key, schedule, the run's config, the metric, and a few final numbers."""
    sweep, spec = result["sweep"], result["sweep"]["spec"]
    last = result["rl"][-1] if result["rl"] else result["pretrain"]
    metric = sweep["generalised"]
    return {"key": sweep["key"], "schedule": spec["schedule"], **spec["config"],
            "budget": spec["budget"], "threshold": spec["threshold"], "reached": metric["reached"],
            "samples_to_generalise": metric["samples"], "stage": metric["stage"],
            "samples_used": metric["samples_used"], "rl_stages": len(result["rl"]),
            "pretrain_samples_used": result["pretrain"]["samples"],
            "pretrain_greedy_accuracy": result["pretrain"]["greedy_accuracy"],
            "final_greedy_accuracy": last["greedy_accuracy"], "final_mean_length": last["mean_length"],
            "wall_seconds": result["wall_seconds"]}


def rebuild_summary(out_dir):
    """Rewrite ``out_dir/summary.csv`` from every valid run file; return the rows."""
    rows = []
    for name in sorted(os.listdir(out_dir)):
        if name.endswith(".json"):
            result = load_run(os.path.join(out_dir, name))
            if result is not None:
                rows.append(summary_row(result))
    rows.sort(key=lambda r: (r["schedule"], r.get("d", 0), r.get("p_long", 0), r.get("seed", 0), r["key"]))
    fields = list(dict.fromkeys(k for row in rows for k in row)) or ["key"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    write_atomic(os.path.join(out_dir, SUMMARY), buf.getvalue())
    return rows


# --------------------------------------------------------------------------- execution

def run_one(spec):
    """Run one grid point (on a worker); return the simulate result plus a ``sweep`` section."""
    import numba

    from .evaluate import samples_to_generalise
    from .simulate import SimulationConfig, run

    result = run(SimulationConfig(**spec["config"]), show_progress=False)
    result["sweep"] = {"key": run_key(spec), "spec": spec,
                       "generalised": samples_to_generalise(result, spec["budget"], spec["threshold"]),
                       "numba_threads": numba.get_num_threads()}
    return result


class _Bar:
    """``sweep: 5/16 runs (3 resumed), 0 failed, 12s elapsed, ~20s left`` on a TTY; lines otherwise."""

    def __init__(self, total, resumed, quiet, stream=None):
        self.stream = stream or sys.stderr
        self.tty = not quiet and self.stream.isatty()
        self.log = not quiet and not self.tty
        self.total, self.resumed, self.done, self.failed = total, resumed, 0, 0
        self.start = time.perf_counter()
        self.draw()

    def draw(self):
        if not self.tty:
            return
        now, finished = time.perf_counter() - self.start, self.done + self.failed
        todo = self.total - self.resumed - finished
        eta = f"~{now / finished * todo:.0f}s left" if finished else "ETA after the first run"
        self.stream.write(f"\rsweep: {self.resumed + self.done}/{self.total} runs ({self.resumed} resumed), "
                          f"{self.failed} failed, {now:.0f}s elapsed, {eta}   ")
        self.stream.flush()

    def finished(self, spec, message, failed=False):
        self.failed += failed
        self.done += not failed
        if self.log or failed:  # failures are errors: shown even with --quiet
            c, newline = spec["config"], "\n" if self.tty else ""  # leave the bar's line intact
            self.stream.write(f"{newline}[{self.resumed + self.done}/{self.total}] d={c['d']} "
                              f"p_long={c['p_long']:g} seed={c['seed']} rl={c.get('rl')} {spec['schedule']}: "
                              f"{message}\n")
        self.draw()

    def close(self):
        if self.tty:
            self.stream.write("\n")


def _describe(result):
    g = result["sweep"]["generalised"]
    return f"generalised after {g['samples']:,} samples ({g['stage']})" if g["reached"] else "not reached"


def _client(scheduler, workers):
    """A dask Client: to ``scheduler``, or to a LocalCluster of single-threaded processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="10s")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR,  # any free port
                           env={"NUMBA_NUM_THREADS": "1"})  # set in each process before numba loads
    return Client(cluster)


def run_sweep(specs, out_dir, *, scheduler=None, workers=1, quiet=False):
    """Run the specs that have no valid file in ``out_dir``; return ``(done, resumed, failed)``.

    Completed runs are skipped; missing and corrupted ones are (re)done.  Results are
    written here, one atomic file each, as they arrive from the workers.
    """
    for name in os.listdir(out_dir) if os.path.isdir(out_dir) else []:
        if name.startswith(TMP_PREFIX):  # a write that a kill interrupted
            os.unlink(os.path.join(out_dir, name))
    todo = [s for s in specs if load_run(os.path.join(out_dir, run_key(s) + ".json"), run_key(s)) is None]
    if not todo:
        os.makedirs(out_dir, exist_ok=True)
    bar = _Bar(len(specs), len(specs) - len(todo), quiet)
    if todo:
        from distributed import as_completed

        task = importlib.import_module("linparity.sweep").run_one  # by reference, also under -m
        with _client(scheduler, workers) as client:
            os.makedirs(out_dir, exist_ok=True)  # only once there is somewhere to run
            futures = {client.submit(task, s, key=f"linparity-run-{run_key(s)}", pure=False): s for s in todo}
            try:
                for future in as_completed(futures):
                    spec = futures[future]
                    try:
                        result = future.result()
                    except Exception as exc:  # a failed run is reported and redone next time
                        bar.finished(spec, f"failed: {type(exc).__name__}: {exc}", failed=True)
                        continue
                    write_atomic(os.path.join(out_dir, run_key(spec) + ".json"), json.dumps(result, indent=2) + "\n")
                    bar.finished(spec, _describe(result))
            finally:
                client.cancel(list(futures))
                cluster = client.cluster
                if cluster is not None:
                    cluster.close()
    bar.close()
    return bar.done, bar.resumed, bar.failed


# --------------------------------------------------------------------------- report

def growth_table(rows):
    """Median samples to generalise (over seeds) per group and d, with measured and predicted growth.

    A group is one schedule (or fixed p) and one value of every other varying field.
    Not-reached runs count as infinite, so a median is "not reached" when at least
    half the seeds (rounded down) are.  Growth is relative to the group's first d.
    """
    if not rows:
        return ""
    axes = [name for name, _, _ in axis_fields() if name in rows[0]]
    varying = [k for k in axes if len({json.dumps(r.get(k)) for r in rows}) > 1]
    groups = {}
    for r in rows:
        label = " ".join([r["schedule"]] + [f"{k}={r.get(k)}" for k in varying])
        groups.setdefault(label, {}).setdefault(r["d"], []).append(r)
    width, footers = max(len("group"), *map(len, groups)), []
    lines = [f"{'group':<{width}} {'d':>4} {'p_long':>10} {'reached':>8} {'median N':>12} "
             f"{'measured growth':>16} {'theory growth':>14}"]
    for label, by_d in sorted(groups.items()):
        schedule = next(iter(by_d.values()))[0]["schedule"]
        sched = None if schedule.startswith("p=") else parse_schedule(schedule)
        base, fitted = None, []
        for d in sorted(by_d):
            runs = by_d[d]
            values = [r["samples_to_generalise"] if r["reached"] else math.inf for r in runs]
            med = statistics.median(values)
            reached = sum(r["reached"] for r in runs)
            if math.isfinite(med):
                base = base or (d, med)
                fitted.append((d, med))
            measured = f"x{med / base[1]:.3g}" if base and math.isfinite(med) else "-"
            predicted = sched.predicted_growth(d, base[0]) if sched and base else None
            lines.append(f"{label:<{width}} {d:>4} {runs[0]['p_long']:>10.4g} {f'{reached}/{len(runs)}':>8} "
                         f"{(f'{med:,.0f}' if math.isfinite(med) else 'not reached'):>12} {measured:>16} "
                         f"{('-' if predicted is None else f'x{predicted:.3g}'):>14}")
        exponents = sched.growth_exponents(*zip(*fitted)) if sched and fitted else None
        if exponents:
            form = "d^{:.2f}" if sched.kind == "poly" else "2^({:.3f} d)"
            footers.append(f"{label}: measured N ~ {form.format(exponents[0])}, theory's sufficient "
                           f"N ~ {form.format(exponents[1])} (fit over the reached medians)")
    return "\n".join(lines + footers) + "\n"


# --------------------------------------------------------------------------- CLI

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


def _simulate_helps():
    """The simulate CLI's help text per field, where it can be read (else empty)."""
    from . import simulate

    try:
        return {a.dest: a.help for a in simulate._parser()._actions if a.help}
    except Exception:  # the simulator's private parser changed shape: fall back to field names
        return {}


def _parser():
    from ._cli import OneLineParser

    p = OneLineParser(
        prog="python -m linparity.sweep",
        description="Run a grid of linparity.simulate experiments (d x p_long x seeds x any simulate "
                    "setting) on local processes or a Dask cluster, resumably, and tabulate the samples "
                    "needed to generalise (greedy accuracy >= 0.99).")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="directory for the run files (<hash>.json) and summary.csv; created if missing")
    g = p.add_argument_group("grid")
    g.add_argument("--d", type=int, nargs="+", default=[], metavar="D", help="input dimensions (>= 2)")
    g.add_argument("--p-long", type=float, nargs="+", default=[], metavar="P",
                   help="fixed long fractions in [0, 1] (the paper's p_cot)")
    g.add_argument("--p-schedule", type=str, nargs="+", default=[], metavar="SPEC",
                   help="p_long tied to d: poly:C:KAPPA for C d^-kappa, exp:C:K for C 2^(-d/k)")
    g.add_argument("--seeds", type=int, default=1, metavar="N", help="seeds 0 .. N-1 per grid point")
    g.add_argument("--budget", type=_budget, default=None, metavar="SAMPLES",
                   help="cap on total samples (pre-training + RL): later stages do not count, and RL "
                        "rounds/steps are capped to fit (see docs/sweep.md); default: no cap")
    g = p.add_argument_group("simulate settings (each takes one or more values: every combination is run)")
    helps = _simulate_helps()
    for name, tp, default in axis_fields():
        flag = "--" + name.rstrip("_").replace("_", "-")
        none = "; 'none' gives None" if type(None) in typing.get_args(tp) else ""
        g.add_argument(flag, dest=name, type=_axis_type(tp), nargs="+", default=None, metavar="V",
                       help=f"{helps.get(name, 'SimulationConfig.' + name)} (default {default!r}{none})")
    g = p.add_argument_group("execution and output")
    g.add_argument("--workers", type=int, default=None,
                   help="local worker processes, one thread each (default: the cores available)")
    g.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="submit to a running Dask scheduler (e.g. tcp://10.0.0.1:8786) instead")
    g.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    prog = "linparity.sweep"
    try:
        if args.scheduler and args.workers is not None:
            raise ValueError("give --scheduler or --workers, not both")
        workers = args.workers if args.workers is not None else len(os.sched_getaffinity(0))
        if workers < 1:
            raise ValueError(f"--workers must be >= 1, got {workers}")
        axes = {name: getattr(args, name) for name, _, _ in axis_fields() if getattr(args, name) is not None}
        specs = build_grid(args.d, args.p_long, [parse_schedule(s) for s in args.p_schedule],
                           args.seeds, axes, args.budget)
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise ValueError(f"--out {args.out}: not a directory")
        import distributed  # noqa: F401  (fail here, with one line, if the extra is missing)
    except (ValueError, TypeError) as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    except ImportError:
        sys.stderr.write(f"{prog}: error: needs dask.distributed: pip install 'linparity[distributed]'\n")
        return 2
    try:
        done, resumed, failed = run_sweep(specs, args.out, scheduler=args.scheduler, workers=workers,
                                          quiet=args.quiet)
    except KeyboardInterrupt:
        if os.path.isdir(args.out):
            rebuild_summary(args.out)
        sys.stderr.write(f"{prog}: interrupted; finished runs are kept, rerun to resume\n")
        return 130
    except OSError as exc:  # e.g. the scheduler cannot be reached
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    rows = rebuild_summary(args.out)
    if not args.quiet:
        keys = {run_key(s) for s in specs}
        sys.stdout.write(f"{len(specs)} runs: {done} run now, {resumed} resumed, {failed} failed; "
                         f"{os.path.join(args.out, SUMMARY)} has {len(rows)} rows\n")
        sys.stdout.write(growth_table([r for r in rows if r["key"] in keys]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
