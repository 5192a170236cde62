"""One point of the minimal-budget search: its trial runs, its search, its record.

docs/theory.md section 4.13.  A point is ``(d, p_long, seed, rl)``; a trial is one
simulate run at a grid long count ``L`` with the budget floors off.  The record of a
point (one JSON file) holds every trial, the answer and the exact simulate command
of the minimal run.
"""

from __future__ import annotations

import dataclasses
import math
import shlex

from .search import PointSearch, grid_index, grid_value

__all__ = [
    "BUDGETS",
    "CONTROL_LAMBDA_2A",
    "CONTROL_PRETRAIN",
    "STAGE_CAP",
    "Point",
    "PointDriver",
    "command_line",
    "round1_wait",
    "run_serially",
    "trial_config",
    "trial_max_samples",
]

#: What a point's search varies.  ``long``: the per-stage long count L (pre-training
#: ``ceil(L / p_long)``, rounds sized for L kept long answers; docs/theory.md 4.13).
#: ``round``: the control of section 4.14, a fixed round size N with a fixed
#: pre-training, neither scaled by 1/p_long (so p_long = 0 is allowed).  ``pretrain``:
#: NTP alone's pre-training sample count N itself (``--rl none``; p_long = 0 allowed), the
#: separation of docs/theory.md 4.15 with a Walsh position 1.
BUDGETS = ("long", "round", "pretrain")

#: The control's pre-training: short demonstrations (and, for p_long > 0, the few long
#: ones that 100k samples hold), the same for every d.
CONTROL_PRETRAIN = 100_000

#: The control's lambda of the stop/go position.  With no long demonstration the
#: automatic rule gives 2a its floor (1e-5) and P(go) = 1e-9 (d = 4) to 1e-22 (d = 8):
#: STaR could never sample a chain.  A fixed 0.1 keeps P(go) near 0.16 at every d, so the
#: wait for a first correct chain is set by the chain's 2^(1 - d) alone.
CONTROL_LAMBDA_2A = 0.1

#: A trial stops before it would draw more than this many pre-trainings' worth of samples
#: (``STAGE_CAP * ceil(L / p_long)``).  A STaR run whose long fraction rises needs at most
#: one pre-training and ``rounds`` (20) rounds of at most ``L / p_long`` prompts each, so
#: the cap cuts only runs whose measured long fraction fell below ``p_long``; without it
#: such a run's rounds grow to the 20M cap and a failed trial costs minutes.
STAGE_CAP = 25

#: Trials that failed to run (an error, not "not reached") before a point gives up.
MAX_FAILED_TRIALS = 2


@dataclasses.dataclass(frozen=True)
class Point:
    d: int
    p_long: float
    seed: int
    rl: str
    schedule: str
    budget: str = "long"
    position1: str = "linear"

    @property
    def name(self):
        """The point's file name, without ``.json``.

        The schedule is part of it: ``poly:1:1`` and ``exp:1:4`` meet at d = 16 (both give
        p_long = 1/16), and each schedule's fit needs its own record of the point.
        """
        label = self.schedule.replace(":", "-").replace("=", "")
        suffix = "" if self.budget == "long" else f"_{self.budget}"
        suffix += "" if self.position1 == "linear" else f"_{self.position1}"
        return f"{label}_d{self.d}_p{self.p_long:.6g}_s{self.seed}_{self.rl}{suffix}".replace("/", "_")


def trial_max_samples(point, long_target):
    """The sample cap of a trial (see :data:`STAGE_CAP`); ``None`` for the control (its
    rounds are of fixed size, so ``rounds`` bounds it)."""
    if point.budget in ("round", "pretrain"):
        return None
    return STAGE_CAP * math.ceil(long_target / point.p_long)


