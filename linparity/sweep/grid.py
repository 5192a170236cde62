"""The runs a sweep command asks for: p_long schedules, sweep axes, sample budgets, run keys."""

import dataclasses
import hashlib
import json
import math
import statistics

#: SimulationConfig fields the sweep sets itself (``--d``, ``--p-long``/``--p-schedule``, ``--seeds``).
GRID_FIELDS = ("d", "p_long", "seed")
#: Flags of the sweep itself; a SimulationConfig field of the same name is not exposed.
OWN_FLAGS = ("out", "p_schedule", "seeds", "budget", "workers", "scheduler", "quiet", "help")


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
            return self.c * d**-self.a
        if self.kind == "exp":
            return self.c * 2.0 ** (-d / self.a)
        return self.c

    def predicted_growth(self, d, d0):
        """Growth ``N(d) / N(d0)`` of :func:`linparity.theory.sample_complexity` (a sufficient count).

        ``d^polynomial_degree(kappa)`` for ``poly``, ``2^(exponential_rate(k) d)`` for
        ``exp`` (docs/theory.md section 4, formal version of Theorem 2); ``None`` for a fixed p.
        """
        from .. import theory

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
        from .. import theory

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


def axis_fields():
    """SimulationConfig fields that are sweep axes (every field but d, p_long and seed).

    Introspected, so fields added to the simulator become sweepable without a change here.
    """
    from ..config import fields

    return [
        (f["name"], f["type"], f["default"])
        for f in fields()
        if f["name"] not in GRID_FIELDS and f["name"].rstrip("_") not in OWN_FLAGS
    ]


def apply_budget(config, budget):
    """Map the sample budget onto the simulator's knobs; return ``(config, caps)``.

    The exact cap is the ``max_samples`` field (RL stops before a round or step would
    pass it).  The number of RL rounds (STaR) or steps (policy gradient) is also capped
    at what fits in ``budget - pretrain_samples`` at the smallest size of a round
    (``samples_per_round`` or :data:`linparity.config.ROUND_MIN`) or at the size of a
    step (``batch_size * group_size`` responses).  The samples-to-generalise metric
    ignores every stage past the budget.
    """
    from ..config import ROUND_MIN, SimulationConfig

    caps = {}
    if budget is None:
        return config, caps
    config = dict(config)
    old = config["max_samples"]
    config["max_samples"] = budget if old is None else min(old, budget)
    caps["max_samples"] = [old, config["max_samples"]]
    left = max(0, budget - (config["pretrain_samples"] or 0))
    if config["rl"] == "star":
        knob, per_stage = "rounds", config["samples_per_round"] or ROUND_MIN
    elif config["rl"] != "none":
        resolved = SimulationConfig(**config).resolve_pg()  # the automatic batch and group sizes
        knob, per_stage = "rl_steps", resolved.batch_size * resolved.group_size
    else:
        return config, caps
    if left // per_stage < config[knob]:
        caps[knob] = [config[knob], left // per_stage]
        config[knob] = left // per_stage
    return config, caps


def run_key(spec):
    """Hash of a run's specification (simulate config, schedule, budget, caps): its file name."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_spec(cfg, schedule, budget=None):
    """The JSON-ready spec of one run: ``{"config", "schedule", "budget", "caps", "threshold"}``.

    ``cfg`` is a validated :class:`linparity.config.SimulationConfig`; ``budget`` is mapped
    onto its knobs by :func:`apply_budget`.  The one place a run's spec is built (the
    sweep's grid and the minimal-budget search use it).
    """
    from ..config import SimulationConfig
    from ..evaluate import GENERALISE_ACCURACY

    config, caps = apply_budget(dataclasses.asdict(cfg), budget)
    SimulationConfig(**config).validate()
    return {"config": config, "schedule": schedule, "budget": budget, "caps": caps, "threshold": GENERALISE_ACCURACY}


#: Largest grid a sweep accepts (checked before any run is built).
MAX_RUNS = 100_000


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
    from ..config import SimulationConfig
    from ..evaluate import GENERALISE_ACCURACY

    schedules = [Schedule("fixed", p) for p in p_longs] + list(schedules)
    if not ds or not schedules or seeds < 1:
        raise ValueError("empty grid: give --d, at least one --p-long or --p-schedule, and --seeds >= 1")
    size = len(schedules) * len(ds) * seeds * math.prod(len(v) for v in axes.values())
    if size > MAX_RUNS:
        raise ValueError(
            f"the grid has {size:,} runs, more than {MAX_RUNS:,} (one file each, and days of work "
            "even at seconds a run); lower --seeds or split the grid"
        )
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
                    if (cfg.target_accuracy or 1.0) < GENERALISE_ACCURACY:
                        raise ValueError(
                            f"--target-accuracy {cfg.target_accuracy} would stop runs before "
                            f"greedy accuracy {GENERALISE_ACCURACY}, the sweep's metric"
                        )
                    spec = make_spec(cfg, sched.label, budget)
                    specs.setdefault(run_key(spec), spec)
    return list(specs.values())
