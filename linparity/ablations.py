"""``python -m linparity.ablations``: the paper's RL ablations for the linear model (docs/theory.md section 4).

Three groups of arms, each one :func:`linparity.experiment.run` end to end:

* ``algorithms``: STaR, REINFORCE and GRPO, each with ``r_cot`` and ``r_e2e``, at
  d = 50, p_long = 0.25 (the paper's Fig. 1 setting), run for a fixed budget
  (no early stop) so that the response-length curve is complete;
* ``temperature``: STaR sampling at temperatures 1, 2, 3, 4 with ``r_e2e`` and with
  ``r_cot`` (the paper reports that a high temperature with ``r_e2e`` fails, because
  wrong chains that end on the right bit are kept: the share of kept long chains
  that are wrong is recorded);
* ``start``: STaR and GRPO started from models pre-trained on few or enough
  samples ("RL too early": does the length grow without the accuracy?).

Writes one JSON per arm (``<group>__<arm>.json``: the simulate record plus an
``arm`` entry) and a summary table, ``summary.csv`` and ``summary.md``. The
numbers are the simulator's measurements; nothing here is tuned toward a prediction.
"""

import argparse
import dataclasses
import os
import sys
import time

from .cli import Console, OneLineParser, exit_on_interrupt, run_main

# Ctrl-C while numpy and numba load (the first second) exits as an interrupted run would.
with exit_on_interrupt("linparity.ablations", "; nothing written", enabled=__name__ == "__main__"):
    from . import validation
    from .config import SimulationConfig
    from .evaluate import GENERALISE_ACCURACY, first_generalising
    from .experiment import run
    from .output import OutputError, check_dir_writable, write_atomic, write_csv, write_json

GROUPS = ("algorithms", "temperature", "start")


@dataclasses.dataclass
class Arm:
    group: str
    name: str
    config: SimulationConfig


def _settings(quick):
    """Sizes of every group: the real ones (d = 50) or a small smoke-test version."""
    if quick:
        return dict(
            d=8,
            p_long=0.25,
            long_target=5_000,
            eval_prompts=1000,
            pg_steps=20,
            pg_eval=1,
            star_rounds=2,
            temp_rounds=2,
            temp_round_samples=10_000,
            temperatures=(1.0, 4.0),
            start_samples=(300, None),
            start_steps=20,
            start_eval=5,
            start_rounds=2,
            start_round_samples=10_000,
        )
    return dict(
        d=50,
        p_long=0.25,
        long_target=100_000,
        eval_prompts=10_000,
        pg_steps=150,
        pg_eval=1,
        star_rounds=6,
        temp_rounds=6,
        temp_round_samples=400_000,
        temperatures=(1.0, 2.0, 3.0, 4.0),
        start_samples=(2_000, 10_000, 40_000, None),
        start_steps=300,
        start_eval=10,
        start_rounds=6,
        start_round_samples=200_000,
    )


def arms(*, quick=False, seed=0, groups=GROUPS):
    """The arms of the requested groups, in a fixed order."""
    s = _settings(quick)
    base = dict(
        d=s["d"],
        p_long=s["p_long"],
        seed=seed,
        long_target=s["long_target"],
        eval_prompts=s["eval_prompts"],
        target_accuracy=None,
    )
    out = []
    if "algorithms" in groups:
        for algorithm in ("star", "reinforce", "grpo"):
            for reward in ("cot", "e2e"):
                cfg = SimulationConfig(
                    **base,
                    rl=algorithm,
                    reward=reward,
                    rounds=s["star_rounds"],
                    rl_steps=s["pg_steps"],
                    eval_every=s["pg_eval"],
                )
                out.append(Arm("algorithms", f"{algorithm}-{reward}", cfg))
    if "temperature" in groups:
        for tau in s["temperatures"]:
            for reward in ("e2e", "cot"):
                cfg = SimulationConfig(
                    **base,
                    rl="star",
                    reward=reward,
                    temperature=tau,
                    rounds=s["temp_rounds"],
                    samples_per_round=s["temp_round_samples"],
                )
                out.append(Arm("temperature", f"star-{reward}-tau{tau:g}", cfg))
    if "start" in groups:
        for n_pre in s["start_samples"]:
            for algorithm in ("star", "grpo"):
                for reward in ("cot", "e2e"):
                    cfg = SimulationConfig(
                        **base,
                        rl=algorithm,
                        reward=reward,
                        pretrain_samples=n_pre,
                        rounds=s["start_rounds"],
                        samples_per_round=s["start_round_samples"],
                        rl_steps=s["start_steps"],
                        eval_every=s["start_eval"],
                    )
                    label = "auto" if n_pre is None else str(n_pre)
                    out.append(Arm("start", f"pre{label}-{algorithm}-{reward}", cfg))
    return out