def _trial_fields(point, value):
    """The simulate fields a trial sets beyond (d, p_long, seed, rl), as (field, flag, value)."""
    features = [] if point.position1 == "linear" else [("position1_features", "--position1-features", point.position1)]
    if point.budget == "pretrain":
        return [("pretrain_samples", "--pretrain-samples", value)] + features
    if point.budget == "round":
        return features + [
            ("pretrain_samples", "--pretrain-samples", CONTROL_PRETRAIN),
            ("samples_per_round", "--samples-per-round", value),
            ("lambda_2a", "--lambda-2a", CONTROL_LAMBDA_2A),
        ]
    return [
        ("long_target", "--long-target", value),
        ("budget_floors", "--no-budget-floors", False),
        ("max_samples", "--max-samples", trial_max_samples(point, value)),
    ] + features


def trial_config(point, value):
    """The validated SimulationConfig of a trial at grid value ``value``.

    Budget ``long``: defaults but ``long_target = value``, no floors, the cap.  Budget
    ``round``: defaults but the fixed pre-training, ``value`` prompts per round and the
    control's lambda of position 2a.  Budget ``pretrain``: defaults but ``value``
    pre-training samples.  A point's position 1 other than linear is set too.
    """
    from ..config import SimulationConfig

    fields = {name: v for name, _, v in _trial_fields(point, value)}
    return SimulationConfig(d=point.d, p_long=point.p_long, seed=point.seed, rl=point.rl, **fields).validate()


def command_line(point, value):
    """The ``python -m linparity.simulate`` line that reruns a trial exactly."""
    args = [
        "python", "-m", "linparity.simulate",
        "--d", str(point.d), "--p-long", repr(float(point.p_long)), "--seed", str(point.seed), "--rl", point.rl,
    ]  # fmt: skip
    for _, flag, v in _trial_fields(point, value):
        args += [flag] if isinstance(v, bool) else [flag, str(v)]
    return shlex.join(args)


def round1_wait(trials):
    """Prompts the pre-trained model needs for a first correct long answer, from round 1 of
    the control's trials (docs/theory.md section 4.14).

    The control's pre-training is the same in every trial of a point, so every round 1
    draws the same prompts and responses from the same model: the trials that see the
    chain must agree, and a disagreement is a bug (raised).

    Parameters
    ----------
    trials : list of dict
        A point's trials, each with ``first_chain_round1`` (None if its round 1 kept no
        long answer).

    Returns
    -------
    int or None
        The wait; ``None`` if no trial's round 1 was long enough to see it (the wait is
        then censored: above the largest round size tried, which the point records).
    """
    seen = {t["first_chain_round1"] for t in trials if t.get("first_chain_round1") is not None}
    if len(seen) > 1:
        raise RuntimeError(f"round 1 of one point's trials disagrees on the first chain: {sorted(seen)}")
    return seen.pop() if seen else None


def _first_chain(result):
    """RL prompts drawn until STaR first kept a correct long answer (None if it never did)."""
    drawn = 0
    for r in result["rl"]:
        if r.get("first_kept_long") is not None:
            return drawn + r["first_kept_long"]
        drawn += r["samples"]
    return None


