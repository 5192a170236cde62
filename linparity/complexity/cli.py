"""``python -m linparity.complexity``: the fewest samples that generalise, per point, and the fitted law."""

from __future__ import annotations

import math
import os
import sys

from ..cli import OneLineParser
from ..output import OutputError, check_dir_writable, write_csv, write_json

#: Largest number of points a search accepts (each is several simulate runs).
MAX_POINTS = 10_000
#: Largest long count a search may try (a stage of ``L / p_long`` samples).
L_LIMIT = 10_000_000
RL_CHOICES = ("star", "none")


def parser():
    p = OneLineParser(
        prog="python -m linparity.complexity",
        description="For every (d, p_long, seed): the smallest per-stage long count L (pre-training "
        "ceil(L / p_long) samples, every STaR round sized for L kept long answers, no budget floors) at "
        "which NTP then STaR (or NTP alone) reaches greedy accuracy >= 0.99, found on a geometric grid "
        "(ratio 1.5) by bracketing and bisection, with monotonicity checked; then N_min = C d^a p^-beta "
        "fitted with bootstrap intervals over seeds. --budget round is the control: a fixed pre-training "
        "and the smallest fixed round size N instead (p_long = 0 allowed). Resumable: rerun the same command.",
    )
    p.add_argument("--out", metavar="DIR", required=True, help="directory for runs/, points/, summary.csv, fit.json")
    g = p.add_argument_group("grid")
    g.add_argument("--d", type=int, nargs="+", required=True, metavar="D", help="input dimensions (>= 2)")
    g.add_argument(
        "--p-long",
        type=float,
        nargs="+",
        default=[],
        metavar="P",
        help="fixed long shares in (0, 1] ([0, 1] for --budget round)",
    )
    g.add_argument(
        "--p-schedule",
        nargs="+",
        default=[],
        metavar="SPEC",
        help="p_long tied to d: poly:C:KAPPA for C d^-kappa, exp:C:K for C 2^(-d/k)",
    )
    g.add_argument("--seeds", type=int, default=5, metavar="N", help="seeds 0 .. N-1 per point")
    g.add_argument("--rl", default="star", help="star (NTP then STaR) or none (NTP alone)")
    g.add_argument(
        "--budget",
        default="long",
        help="what is searched: long (the per-stage long count L), round (the control, docs/theory.md 4.14: "
        "100,000 pre-training samples, lambda_2a = 0.1, and the round size N) or pretrain (NTP alone's "
        "pre-training sample count N, with --rl none; docs/theory.md 4.15)",
    )
    g.add_argument(
        "--position1-features",
        default="linear",
        metavar="NAME",
        help="position 1's features: linear, or walsh (every monomial of x, d <= 20; with --rl none and "
        "--budget pretrain, docs/theory.md 3.12)",
    )
    g.add_argument("--l-start", type=int, default=1000, metavar="L", help="grid value tried first (L, or N)")
    g.add_argument("--l-max", type=int, default=400_000, metavar="L", help="largest grid value tried (L, or N)")
    g = p.add_argument_group("execution and output")
    g.add_argument("--workers", type=int, default=None, help="local worker processes (default: the cores)")
    g.add_argument("--scheduler", metavar="ADDRESS", default=None, help="a running Dask scheduler instead")
    g.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def _points(args):
    """Every point asked for, validated; ValueError in one line otherwise."""
    from .. import validation
    from ..sweep import Schedule, parse_schedule
    from ..walsh import POSITION1_FEATURES
    from .points import BUDGETS, Point

    validation.check_choice(args.rl, RL_CHOICES, "--rl")
    validation.check_choice(args.budget, BUDGETS, "--budget")
    validation.check_choice(args.position1_features, POSITION1_FEATURES, "--position1-features")
    if args.budget == "round" and args.rl != "star":
        raise ValueError("--budget round is the STaR control; it needs --rl star")
    if args.budget == "pretrain" and args.rl != "none":
        raise ValueError("--budget pretrain searches NTP alone's pre-training; it needs --rl none")
    if args.position1_features == "walsh" and args.budget != "pretrain":
        raise ValueError("--position1-features walsh is for NTP alone: give --rl none --budget pretrain")
    seeds = validation.check_count(args.seeds, "--seeds", 1, 1000, "more seeds than that is a days-long search")
    for flag, value in (("--l-start", args.l_start), ("--l-max", args.l_max)):
        validation.check_count(value, flag, 1, L_LIMIT, "a stage would hold more long samples than a run can")
    if args.l_start > args.l_max:
        raise ValueError(f"--l-start {args.l_start} is above --l-max {args.l_max}")
    schedules = [Schedule("fixed", validation.check_probability(p, "--p-long")) for p in args.p_long]
    schedules += [parse_schedule(s) for s in args.p_schedule]
    if not schedules:
        raise ValueError("give at least one --p-long or --p-schedule")
    points = []
    for d in args.d:
        try:
            validation.check_d(d)
        except ValueError as exc:
            raise ValueError(f"--d: {exc}") from None
        for sched in schedules:
            p = sched.p_long(d)
            if args.budget in ("round", "pretrain") and p == 0:
                pass  # these stages do not scale with 1/p_long
            elif not (math.isfinite(p) and 0 < p <= 1):
                raise ValueError(
                    f"{sched.label} gives p_long = {p:g} at d = {d}; the search needs p_long in (0, 1] "
                    "(its stages hold L / p_long samples)"
                )
            points.extend(
                Point(d, p, seed, args.rl, sched.label, args.budget, args.position1_features) for seed in range(seeds)
            )
    if len(points) > MAX_POINTS:
        raise ValueError(f"{len(points):,} points, more than {MAX_POINTS:,}; lower --seeds or split the grid")
    unique = list(dict.fromkeys(points))
    # a trial config must validate (d too large for memory limits, say) before any work
    from .points import trial_config

    for point in unique:
        trial_config(point, args.l_max)
    return unique