def summarise(arm, result):
    """One summary row: settings, start and end, and when greedy decoding first succeeds."""
    cfg, pre, rl = result["config"], result["pretrain"], result["rl"]
    d = cfg["d"]
    last = rl[-1] if rl else pre
    pg = "step" in last
    hit = first_generalising(result, rl_only=True)
    hit_long = first_generalising(result, rl_only=True, length=d)
    kept_long = sum(r.get("kept_long", 0) for r in rl)
    wrong = sum(r.get("kept_long_wrong", 0) for r in rl)
    first_wrong = (rl[0].get("kept_long_wrong", 0) / rl[0]["kept_long"]) if rl and rl[0]["kept_long"] else None

    def when(stage):
        if stage is None:
            return None, None
        r = stage["record"]
        return r["step"] if pg else r["round"], r["cumulative_samples"] - pre["samples"]

    steps_hit, samples_hit = when(hit)
    steps_long, samples_long = when(hit_long)
    curve = [pre] + rl
    return {
        "group": arm.group,
        "arm": arm.name,
        "rl": cfg["rl"],
        "reward": cfg["reward"],
        "temperature": cfg["temperature"],
        "d": d,
        "p_long": cfg["p_long"],
        "pretrain_samples": pre["samples"],
        "pretrain_greedy_accuracy": pre["greedy_accuracy"],
        "pretrain_greedy_length": pre["greedy_length"],
        "pretrain_mean_length": pre["mean_length"],
        "rl_unit": "step" if pg else "round",
        "rl_done": (last.get("step") if pg else len(rl)),
        "rl_samples": last["cumulative_samples"] - pre["samples"] if rl else 0,
        "final_greedy_accuracy": last["greedy_accuracy"],
        "final_greedy_length": last["greedy_length"],
        "final_mean_length": last["mean_length"],
        "final_p_long": last["p_long"],
        "max_greedy_accuracy": max(r["greedy_accuracy"] for r in curve),
        "max_greedy_length": max(r["greedy_length"] for r in curve),
        "max_mean_length": max(r["mean_length"] for r in curve),
        "to_99": steps_hit,
        "rl_samples_to_99": samples_hit,
        "to_99_len_d": steps_long,
        "rl_samples_to_99_len_d": samples_long,
        "kept_long_wrong_share_first": first_wrong,
        "kept_long_wrong_share": (wrong / kept_long)
        if kept_long and cfg["reward"] == "e2e"
        else (0.0 if cfg["reward"] == "cot" and kept_long else None),
    }


SUMMARY_FIELDS = (
    "group",
    "arm",
    "rl",
    "reward",
    "temperature",
    "d",
    "p_long",
    "pretrain_samples",
    "pretrain_greedy_accuracy",
    "pretrain_greedy_length",
    "pretrain_mean_length",
    "rl_unit",
    "rl_done",
    "rl_samples",
    "final_greedy_accuracy",
    "final_greedy_length",
    "final_mean_length",
    "final_p_long",
    "max_greedy_accuracy",
    "max_greedy_length",
    "max_mean_length",
    "to_99",
    "rl_samples_to_99",
    "to_99_len_d",
    "rl_samples_to_99_len_d",
    "kept_long_wrong_share_first",
    "kept_long_wrong_share",
)


def _cell(v, digits=4):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


