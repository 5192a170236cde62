"""Every parameter of one run: :class:`SimulationConfig` (docs/theory.md sections 3-4).

The dataclass is the one place a parameter is declared: its default, its type, the
command-line flag that sets it and that flag's help text (field metadata).  The CLI of
``python -m linparity.simulate`` and the sweep's axes are built from it, so a new field
becomes a flag and a sweep axis without a second declaration.

``None`` means "automatic".  :meth:`SimulationConfig.validate` and
:meth:`SimulationConfig.resolve_pg` return new objects and never change the one they
are called on, so a config can be reused for several runs.
"""

import dataclasses
import math
import os

import numpy as np

from . import validation
from .evaluate import GENERALISE_ACCURACY
from .ntp import (
    PRETRAIN_MAX,
    PRETRAIN_MIN,
    default_lambdas,
    default_long_target,
    default_pretrain_samples,
    long_target_scale,
    position_lambdas,
)
from .rl import BASELINES, STAR_MODES
from .task import REWARDS
from .tuning import PG_CHUNK
from .walsh import POSITION1_FEATURES, check_walsh_d

RL_ALGORITHMS = ("star", "reinforce", "grpo", "none")
#: Responses per policy-gradient step when --batch-size is automatic.
PG_RESPONSES_PER_STEP = 1024
#: Group size of GRPO when --group-size is automatic.
GRPO_GROUP = 8
#: Config fields that only policy-gradient runs record (STaR's JSON leaves them out).
PG_FIELDS = ("rl_steps", "lr", "batch_size", "group_size", "baseline", "anchor", "eval_every")
#: Default samples per prompt of a Walsh position 1's pre-training (``32 * 2^d``): its
#: measured minimal counts were 2-6 per prompt at d = 10-16 (docs/theory.md 4.15).
WALSH_VISITS = 32
#: Bounds of the automatic STaR round budget (prompts per round).
ROUND_MIN, ROUND_MAX = 50_000, 20_000_000

#: Upper bounds of the counts (flag: (bound, what a larger value would cost)). They
#: refuse, up front, runs that would take days or cannot be allocated; each is far
#: above anything the paper's experiments need.
LIMITS = {
    "--pretrain-samples": (10**10, "about a day of pre-training at d = 64"),
    "--samples-per-round": (10**10, "about a day per round at d = 64"),
    "--long-target": (10**9, "automatic budgets of 10^9 / p_long samples"),
    "--epochs": (1_000, "every round's kept set stored and passed over a thousand times"),
    "--rounds": (10_000, "ten thousand STaR rounds"),
    "--rl-steps": (10**7, "ten million policy-gradient steps"),
    "--eval-prompts": (10**8, "exact metrics on more prompts than any round draws"),
    "--batch-size": (10**8, "responses held in memory at once"),
    "--group-size": (10**6, "responses per prompt held in memory at once"),
}
#: Smallest lambda accepted: Algorithm 3's first step is 1 / lambda, and below this the
#: iterates overflow to inf (1e-320 did, on a sweep worker).
LAMBDA_MIN = 1e-12
#: Share of the available memory a run may plan to use (checked up front).
MEMORY_SHARE = 0.8

#: Flag groups of the CLI, in the order ``--help`` shows them.
GROUPS = (
    "task",
    "pre-training (Algorithm 3)",
    "post-training (STaR, Algorithm 1; REINFORCE; GRPO)",
    "evaluation and output",
)


def _option(default, group, help, flag=None):
    """A dataclass field that also declares its command-line flag."""
    return dataclasses.field(default=default, metadata={"group": group, "help": help, "flag": flag})


_TASK, _PRE, _POST, _EVAL = GROUPS


def _count(value, name, minimum=0):
    bound, why = LIMITS[name]
    return validation.check_count(value, name, minimum, bound, f"more would mean {why}")