def _describe(record):
    head = f"d={record['d']} p_long={record['p_long']:.6g} seed={record['seed']} rl={record['rl']}"
    if record["error"]:
        return f"{head}: failed ({record['error']})"
    if not record["reached"]:
        return f"{head}: not reached up to L = {record['l_max']:,} ({len(record['trials'])} trials)"
    flag = "" if record["monotone"] else f"; NOT monotone: {record['violations']}"
    if record.get("budget") == "round":
        first = record["first_chain"]
        return (
            f"{head} (control): N_min = {record['l_min']:,} per round, {record['n_rl_min']:,} RL prompts, "
            f"first chain kept after {'-' if first is None else f'{first:,}'} ({len(record['trials'])} trials){flag}"
        )
    return f"{head}: L_min = {record['l_min']:,}, N_min = {record['n_min']:,} ({len(record['trials'])} trials){flag}"


def main(argv=None):
    args = parser().parse_args(argv)
    prog = "linparity.complexity"
    try:
        check_dir_writable(args.out, "--out")
        from ..sweep.cli import worker_count

        workers = worker_count(args.workers, args.scheduler)
        points = _points(args)
        import distributed  # noqa: F401  (one line if the extra is missing)
    except (ValueError, TypeError) as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    except ImportError:
        sys.stderr.write(f"{prog}: error: needs dask.distributed: pip install 'linparity[distributed]'\n")
        return 2
    from ..sweep import run_adaptive
    from ..sweep.execute import OutputError as SweepOutputError
    from ..sweep.execute import SchedulerError
    from .points import PointDriver
    from .report import CSV_FIELDS, fit_report, load_points, summary_rows

    runs_dir, points_dir = os.path.join(args.out, "runs"), os.path.join(args.out, "points")
    done = [0]

    def on_point(record):
        write_json(os.path.join(points_dir, record["name"] + ".json"), record)
        done[0] += 1
        if not args.quiet:
            sys.stdout.write(f"[{done[0]}/{len(points)}] {_describe(record)}\n")
            sys.stdout.flush()

    def on_result(spec, result, message):
        if result is None:
            c = spec["config"]
            value = c["long_target"] if c["long_target"] is not None else c["pretrain_samples"]
            sys.stderr.write(f"{prog}: d={c['d']} p_long={c['p_long']:g} seed={c['seed']} L={value}: {message}\n")

    driver = PointDriver(points, args.l_start, args.l_max, on_point=lambda r: on_point({**r, "name": _name(r)}))
    try:
        os.makedirs(points_dir, exist_ok=True)
        run_adaptive(driver, runs_dir, scheduler=args.scheduler, workers=workers, on_result=on_result)
        driver.wanted()  # finishes the points whose last answers came from disk
        records = load_points(points_dir)  # every point of DIR: invocations accumulate, as a sweep's runs do
        write_csv(os.path.join(args.out, "summary.csv"), summary_rows(records), CSV_FIELDS)
        fit = fit_report(records)
        write_json(os.path.join(args.out, "fit.json"), fit)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted; finished runs are kept, rerun to resume\n")
        return 130
    except SchedulerError as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    except (SweepOutputError, OutputError, OSError) as exc:
        sys.stderr.write(f"{prog}: error: {exc}; finished runs are kept, rerun to resume\n")
        return 1
    if not args.quiet:
        _print_fit(fit)
    return 1 if any(driver.records[p]["error"] for p in points) else 0