MD_COLUMNS = (
    ("arm", "arm"),
    ("pretrain_samples", "pre-train T"),
    ("pretrain_greedy_accuracy", "pre acc"),
    ("pretrain_greedy_length", "pre len"),
    ("rl_done", "RL done"),
    ("rl_unit", "unit"),
    ("final_greedy_accuracy", "greedy acc"),
    ("final_greedy_length", "greedy len"),
    ("final_mean_length", "mean len"),
    ("max_mean_length", "max mean len"),
    ("to_99", "to acc>=.99"),
    ("rl_samples_to_99", "RL samples"),
    ("to_99_len_d", "to acc>=.99, len d"),
    ("rl_samples_to_99_len_d", "RL samples (len d)"),
    ("kept_long_wrong_share_first", "wrong kept long (1st)"),
    ("kept_long_wrong_share", "wrong kept long (all)"),
)


def to_markdown(rows):
    out = [
        "# RL ablations of the linear model",
        "",
        "Measured by `python -m linparity.ablations`; `RL samples` are responses sampled in "
        "post-training (pre-training excluded); `to acc>=.99` is the first step/round where greedy "
        f"accuracy (r_cot) reaches {GENERALISE_ACCURACY}; `wrong kept long` is the share of rewarded long responses "
        "that are not the correct chain (always 0 under r_cot).",
        "",
    ]
    for group in GROUPS:
        part = [r for r in rows if r["group"] == group]
        if not part:
            continue
        out += [f"## {group}", "", "| " + " | ".join(h for _, h in MD_COLUMNS) + " |", "|" + "---|" * len(MD_COLUMNS)]
        for r in part:
            out.append("| " + " | ".join(_cell(r[k]) for k, _ in MD_COLUMNS) + " |")
        out.append("")
    return "\n".join(out)


def parser():
    p = OneLineParser(
        prog="python -m linparity.ablations",
        description="Run the RL ablations of the linear model (algorithm x reward at d = 50, "
        "p_long = 0.25; STaR temperature with r_e2e vs r_cot; RL start time) and write "
        "one JSON per arm plus summary.csv and summary.md.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the JSON files and the summary")
    p.add_argument("--quick", action="store_true", help="small smoke-test sizes (d = 8) instead of d = 50")
    p.add_argument("--groups", default=",".join(GROUPS), help="comma-separated subset of " + ", ".join(GROUPS))
    p.add_argument("--seed", type=int, default=0, help="seed of every arm")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    prog = "linparity.ablations"
    try:
        groups = tuple(g.strip() for g in args.groups.split(",") if g.strip())
        if not groups:
            raise ValueError(f"--groups must name some of {', '.join(GROUPS)}, got {args.groups!r}")
        for g in groups:
            validation.check_choice(g, GROUPS, "--groups")
        seed = validation.check_count(args.seed, "--seed")
        check_dir_writable(args.out, "--out")
        os.makedirs(args.out, exist_ok=True)
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    rows = []
    wall = time.perf_counter()
    out = Console(sys.stdout, enabled=not args.quiet)
    try:
        for arm in arms(quick=args.quick, seed=seed, groups=groups):
            # A run writes nothing, and a Ctrl-C raised into numba's compiler while it
            # holds the LLVM lock can be swallowed and leave the lock taken (the next
            # compile on a pool thread then waits forever): exit from the handler.
            with exit_on_interrupt(prog, "; arms finished so far are written"):
                result = run(arm.config, show_progress=not args.quiet)
            result["arm"] = {"group": arm.group, "name": arm.name}
            write_json(os.path.join(args.out, f"{arm.group}__{arm.name}.json"), result)
            row = summarise(arm, result)
            rows.append(row)
            out.write(
                f"{arm.group:<12} {arm.name:<24} greedy acc {row['final_greedy_accuracy']:.4f} "
                f"len {row['final_greedy_length']:6.2f} mean len {row['final_mean_length']:6.2f} "
                f"to .99: {row['to_99']} ({result['wall_seconds']:.1f}s)\n"
            )
        write_csv(os.path.join(args.out, "summary.csv"), rows, SUMMARY_FIELDS)
        write_atomic(os.path.join(args.out, "summary.md"), to_markdown(rows))
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted; arms finished so far are written\n")
        return 130
    except (OutputError, ValueError) as exc:  # ValueError: a NaN, which strict JSON refuses
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 1
    summary = os.path.join(args.out, "summary.md")
    out.write(f"{len(rows)} arms in {time.perf_counter() - wall:.1f}s; summary in {summary}\n")
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_main("linparity.ablations", main))