class PointDriver:
    """The searches of many points at once, in the interface of :func:`linparity.sweep.run_adaptive`.

    Parameters
    ----------
    points : list of Point
    l_start, l_max : int
        First long count tried, and the largest allowed (rounded up to the grid).
    on_point : callable(record), optional
        Called once per point, with its record, when its search ends.
    """

    def __init__(self, points, l_start, l_max, on_point=None):
        from ..sweep import make_spec

        self._make_spec = make_spec
        k_max = grid_index(l_max)
        k_start = min(grid_index(l_start), k_max)
        self.points = list(points)
        self.searches = {p: PointSearch(k_start, k_max) for p in self.points}
        self.trials = {p: {} for p in self.points}  # k -> trial dict
        self.failures = {p: 0 for p in self.points}
        self.on_point = on_point
        self.records = {}
        self._specs = {}  # run key -> (point, k)

    def _spec(self, point, k):
        spec = self._make_spec(trial_config(point, grid_value(k)), point.schedule)
        from ..sweep import run_key

        self._specs[run_key(spec)] = (point, k)
        return spec

    def _active(self, point):
        return point not in self.records

    def wanted(self):
        specs = []
        for point in self.points:
            if not self._active(point):
                continue
            ks = self.searches[point].wanted()
            if not ks:
                self._finish(point)
                continue
            specs.extend(self._spec(point, k) for k in ks)
        return specs

    def tell(self, spec, result):
        from ..sweep import run_key

        point, k = self._specs[run_key(spec)]
        if not self._active(point):
            return
        if result is None:
            self.failures[point] += 1
            if self.failures[point] >= MAX_FAILED_TRIALS:
                self._finish(point, error="trials failed to run (see the messages above)")
            return
        g = result["sweep"]["generalised"]
        self.trials[point][k] = {
            "l": grid_value(k),
            "k": k,
            "reached": g["reached"],
            "samples": g["samples"] if g["reached"] else g["samples_used"],
            "samples_used": g["samples_used"],
            "stage": g["stage"],
            "wall_seconds": result["wall_seconds"],
            "run": result["sweep"]["key"],
            # the pre-trained model the control's wait is compared with (section 4.14)
            "pretrain_samples": result["pretrain"]["samples"],
            "pretrain_p_long": result["pretrain"]["p_long"],
            "pretrain_p_copy_go": result["pretrain"]["p_copy"] * result["pretrain"]["p_go_given_copy"],
            "first_chain": _first_chain(result),
            # Round 1 samples from the pre-trained model with the point's own streams, so
            # this is the same wait in every trial whose first round is long enough.
            "first_chain_round1": result["rl"][0].get("first_kept_long") if result["rl"] else None,
        }
        self.searches[point].tell(k, g["reached"])
        if self.searches[point].done:
            self._finish(point)

    def _finish(self, point, error=None):
        if point in self.records:
            return
        search = self.searches[point]
        k = search.answer if error is None else None
        trials = [self.trials[point][j] for j in sorted(self.trials[point])]
        best = self.trials[point].get(k) if k is not None else None
        violations = search.violations()
        control = point.budget == "round"
        wait = round1_wait(trials) if control else None
        record = {
            **dataclasses.asdict(point),
            "reached": best is not None,
            "l_min": best["l"] if best else None,
            "n_min": best["samples"] if best else None,
            "stage": best["stage"] if best else None,
            "command": command_line(point, best["l"]) if best else None,
            "monotone": not violations,
            "violations": [[grid_value(a), grid_value(b)] for a, b in violations],
            "l_max": grid_value(search.k_max),
            "n_rl_min": best["samples"] - best["pretrain_samples"] if best else None,
            "first_chain": best["first_chain"] if best else None,
            "pretrained_wait": wait,
            # no round 1 saw a chain: the wait exceeds the largest round size tried
            "wait_censored_above": max(t["l"] for t in trials) if control and wait is None and trials else None,
            "pretrain_p_copy_go": best["pretrain_p_copy_go"] if best else None,
            "trials": trials,
            "wall_seconds": sum(t["wall_seconds"] for t in trials),
            "error": error,
        }
        self.records[point] = record
        if self.on_point is not None:
            self.on_point(record)

    @property
    def finished(self):
        return len(self.records) == len(self.points)


def run_serially(driver, runner=None):
    """Run a driver's trials one after the other in this process (no Dask, nothing stored).

    For small searches (a figure's, a test's); ``runner(spec) -> result`` defaults to
    :func:`linparity.sweep.run_one`.  Returns the driver, its ``records`` filled in.
    """
    if runner is None:
        from ..sweep import run_one as runner
    while not driver.finished:
        wanted = driver.wanted()
        if not wanted:
            break
        for spec in wanted:
            result = runner(spec)
            driver.tell(spec, None if "error" in result else result)
    return driver