def _name(record):
    from .points import Point

    extra = record.get("budget", "long"), record.get("position1", "linear")
    return Point(record["d"], record["p_long"], record["seed"], record["rl"], record["schedule"], *extra).name


def _ci(ci):
    return "[-]" if ci is None else f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def _fmt(value):
    return "-" if value is None else f"{value:.3f}"


def _print_fit(fit):
    law = fit["n_min"]
    reached = f"{fit['reached']}/{fit['points']} points reached"
    for label, c in fit.get("control", {}).items():
        parts = [
            f"{name} {c[key + '_bits_per_d']:.3f} {_ci(c[key + '_bits_per_d_ci'])}"
            for key, name in (
                ("pretrained_wait", "first kept chain"),
                ("n_rl_min", "RL prompts to 0.99"),
                ("chance_wait", "chance"),
            )
            if key + "_bits_per_d" in c
        ]
        notes = ""
        if c.get("wait_censored"):
            notes += f"; {c['wait_censored']} waits censored (above every round 1 tried)"
        if c.get("at_grid_top"):
            notes += f"; reached only at the grid's top (d, seed): {c['at_grid_top']}"
        sys.stdout.write(f"control {label}: bits per unit d: {', '.join(parts) or '- (needs two or more d)'}{notes}\n")
    if not fit["schedules"] and law is None and fit.get("control"):
        return
    if law is None:
        sys.stdout.write(f"{reached}; no fit (needs two or more d and p_long)\n")
    else:
        th = fit["theory"]
        sys.stdout.write(
            f"{reached}; N_min = {law['C']:.3g} d^{law['a']:.2f} {_ci(law['a_ci'])} p^-{law['beta']:.2f} "
            f"{_ci(law['beta_ci'])} (counting bound: beta = 1; theory's sufficient construction: "
            f"a = {th['a_sufficient_construction']:g}, beta = {th['beta_sufficient_construction']:g})\n"
        )
    for label, s in fit["schedules"].items():
        if "measured" in s:
            unit = "exponent" if s["kind"] == "poly" else "bits per unit d"
            sys.stdout.write(
                f"{label}: measured {unit} {s['measured']:.3f} {_ci(s['measured_ci'])}, fitted law predicts "
                f"{_fmt(s.get('fitted_law_predicts'))}, theory's sufficient {s['theory_sufficient']:g}\n"
            )
    ntp = fit.get("ntp_alone", {}).get("n_min")
    if ntp is not None:
        sys.stdout.write(
            f"NTP alone: N_min = {ntp['C']:.3g} d^{ntp['a']:.2f} {_ci(ntp['a_ci'])} p^-{ntp['beta']:.2f} "
            f"{_ci(ntp['beta_ci'])}\n"
        )
    margin = fit.get("ntp_alone", {}).get("n_min_vs_margin")
    if margin is not None:
        sys.stdout.write(
            f"NTP alone: N_min = {margin['C']:.3g} d^{margin['a']:.2f} {_ci(margin['a_ci'])} "
            f"(p - 1/3)^-{margin['beta']:.2f} {_ci(margin['beta_ci'])}\n"
        )
    if fit["non_monotone"]:
        sys.stdout.write(f"non-monotone points: {len(fit['non_monotone'])} (see fit.json)\n")
