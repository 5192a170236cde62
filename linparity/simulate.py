"""``python -m linparity.simulate``: one experiment end to end (THEORY.md sections 1-4).

Pre-trains the linear autoregressive model with Algorithm 3 on D(p_long), then runs
STaR rounds (Algorithm 1), or REINFORCE / GRPO steps (``--rl reinforce|grpo``),
until greedy decoding is accurate, evaluating exactly after every stage (every
``--eval-every`` steps for the policy-gradient methods). The measured long fraction is printed beside the prediction
``p_n = 2^n p / (2^n p + 1 - p)`` of Theorem 2; the prediction comes from
:mod:`linparity.theory` and is never fed back into training.

Run ``python -m linparity.simulate --help`` for the flags; ``--json PATH`` writes
the machine-readable record described in the README.
"""

import argparse
import dataclasses
import json
import math
import sys
import time

import numpy as np

from . import _validate, theory
from ._cli import OneLineParser
from ._io import check_writable, write_atomic
from ._progress import Progress
from .evaluate import GENERALISE_ACCURACY, eval_prompts, evaluate
from .ntp import LONG_TARGET, default_lambdas, default_pretrain_samples, pretrain, position_lambdas
from .rl import BASELINES, PG_ALGORITHMS, STAR_MODES, PolicyGradient, star_round
from .task import REWARDS

RL_ALGORITHMS = ("star", "reinforce", "grpo", "none")
#: Responses per policy-gradient step when --batch-size is automatic.
PG_RESPONSES_PER_STEP = 1024
#: Group size of GRPO when --group-size is automatic.
GRPO_GROUP = 8
#: Config fields that only policy-gradient runs record (STaR's JSON stays as it was).
PG_FIELDS = ("rl_steps", "lr", "batch_size", "group_size", "baseline", "anchor", "eval_every")
#: Bounds of the automatic STaR round budget (prompts per round).
ROUND_MIN, ROUND_MAX = 50_000, 20_000_000


