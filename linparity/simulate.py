"""``python -m linparity.simulate``: the command line of one experiment (docs/theory.md sections 1-4).

Pre-trains the linear autoregressive model with Algorithm 3 on D(p_long), then runs
STaR rounds (Algorithm 1), or REINFORCE / GRPO steps (``--rl reinforce|grpo``),
until greedy decoding is accurate, evaluating exactly after every stage (every
``--eval-every`` steps for the policy-gradient methods), and prints the measured long
fraction beside Theorem 2's prediction ``p_n = 2^n p / (2^n p + 1 - p)``.

The flags are built from :class:`linparity.config.SimulationConfig` (one declaration per
parameter); the experiment itself is :func:`linparity.experiment.run`.  Run
``python -m linparity.simulate --help`` for the flags; ``--json PATH`` writes the
machine-readable record described in the README.
"""

import argparse
import sys
import typing

from .cli import Console, OneLineParser, exit_on_interrupt, run_main

# Ctrl-C while numba loads (the first second) exits as an interrupted run would.
with exit_on_interrupt("linparity.simulate", "; nothing written", enabled=__name__ == "__main__"):
    from .config import GROUPS, SimulationConfig, check_memory, fields
    from .experiment import run
    from .output import OutputError, check_distinct, check_writable, write_csv, write_json
    from .rl import PG_ALGORITHMS

# The names researchers import from here (README); they live in config and experiment.
__all__ = ["SimulationConfig", "run", "main", "parser", "to_csv_rows", "CSV_FIELDS"]


def _base_type(tp):
    """``int | None`` -> ``int``: the converter argparse applies to a flag's text."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if args else tp


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults in the help, except for switches ("(default: True)" beside a flag that turns
    something off reads as the opposite of what it does) and helps that say their default."""

    def _get_help_string(self, action):
        if action.nargs == 0 or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def parser():
    """The argument parser of ``python -m linparity.simulate``, built from the config dataclass."""
    p = OneLineParser(
        prog="python -m linparity.simulate",
        description="Pre-train the linear autoregressive parity model with next-token "
        "prediction (Algorithm 3), then post-train it with STaR, REINFORCE or GRPO, "
        "and compare the measured long fraction with Theorem 2's prediction (STaR).",
        formatter_class=_HelpFormatter,
    )
    groups = {name: p.add_argument_group(name) for name in GROUPS}
    for f in fields():
        tp = _base_type(f["type"])
        if tp is bool:  # a switch: its flag turns the default off (or on)
            action = "store_false" if f["default"] else "store_true"
            groups[f["group"]].add_argument(f["flag"], dest=f["name"], action=action, help=f["help"])
            continue
        groups[f["group"]].add_argument(f["flag"], dest=f["name"], type=tp, default=f["default"], help=f["help"])
        if f["name"] == "target_accuracy":
            groups[f["group"]].add_argument("--no-early-stop", action="store_true", help="run all --rounds rounds")
    g = groups["evaluation and output"]
    g.add_argument("--json", metavar="PATH", default=None, help="write the full result as JSON")
    g.add_argument("--csv", metavar="PATH", default=None, help="write one tidy row per stage as CSV")
    g.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def config_from_args(args):
    """The :class:`SimulationConfig` that parsed arguments describe (``--no-early-stop`` included)."""
    values = {f["name"]: getattr(args, f["name"]) for f in fields()}
    if args.no_early_stop:
        values["target_accuracy"] = None
    return SimulationConfig(**values)


CSV_FIELDS = (
    "stage",
    "round",
    "samples",
    "cumulative_samples",
    "kept",
    "kept_long",
    "p_long",
    "predicted_p_long",
    "p_short_correct",
    "sampling_accuracy",
    "p_go",
    "greedy_accuracy",
    "greedy_length",
    "mean_length",
    "seconds",
    "step",
)


def to_csv_rows(result):
    """One tidy row per stage (pre-training is round 0), the rows of ``--csv``."""
    pre = dict(result["pretrain"], stage="pretrain", round=0, cumulative_samples=result["pretrain"]["samples"])
    return [pre] + [dict(r, stage="rl") for r in result["rl"]]