def memory_needed(cfg):
    """Bytes a run of ``cfg`` (validated) holds at its peak, roughly, and the flag that dominates.

    Counts the large arrays only: the weights and their copies (model, pre-trained
    anchor, Algorithm 3's running sums, gradients), the evaluation prompts and
    responses, one rollout chunk, a stored kept set (``--epochs`` > 1) and a
    policy-gradient step's responses and per-chunk gradients.
    """
    d = cfg.d
    params = 2.5 * d * d + 4 * d
    # Calibrated on peak RSS (d = 512 ... 2048: 0.25-1.4 GB; 10^6 evaluation prompts at
    # d = 64: 210 MB), rounded up: 160 MB of interpreter and libraries, about nine copies of the
    # weights, 3d + 48 bytes a prompt.
    row = 2 * d + 32  # a drawn prompt and response (int8) and a few per-row numbers
    parts = {
        "--d": 160 * 2**20 + 8 * params * 9 + (1 << 16) * row * 2,  # interpreter, numba and libraries
        "--eval-prompts": cfg.eval_prompts * (3 * d + 48),
    }
    if cfg.position1_features == "walsh":  # running sums, scratch, average, logit table: 8 arrays of 2^d
        parts["--position1-features"] = 8 * 8 * 2**d
    if cfg.epochs > 1:
        parts["--epochs"] = (cfg.samples_per_round or int(ROUND_MAX * long_target_scale(d))) * row
    if cfg.rl in ("reinforce", "grpo"):
        pg = cfg.resolve_pg()
        n = pg.batch_size * pg.group_size
        parts["--batch-size"] = n * row + -(-n // PG_CHUNK) * params * 8
    return sum(parts.values()), max(parts, key=parts.get)


def available_memory():
    """Bytes of memory available now (Linux's MemAvailable), else the physical total, else None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not on every platform
        return None


def check_memory(cfg):
    """ValueError naming the flag to lower if a run of ``cfg`` would not fit in memory here.

    A property of the machine that runs, not of the config, so
    :meth:`SimulationConfig.validate` does not call it (a sweep's driver must not judge
    its workers' memory): the CLI calls it before any work, and
    :func:`linparity.experiment.run` before allocating.
    """
    available = available_memory()
    need, flag_ = memory_needed(cfg)
    if available is not None and need > MEMORY_SHARE * available:
        raise ValueError(
            f"this run needs about {need / 2**30:,.1f} GiB of memory and {available / 2**30:,.1f} GiB "
            f"are available; lower {flag_}"
        )


@dataclasses.dataclass
class SimulationConfig:
    """Every parameter of a run; ``None`` means "automatic" (the resolved value is recorded).

    Each field's metadata holds its CLI flag group and help text; see :func:`flag`.
    """

    d: int = _option(64, _TASK, "number of input bits (>= 2)")
    p_long: float = _option(
        0.01, _TASK, "share of long demonstrations (prefix parities) in pre-training, in [0, 1] (the paper's p_cot)"
    )
    seed: int = _option(0, _TASK, "seed of every random stream of the run")
    rl: str = _option("star", _POST, "post-training: " + ", ".join(RL_ALGORITHMS) + " (none: pre-training only)")
    rounds: int = _option(20, _POST, "maximum number of STaR rounds")
    target_accuracy: float | None = _option(GENERALISE_ACCURACY, _POST, "stop once greedy accuracy reaches this")
    star_mode: str = _option(
        "fresh", _POST, "fresh: re-solve NTP from zero each round (analysed); warm: continue the SGD state"
    )
    pretrain_samples: int | None = _option(
        None,
        _PRE,
        "samples T; default: long-target / p-long, clipped to [200k, 20M] "
        "(with --position1-features walsh: 32 * 2^d, clipped the same way)",
    )
    samples_per_round: int | None = _option(
        None,
        _POST,
        f"prompts per round; default: long-target / measured p_long, clipped to [{ROUND_MIN:,}, {ROUND_MAX:,}]",
    )
    long_target: int | None = _option(
        None,
        _PRE,
        "long samples the automatic budgets aim for, in pre-training and per round; default: "
        "100,000 up to d = 64, (d/64)^1.5 times that above (measured: a longer chain needs more)",
    )
    budget_floors: bool = _option(
        True,
        _PRE,
        "turn off the automatic budgets' floors (pre-training >= 200k samples, rounds >= 50k prompts) "
        "and size every stage by --long-target alone (the minimal-budget search)",
        flag="--no-budget-floors",
    )
    position1_features: str = _option(
        "linear",
        _PRE,
        "features of position 1: linear (x, the analysed model) or walsh (every monomial of x, 2^d features, "
        "so it can express the parity; d <= 20, NTP alone: needs --rl none; docs/theory.md section 3.12)",
    )
    lambda_: float | None = _option(
        None,
        _PRE,
        "one L2 strength for every position (default: the automatic rule, docs/theory.md section 3)",
        flag="--lambda",
    )
    lambda_1: float | None = _option(None, _PRE, "lambda of position 1 only")
    lambda_2a: float | None = _option(None, _PRE, "lambda of the stop/go position 2a only")
    lambda_chain: float | None = _option(None, _PRE, "lambda of every chain position")
    epochs: int = _option(1, _POST, "NTP passes over each round's kept set")
    reward: str = _option("cot", _POST, "cot (exact answer) or e2e (last token only)")
    temperature: float = _option(
        1.0, _POST, "RL sampling temperature (REINFORCE/GRPO differentiate the sampling policy)"
    )
    eval_prompts: int = _option(10_000, _EVAL, "fresh prompts for exact evaluation")
    rl_steps: int = _option(500, _POST, "maximum number of REINFORCE/GRPO steps")
    lr: float = _option(1.0, _POST, "REINFORCE/GRPO step size on the mean of A * grad log pi over a step's responses")
    batch_size: int | None = _option(
        None,
        _POST,
        f"prompts per REINFORCE/GRPO step; default: "
        f"{PG_RESPONSES_PER_STEP} responses per step (GRPO: divided by "
        "the group size)",
    )
    group_size: int | None = _option(None, _POST, f"GRPO responses per prompt (default {GRPO_GROUP}); REINFORCE uses 1")
    baseline: str = _option("mean", _POST, "REINFORCE baseline: mean (batch mean reward) or none")
    anchor: float = _option(0.0, _POST, "REINFORCE/GRPO L2 pull towards the pre-trained weights (0: off)")
    eval_every: int = _option(5, _POST, "REINFORCE/GRPO steps between exact evaluations (and early-stop checks)")
    max_samples: int | None = _option(
        None,
        _POST,
        "stop RL before a round or step would take the "
        "total samples (pre-training included) past this (default: no cap)",
    )

    def validate(self):
        """A checked copy of this config; ValueError naming the flag to fix.

        Numbers are normalised (``int``/``float``); ``self`` is left as it was.
        """
        c = dataclasses.replace(self)
        c.d = validation.check_d(c.d)
        c.p_long = validation.check_probability(c.p_long, "--p-long")
        c.seed = validation.check_count(c.seed, "--seed", 0, 2**63 - 1, "seeds are 64-bit")
        c.rounds = _count(c.rounds, "--rounds")
        if not isinstance(c.budget_floors, bool):
            raise ValueError(f"budget_floors must be true or false, got {c.budget_floors!r}")
        if c.long_target is not None:
            c.long_target = _count(c.long_target, "--long-target", 1)
        c.epochs = _count(c.epochs, "--epochs", 1)
        c.eval_prompts = _count(c.eval_prompts, "--eval-prompts", 1)
        c.temperature = validation.check_positive(c.temperature, "--temperature")
        if c.pretrain_samples is not None:
            c.pretrain_samples = _count(c.pretrain_samples, "--pretrain-samples")
        if c.samples_per_round is not None:
            # 0 prompts would keep nothing and re-train the model from zero (uniform).
            c.samples_per_round = _count(c.samples_per_round, "--samples-per-round", 1)
        for name in ("lambda_", "lambda_1", "lambda_2a", "lambda_chain"):
            if getattr(c, name) is not None:
                value = validation.check_positive(getattr(c, name), flag(name))
                if value < LAMBDA_MIN:
                    raise ValueError(
                        f"{flag(name)} must be >= {LAMBDA_MIN:g} (the first SGD steps are 1 / lambda), got {value:g}"
                    )
                setattr(c, name, value)
        if c.target_accuracy is not None:
            c.target_accuracy = validation.check_probability(c.target_accuracy, "--target-accuracy")
        validation.check_choice(c.rl, RL_ALGORITHMS, "--rl")
        validation.check_choice(c.position1_features, POSITION1_FEATURES, "--position1-features")
        if c.position1_features == "walsh":
            check_walsh_d(c.d)
            if c.rl != "none":
                raise ValueError(
                    "--position1-features walsh is for NTP alone: give --rl none (STaR, REINFORCE and GRPO "
                    "are implemented for the linear position 1 only)"
                )
        validation.check_choice(c.star_mode, STAR_MODES, "--star-mode")
        validation.check_choice(c.reward, tuple(REWARDS), "--reward")
        validation.check_choice(c.baseline, BASELINES, "--baseline")
        c.rl_steps = _count(c.rl_steps, "--rl-steps")
        c.lr = validation.check_positive(c.lr, "--lr")
        c.eval_every = validation.check_count(c.eval_every, "--eval-every", 1)
        if c.max_samples is not None:
            c.max_samples = validation.check_count(c.max_samples, "--max-samples", 1)
        try:
            c.anchor = float(c.anchor)
        except (TypeError, ValueError):
            raise ValueError(f"--anchor must be a number >= 0, got {c.anchor!r}") from None
        if not (math.isfinite(c.anchor) and c.anchor >= 0):
            raise ValueError(f"--anchor must be a finite number >= 0, got {c.anchor}")
        if c.group_size is not None:
            c.group_size = _count(c.group_size, "--group-size", 1)
            if c.rl == "reinforce" and c.group_size != 1:
                raise ValueError("--group-size is GRPO's: REINFORCE samples one response per prompt")
        if c.batch_size is not None:
            c.batch_size = _count(c.batch_size, "--batch-size", 1)
        return c

    def resolve_pg(self):
        """A copy with the automatic group and batch sizes of a policy-gradient run filled in."""
        group = self.group_size if self.group_size is not None else (GRPO_GROUP if self.rl == "grpo" else 1)
        batch = self.batch_size if self.batch_size is not None else max(1, PG_RESPONSES_PER_STEP // group)
        return dataclasses.replace(self, group_size=group, batch_size=batch)

    def lambdas(self, n_samples, n_long):
        """Per-block lambda: the user's values where given, the automatic rule elsewhere."""
        auto = default_lambdas(self.d, n_samples, n_long, self.position1_features)
        common = self.lambda_
        groups = [self.lambda_1, self.lambda_2a, self.lambda_chain]
        chosen = [g if g is not None else common for g in groups]
        if all(c is None for c in chosen):
            return auto
        fixed = position_lambdas(self.d, *(c if c is not None else 1.0 for c in chosen))
        mask = np.array([chosen[0] is not None, chosen[1] is not None] + [chosen[2] is not None] * (self.d - 1))
        return np.where(mask, fixed, auto)

    def long_target_used(self):
        """The long target of the budgets: the user's, else the automatic one at ``d``."""
        return self.long_target if self.long_target is not None else default_long_target(self.d)

    def pretrain_budget(self):
        """Pre-training samples: the user's, else about ``long_target_used() / p_long``.

        Clipped to [200k, 20M] up to d = 64; the cap grows with the long target's
        scale above it, so that a long chain gets its long samples.  With a Walsh
        position 1: :data:`WALSH_VISITS` samples per prompt, ``32 * 2^d``, clipped to
        [200k, 20M].
        """
        if self.pretrain_samples is not None:
            return self.pretrain_samples
        if self.position1_features == "walsh":
            # Its position 1 learns a table of the 2^d prompts (docs/theory.md 3.12), and
            # each sample costs 2^d: the chain's long target does not size it.
            return int(min(PRETRAIN_MAX, max(PRETRAIN_MIN, WALSH_VISITS * 2**self.d)))
        cap = int(PRETRAIN_MAX * long_target_scale(self.d))
        floor = PRETRAIN_MIN if self.budget_floors else 1
        return default_pretrain_samples(self.p_long, self.long_target_used(), minimum=floor, maximum=cap)

    def round_budget(self, measured_p_long):
        """Prompts for the next STaR round: enough for about ``long_target`` kept long answers.

        Uses the current model's *measured* long probability (the simulator's own
        evaluation), so a shortfall is not hidden by assuming the predicted one.
        """
        if self.samples_per_round is not None:
            return self.samples_per_round
        cap = int(ROUND_MAX * long_target_scale(self.d))
        if measured_p_long <= 0:
            return cap
        floor = ROUND_MIN if self.budget_floors else 1
        return int(min(cap, max(floor, math.ceil(self.long_target_used() / measured_p_long))))


def flag(name):
    """The command-line flag of the field ``name`` (``lambda_`` is ``--lambda``)."""
    field = {f.name: f for f in dataclasses.fields(SimulationConfig)}[name]
    return field.metadata.get("flag") or "--" + name.rstrip("_").replace("_", "-")


def fields():
    """The fields of :class:`SimulationConfig`, each with its flag, group, help and type.

    Returns
    -------
    list of dict
        ``name``, ``flag``, ``group``, ``help``, ``default`` and ``type`` (the annotation,
        e.g. ``int | None``).
    """
    import typing

    hints = typing.get_type_hints(SimulationConfig)
    return [
        {
            "name": f.name,
            "flag": flag(f.name),
            "group": f.metadata["group"],
            "help": f.metadata["help"],
            "default": f.default,
            "type": hints[f.name],
        }
        for f in dataclasses.fields(SimulationConfig)
    ]