@dataclasses.dataclass
class SimulationConfig:
    """Every parameter of a run; ``None`` means "automatic" (the resolved value is recorded)."""

    d: int = 64
    p_long: float = 0.01
    seed: int = 0
    rl: str = "star"
    rounds: int = 20
    target_accuracy: float | None = GENERALISE_ACCURACY
    star_mode: str = "fresh"
    pretrain_samples: int | None = None
    samples_per_round: int | None = None
    long_target: int = LONG_TARGET
    lambda_: float | None = None
    lambda_1: float | None = None
    lambda_2a: float | None = None
    lambda_chain: float | None = None
    epochs: int = 1
    reward: str = "cot"
    temperature: float = 1.0
    eval_prompts: int = 10_000
    rl_steps: int = 500
    lr: float = 1.0
    batch_size: int | None = None
    group_size: int | None = None
    baseline: str = "mean"
    anchor: float = 0.0
    eval_every: int = 5
    max_samples: int | None = None

    def validate(self):
        """Check every field; raise ValueError naming the flag to fix."""
        self.d = _validate.check_d(self.d)
        self.p_long = _validate.check_probability(self.p_long, "--p-long")
        self.seed = _validate.check_count(self.seed, "--seed")
        self.rounds = _validate.check_count(self.rounds, "--rounds")
        self.long_target = _validate.check_count(self.long_target, "--long-target", 1)
        self.epochs = _validate.check_count(self.epochs, "--epochs", 1)
        self.eval_prompts = _validate.check_count(self.eval_prompts, "--eval-prompts", 1)
        self.temperature = _validate.check_positive(self.temperature, "--temperature")
        for name in ("pretrain_samples", "samples_per_round"):
            if getattr(self, name) is not None:
                setattr(self, name, _validate.check_count(getattr(self, name), "--" + name.replace("_", "-")))
        for name in ("lambda_", "lambda_1", "lambda_2a", "lambda_chain"):
            if getattr(self, name) is not None:
                setattr(self, name, _validate.check_positive(getattr(self, name), "--" + name.rstrip("_").replace("_", "-")))
        if self.target_accuracy is not None:
            self.target_accuracy = _validate.check_probability(self.target_accuracy, "--target-accuracy")
        _check_choice(self.rl, RL_ALGORITHMS, "--rl")
        _check_choice(self.star_mode, STAR_MODES, "--star-mode")
        _check_choice(self.reward, tuple(REWARDS), "--reward")
        _check_choice(self.baseline, BASELINES, "--baseline")
        self.rl_steps = _validate.check_count(self.rl_steps, "--rl-steps")
        self.lr = _validate.check_positive(self.lr, "--lr")
        self.eval_every = _validate.check_count(self.eval_every, "--eval-every", 1)
        if self.max_samples is not None:
            self.max_samples = _validate.check_count(self.max_samples, "--max-samples", 1)
        try:
            self.anchor = float(self.anchor)
        except (TypeError, ValueError):
            raise ValueError(f"--anchor must be a number >= 0, got {self.anchor!r}") from None
        if not (math.isfinite(self.anchor) and self.anchor >= 0):
            raise ValueError(f"--anchor must be a finite number >= 0, got {self.anchor}")
        if self.group_size is not None:
            self.group_size = _validate.check_count(self.group_size, "--group-size", 1)
            if self.rl == "reinforce" and self.group_size != 1:
                raise ValueError("--group-size is GRPO's: REINFORCE samples one response per prompt")
        if self.batch_size is not None:
            self.batch_size = _validate.check_count(self.batch_size, "--batch-size", 1)
        return self

    def resolve_pg(self):
        """Automatic group and batch sizes of a policy-gradient run (recorded in the JSON)."""
        if self.group_size is None:
            self.group_size = GRPO_GROUP if self.rl == "grpo" else 1
        if self.batch_size is None:
            self.batch_size = max(1, PG_RESPONSES_PER_STEP // self.group_size)
        return self

    def lambdas(self, n_samples, n_long):
        """Per-block lambda: the user's values where given, the automatic rule elsewhere."""
        auto = default_lambdas(self.d, n_samples, n_long)
        common = self.lambda_
        groups = [self.lambda_1, self.lambda_2a, self.lambda_chain]
        chosen = [g if g is not None else common for g in groups]
        if all(c is None for c in chosen):
            return auto
        fixed = position_lambdas(self.d, *(c if c is not None else 1.0 for c in chosen))
        mask = np.array([chosen[0] is not None, chosen[1] is not None] + [chosen[2] is not None] * (self.d - 1))
        return np.where(mask, fixed, auto)


def _check_choice(value, choices, flag):
    if value not in choices:
        raise ValueError(f"{flag} must be one of {', '.join(choices)}, got {value!r}")


def _round_budget(cfg, measured_p_long):
    """Prompts for the next STaR round: enough for about ``long_target`` kept long answers.

    Uses the current model's *measured* long probability (the simulator's own
    evaluation), so a shortfall is not hidden by assuming the predicted one.
    """
    if cfg.samples_per_round is not None:
        return cfg.samples_per_round
    if measured_p_long <= 0:
        return ROUND_MAX
    return int(min(ROUND_MAX, max(ROUND_MIN, math.ceil(cfg.long_target / measured_p_long))))


def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


def run(cfg: SimulationConfig, *, on_record=None, show_progress=True):
    """Run one experiment; return the JSON-ready result (see the README for its fields).

    Parameters
    ----------
    cfg : SimulationConfig
    on_record : callable(stage, record), optional
        Called after pre-training (``stage == "pretrain"``) and after every round.
    show_progress : bool
        Draw a progress line on a TTY.
    """
    cfg.validate()
    wall = time.perf_counter()
    d, p = cfg.d, cfg.p_long
    x_eval = eval_prompts(d, cfg.eval_prompts, cfg.seed)
    n_pre = cfg.pretrain_samples if cfg.pretrain_samples is not None else default_pretrain_samples(p, cfg.long_target)
    pre_lambdas = cfg.lambdas(n_pre, int(round(p * n_pre)))

    start = time.perf_counter()
    with Progress("pre-training", n_pre, enabled=show_progress) as bar:
        state = pretrain(d, p, n_pre, seed=cfg.seed, lambdas=pre_lambdas, progress=bar)
    model = state.model()
    metrics = evaluate(model, x_eval)
    pre = {"samples": n_pre, "long_samples": state.long_samples, **metrics,
           "predicted_p_long": float(theory.star_long_fraction(p, 0)),
           "seconds": time.perf_counter() - start}
    if on_record:
        on_record("pretrain", pre)

    records, total = [], n_pre
    if cfg.rl in PG_ALGORITHMS:
        cfg.resolve_pg()
        records, total = _policy_gradient(cfg, model, metrics, x_eval, total, on_record, show_progress)
    max_rounds = cfg.rounds if cfg.rl == "star" else 0
    for n in range(1, max_rounds + 1):
        if cfg.target_accuracy is not None and metrics["greedy_accuracy"] >= cfg.target_accuracy:
            break
        start = time.perf_counter()
        n_prompts = _round_budget(cfg, metrics["p_long"])
        if cfg.max_samples is not None and total + n_prompts > cfg.max_samples:
            break  # the next round would not fit in the sample budget
        # Fresh rounds stream the kept pairs into the SGD, so lambda is set before
        # the round, from the kept counts that the model's measured probabilities
        # imply (sampling accuracy and long probability, both under r_cot).
        lambdas = cfg.lambdas(int(n_prompts * metrics["sampling_accuracy"]), int(n_prompts * metrics["p_long"]))
        with Progress(f"STaR round {n}", n_prompts, unit="prompts", enabled=show_progress) as bar:
            state, counts = star_round(model, n_prompts, lambdas, seed=cfg.seed, round_index=n,
                                       state=state if cfg.star_mode == "warm" else None,
                                       reward=cfg.reward, temperature=cfg.temperature,
                                       epochs=cfg.epochs, progress=bar)
        model = state.model()
        metrics = evaluate(model, x_eval)
        total += n_prompts
        record = {"round": n, **counts, "cumulative_samples": total, **metrics,
                  "predicted_p_long": float(theory.star_long_fraction(p, n)),
                  "seconds": time.perf_counter() - start}
        records.append(record)
        if on_record:
            on_record("rl", record)

    predicted = {
        "rounds_to_greedy": _finite_or_none(theory.rounds_to_greedy(p)),
        "pretrain_p_long": float(theory.pretrain_long_fraction(p)),
        "pretrain_greedy_accuracy": float(theory.pretrain_greedy_accuracy(p)),
        "pretrain_mean_length": float(theory.pretrain_mean_length(p, d)),
    }
    config = dataclasses.asdict(cfg)
    config["lambda"] = config.pop("lambda_")
    if cfg.rl not in PG_ALGORITHMS:
        for name in PG_FIELDS:
            del config[name]
    config.update(pretrain_samples_used=n_pre, pretrain_lambdas={
        "1": float(pre_lambdas[0]), "2a": float(pre_lambdas[1]),
        "chain_min": float(pre_lambdas[2:].min()), "chain_max": float(pre_lambdas[2:].max())})
    return {"config": config, "pretrain": pre, "rl": records, "predicted": predicted,
            "wall_seconds": time.perf_counter() - wall}


def _policy_gradient(cfg, model, metrics, x_eval, total, on_record, show_progress):
    """REINFORCE or GRPO steps with an exact evaluation every ``eval_every`` steps.

    Each record sums the counts of the steps since the previous one; ``round`` numbers
    the evaluation points and ``step`` is the number of steps taken. Stops at the
    first evaluation point where greedy accuracy reaches the target.
    """
    records = []
    if cfg.target_accuracy is not None and metrics["greedy_accuracy"] >= cfg.target_accuracy:
        return records, total
    pg = PolicyGradient(model, cfg.rl, seed=cfg.seed, lr=cfg.lr, batch_size=cfg.batch_size,
                        group_size=cfg.group_size, reward=cfg.reward, temperature=cfg.temperature,
                        baseline=cfg.baseline, anchor=cfg.anchor)
    counts, start = {}, time.perf_counter()

    def evaluation_point(step):
        nonlocal total, counts, start
        metrics = evaluate(pg.model, x_eval)
        total += counts["samples"]
        prompts = counts.pop("prompts")
        record = {"round": len(records) + 1, **counts, "cumulative_samples": total, **metrics,
                  "predicted_p_long": None, "seconds": time.perf_counter() - start,
                  "step": step, "prompts": prompts}
        records.append(record)
        if on_record:
            on_record("rl", record)
        counts, start = {}, time.perf_counter()
        return metrics

    with Progress(cfg.rl, cfg.rl_steps, unit="steps", enabled=show_progress) as bar:
        for step in range(1, cfg.rl_steps + 1):
            pending = counts.get("samples", 0)
            if cfg.max_samples is not None and total + pending + pg.responses_per_step > cfg.max_samples:
                if counts:  # the steps taken since the last evaluation still count
                    evaluation_point(step - 1)
                break
            for k, v in pg.step().items():
                counts[k] = counts.get(k, 0) + v
            bar(step)
            if step % cfg.eval_every and step != cfg.rl_steps:
                continue
            metrics = evaluation_point(step)
            if cfg.target_accuracy is not None and metrics["greedy_accuracy"] >= cfg.target_accuracy:
                break
    return records, total


# --------------------------------------------------------------------------- CLI

def _parser():
    p = OneLineParser(prog="python -m linparity.simulate",
                description="Pre-train the linear autoregressive parity model with next-token "
                            "prediction (Algorithm 3), then post-train it with STaR, REINFORCE or GRPO, "
                            "and compare the measured long fraction with Theorem 2's prediction (STaR).",
                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("task")
    g.add_argument("--d", type=int, default=64, help="number of input bits (>= 2)")
    g.add_argument("--p-long", type=float, default=0.01,
                   help="share of long demonstrations (prefix parities) in pre-training, in [0, 1] "
                        "(the paper's p_cot)")
    g.add_argument("--seed", type=int, default=0, help="seed of every random stream of the run")
    g = p.add_argument_group("pre-training (Algorithm 3)")
    g.add_argument("--pretrain-samples", type=int, default=None,
                   help="samples T; default: long-target / p-long, clipped to [200k, 20M]")
    g.add_argument("--long-target", type=int, default=LONG_TARGET,
                   help="long samples the automatic budgets aim for, in pre-training and per round")
    g.add_argument("--lambda", dest="lambda_", type=float, default=None,
                   help="one L2 strength for every position (default: the automatic rule, see README)")
    g.add_argument("--lambda-1", type=float, default=None, help="lambda of position 1 only")
    g.add_argument("--lambda-2a", type=float, default=None, help="lambda of the stop/go position 2a only")
    g.add_argument("--lambda-chain", type=float, default=None, help="lambda of every chain position")
    g = p.add_argument_group("post-training (STaR, Algorithm 1; REINFORCE; GRPO)")
    g.add_argument("--rl", default="star", help="post-training: " + ", ".join(RL_ALGORITHMS)
                   + " (none: pre-training only)")
    g.add_argument("--rounds", type=int, default=20, help="maximum number of STaR rounds")
    g.add_argument("--target-accuracy", type=float, default=GENERALISE_ACCURACY,
                   help="stop once greedy accuracy reaches this")
    g.add_argument("--no-early-stop", action="store_true", help="run all --rounds rounds")
    g.add_argument("--star-mode", default="fresh",
                   help="fresh: re-solve NTP from zero each round (analysed); warm: continue the SGD state")
    g.add_argument("--samples-per-round", type=int, default=None,
                   help="prompts per round; default: long-target / measured p_long, clipped to "
                        f"[{ROUND_MIN:,}, {ROUND_MAX:,}]")
    g.add_argument("--epochs", type=int, default=1, help="NTP passes over each round's kept set")
    g.add_argument("--reward", default="cot", help="cot (exact answer) or e2e (last token only)")
    g.add_argument("--temperature", type=float, default=1.0,
                   help="RL sampling temperature (REINFORCE/GRPO differentiate the sampling policy)")
    g.add_argument("--rl-steps", type=int, default=500,
                   help="maximum number of REINFORCE/GRPO steps")
    g.add_argument("--lr", type=float, default=1.0,
                   help="REINFORCE/GRPO step size on the mean of A * grad log pi over a step's responses")
    g.add_argument("--batch-size", type=int, default=None,
                   help=f"prompts per REINFORCE/GRPO step; default: {PG_RESPONSES_PER_STEP} responses "
                        "per step (GRPO: divided by the group size)")
    g.add_argument("--group-size", type=int, default=None,
                   help=f"GRPO responses per prompt (default {GRPO_GROUP}); REINFORCE uses 1")
    g.add_argument("--baseline", default="mean", help="REINFORCE baseline: mean (batch mean reward) or none")
    g.add_argument("--anchor", type=float, default=0.0,
                   help="REINFORCE/GRPO L2 pull towards the pre-trained weights (0: off)")
    g.add_argument("--eval-every", type=int, default=5,
                   help="REINFORCE/GRPO steps between exact evaluations (and early-stop checks)")
    g.add_argument("--max-samples", type=int, default=None,
                   help="stop RL before a round or step would take the total samples (pre-training "
                        "included) past this (default: no cap)")
    g = p.add_argument_group("evaluation and output")
    g.add_argument("--eval-prompts", type=int, default=10_000, help="fresh prompts for exact evaluation")
    g.add_argument("--json", metavar="PATH", default=None, help="write the full result as JSON")
    g.add_argument("--csv", metavar="PATH", default=None, help="write one tidy row per stage as CSV")
    g.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


CSV_FIELDS = ("stage", "round", "samples", "cumulative_samples", "kept", "kept_long", "p_long",
              "predicted_p_long", "p_short_correct", "sampling_accuracy", "p_go",
              "greedy_accuracy", "greedy_length", "mean_length", "seconds", "step")


def to_csv(result):
    """One tidy row per stage (pre-training is round 0)."""
    pre = dict(result["pretrain"], stage="pretrain", round=0,
               cumulative_samples=result["pretrain"]["samples"])
    rows = [pre] + [dict(r, stage="rl") for r in result["rl"]]
    lines = [",".join(CSV_FIELDS)]
    for row in rows:
        lines.append(",".join("" if row.get(f) is None else str(row.get(f)) for f in CSV_FIELDS))
    return "\n".join(lines) + "\n"


def _table_printer(stream):
    header = (f"{'stage':<9} {'samples':>10} {'kept long':>10} {'p_long':>8} {'predicted':>9} "
              f"{'ratio':>6} {'greedy acc':>10} {'greedy len':>10} {'mean len':>8} {'seconds':>7}")
    stream.write(header + "\n")

    def row(stage, r):
        name = "pretrain" if stage == "pretrain" else (f"step {r['step']}" if "step" in r else f"round {r['round']}")
        kept_long = r.get("kept_long", r.get("long_samples"))
        pred = r["predicted_p_long"]
        ratio = r["p_long"] / pred if pred else float("nan")
        pred = float("nan") if pred is None else pred
        stream.write(f"{name:<9} {r['samples']:>10,} {kept_long:>10,} {r['p_long']:>8.4f} {pred:>9.4f} "
                     f"{ratio:>6.2f} {r['greedy_accuracy']:>10.4f} {r['greedy_length']:>10.2f} "
                     f"{r['mean_length']:>8.2f} {r['seconds']:>7.2f}\n")
        stream.flush()
    return row


def main(argv=None):
    args = _parser().parse_args(argv)
    prog = "linparity.simulate"
    try:
        cfg = SimulationConfig(
            d=args.d, p_long=args.p_long, seed=args.seed, rl=args.rl, rounds=args.rounds,
            target_accuracy=None if args.no_early_stop else args.target_accuracy,
            star_mode=args.star_mode, pretrain_samples=args.pretrain_samples,
            samples_per_round=args.samples_per_round, long_target=args.long_target,
            lambda_=args.lambda_, lambda_1=args.lambda_1, lambda_2a=args.lambda_2a,
            lambda_chain=args.lambda_chain, epochs=args.epochs, reward=args.reward,
            temperature=args.temperature, eval_prompts=args.eval_prompts, rl_steps=args.rl_steps,
            lr=args.lr, batch_size=args.batch_size, group_size=args.group_size, baseline=args.baseline,
            anchor=args.anchor, eval_every=args.eval_every, max_samples=args.max_samples).validate()
        check_writable(args.json, "--json")
        check_writable(args.csv, "--csv")
    except ValueError as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return 2
    row = None if args.quiet else _table_printer(sys.stdout)
    try:
        result = run(cfg, on_record=row, show_progress=not args.quiet)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted; nothing written\n")
        return 130
    if args.json:
        write_atomic(args.json, json.dumps(result, indent=2) + "\n")
    if args.csv:
        write_atomic(args.csv, to_csv(result))
    if not args.quiet:
        last = result["rl"][-1] if result["rl"] else result["pretrain"]
        pred = result["predicted"]["rounds_to_greedy"]
        if cfg.rl in PG_ALGORITHMS:
            steps = last["step"] if result["rl"] else 0
            sys.stdout.write(f"greedy accuracy {last['greedy_accuracy']:.4f}, greedy length "
                             f"{last['greedy_length']:.2f} after {steps} {cfg.rl} step(s); "
                             f"wall {result['wall_seconds']:.1f}s\n")
        else:
            sys.stdout.write(f"greedy accuracy {last['greedy_accuracy']:.4f} after {len(result['rl'])} round(s) "
                             f"(predicted rounds to greedy success: {pred if pred is None else int(pred)}); "
                             f"wall {result['wall_seconds']:.1f}s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