def _table_printer(stream):
    header = (
        f"{'stage':<9} {'samples':>10} {'kept long':>10} {'p_long':>8} {'predicted':>9} "
        f"{'ratio':>6} {'greedy acc':>10} {'greedy len':>10} {'mean len':>8} {'seconds':>7}"
    )
    stream.write(header + "\n")

    def row(stage, r):
        name = "pretrain" if stage == "pretrain" else (f"step {r['step']}" if "step" in r else f"round {r['round']}")
        kept_long = r.get("kept_long", r.get("long_samples"))
        pred = r["predicted_p_long"]
        # No prediction (policy gradient) or a zero one (p_long = 0): a dash, not nan.
        pred_text = "-" if pred is None else f"{pred:.4f}"
        ratio_text = f"{r['p_long'] / pred:.2f}" if pred else "-"
        stream.write(
            f"{name:<9} {r['samples']:>10,} {kept_long:>10,} {r['p_long']:>8.4f} {pred_text:>9} "
            f"{ratio_text:>6} {r['greedy_accuracy']:>10.4f} {r['greedy_length']:>10.2f} "
            f"{r['mean_length']:>8.2f} {r['seconds']:>7.2f}\n"
        )

    return row


def _warn(message):
    sys.stderr.write(f"linparity.simulate: warning: {message}\n")


def main(argv=None):
    args = parser().parse_args(argv)
    prog = "linparity.simulate"
    try:
        cfg = config_from_args(args).validate()
        check_memory(cfg)
        check_writable(args.json, "--json")
        check_writable(args.csv, "--csv")
        check_distinct({"--json": args.json, "--csv": args.csv})
    except ValueError as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    # The table goes to stdout, the results to files: a closed or broken stdout
    # (``| head -1``, ``>&-``, ``>/dev/full``) stops the table, never the run or its files.
    out = Console(sys.stdout, enabled=not args.quiet)
    row = _table_printer(out) if out.enabled else None
    try:
        # run() writes nothing (the files come after it), and kernels it compiles call
        # back into Python, where a raised Ctrl-C can be swallowed: exit from the handler.
        with exit_on_interrupt(prog, "; nothing written"):
            result = run(cfg, on_record=row, on_warning=None if args.quiet else _warn, show_progress=not args.quiet)
        try:
            if args.json:
                write_json(args.json, result)
            if args.csv:
                write_csv(args.csv, to_csv_rows(result), CSV_FIELDS)
        except (OutputError, ValueError) as exc:  # ValueError: a NaN, which strict JSON refuses
            sys.stderr.write(f"{prog}: error: {exc}\n")
            return 1
        last = result["rl"][-1] if result["rl"] else result["pretrain"]
        pred = result["predicted"]["rounds_to_greedy"]
        if cfg.rl in PG_ALGORITHMS:
            steps = last["step"] if result["rl"] else 0
            out.write(
                f"greedy accuracy {last['greedy_accuracy']:.4f}, greedy length "
                f"{last['greedy_length']:.2f} after {steps} {cfg.rl} step(s); "
                f"wall {result['wall_seconds']:.1f}s\n"
            )
        elif cfg.position1_features == "walsh":
            predicted = result["predicted"]["pretrain_greedy_accuracy"]
            out.write(
                f"greedy accuracy {last['greedy_accuracy']:.4f}, greedy length {last['greedy_length']:.2f} after "
                f"NTP alone with a Walsh position 1 (the population optimum's greedy accuracy: {predicted:g}); "
                f"wall {result['wall_seconds']:.1f}s\n"
            )
        else:
            out.write(
                f"greedy accuracy {last['greedy_accuracy']:.4f} after {len(result['rl'])} round(s) "
                f"(predicted rounds to greedy success: {pred if pred is None else int(pred)}); "
                f"wall {result['wall_seconds']:.1f}s\n"
            )
        return 0
    finally:
        out.close()


if __name__ == "__main__":
    sys.exit(run_main("linparity.simulate", main))
