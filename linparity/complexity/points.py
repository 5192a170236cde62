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

__all__ = ["STAGE_CAP", "Point", "PointDriver", "command_line", "run_serially", "trial_config", "trial_max_samples"]

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

    @property
    def name(self):
        """The point's file name, without ``.json``.

        The schedule is part of it: ``poly:1:1`` and ``exp:1:4`` meet at d = 16 (both give
        p_long = 1/16), and each schedule's fit needs its own record of the point.
        """
        label = self.schedule.replace(":", "-").replace("=", "")
        return f"{label}_d{self.d}_p{self.p_long:.6g}_s{self.seed}_{self.rl}".replace("/", "_")


def trial_max_samples(point, long_target):
    """The sample cap of a trial (see :data:`STAGE_CAP`)."""
    return STAGE_CAP * math.ceil(long_target / point.p_long)


def trial_config(point, long_target):
    """The validated SimulationConfig of a trial: defaults but ``long_target``, no floors, the cap."""
    from ..config import SimulationConfig

    return SimulationConfig(
        d=point.d,
        p_long=point.p_long,
        seed=point.seed,
        rl=point.rl,
        long_target=long_target,
        budget_floors=False,
        max_samples=trial_max_samples(point, long_target),
    ).validate()


def command_line(point, long_target):
    """The ``python -m linparity.simulate`` line that reruns a trial exactly."""
    args = [
        "python", "-m", "linparity.simulate",
        "--d", str(point.d), "--p-long", repr(float(point.p_long)), "--seed", str(point.seed),
        "--rl", point.rl, "--long-target", str(long_target), "--no-budget-floors",
        "--max-samples", str(trial_max_samples(point, long_target)),
    ]  # fmt: skip
    return shlex.join(args)


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
