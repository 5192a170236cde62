"""The experiments behind the figures: one function per figure, returning tidy data.

Each function takes the :class:`Settings` of the session and a :class:`RunCache`
(figures that share a simulator configuration share its run) and returns a
figure record (see :mod:`linparity.figures.store`): the parameters of the
experiment and tables of measured values, one row per observation. Nothing here
draws, and no prediction is stored: the plots and the headline numbers are made
from the stored record, with the predictions of :mod:`linparity.theory` computed
at that time. This is the only module of the package that imports the simulator.
"""

import dataclasses
import itertools

import numpy as np

from .. import ntp, theory
from ..config import SimulationConfig
from ..evaluate import eval_prompts, evaluate, first_generalising, stages
from ..experiment import run
from ..task import STREAM_PRETRAIN, draw_demonstrations, stream_key
from .series import PROPOSITIONS, RL_ALGORITHMS, SCHEDULES, schedule


@dataclasses.dataclass(frozen=True)
class Settings:
    """The scale of a session: the paper's runs, or small ones (``quick``, a smoke test).

    Parameters
    ----------
    quick : bool
        Small runs: every figure is drawn, none is a result.
    seeds : tuple of int
        Seeds per measured curve.
    """

    quick: bool = False
    seeds: tuple = (0, 1, 2)

    def pick(self, full, quick):
        """``quick`` in a quick session, ``full`` otherwise."""
        return quick if self.quick else full


class RunCache:
    """Simulator runs of one session, keyed by their configuration fields.

    Figs. 1 and 3 draw the same runs; asking twice runs once.
    """

    def __init__(self, runner=None):
        self._runner = runner if runner is not None else run
        self._results = {}

    def run(self, **fields):
        """The result of ``run(SimulationConfig(**fields))``, computed at most once."""
        key = tuple(sorted(fields.items()))
        if key not in self._results:
            self._results[key] = self._runner(SimulationConfig(**fields), show_progress=False)
        return self._results[key]


def _record(parameters, **tables):
    return {"parameters": parameters, "tables": tables}


def _int_or_none(value):
    return None if value is None else int(value)


def rl_runs(settings, runs, d, p, algos=RL_ALGORITHMS):
    """The RL runs of Figs. 1 and 3: no early stop, so the curves show the whole rise.

    Returns
    -------
    dict
        Algorithm name to its list of results, one per seed.
    """
    q = settings.pick
    out = {}
    for algo in algos:
        fields = dict(
            d=d, p_long=p, rl=algo, long_target=q(100_000, 10_000), eval_prompts=q(10_000, 2_000), target_accuracy=None
        )
        if algo == "star":
            fields.update(rounds=q(6, 2))
        else:
            fields.update(rl_steps=q(40, 6), eval_every=q(2, 2))
        # A ValueError here is a bad configuration of this figure: it propagates (it
        # used to be swallowed, and the algorithm's curve vanished from the figure).
        out[algo] = [runs.run(seed=s, **fields) for s in settings.seeds]
    return out


def accuracy_vs_samples(settings, runs):
    """Greedy accuracy against samples seen: NTP alone versus NTP then RL (paper Fig. 1 right).

    Tables: ``curve`` (series ``ntp`` and each RL algorithm; seed, samples,
    greedy_accuracy) and ``generalised`` (series, seed, samples at the first stage
    of greedy accuracy >= ``GENERALISE_ACCURACY``, null if never).
    """
    q = settings.pick
    d, p = 50, 0.25
    # NTP alone: the averaged iterate of one long Algorithm 3 run, read at checkpoints.
    total = q(20_000_000, 400_000)
    checkpoints = np.unique(np.geomspace(2_000, total, q(14, 6)).astype(int))
    curve, generalised = [], []
    for seed in settings.seeds:
        x_eval = eval_prompts(d, q(10_000, 2_000), seed)
        state = ntp.Algorithm3(d, ntp.default_lambdas(d, total, int(p * total)))
        key, done = stream_key(seed, STREAM_PRETRAIN), 0
        for stop in checkpoints:
            while done < stop:
                n = min(1 << 16, stop - done)
                state.partial_fit(*draw_demonstrations(n, d, p, key=key, start=done), check=False)
                done += n
            curve.append(
                {
                    "series": "ntp",
                    "seed": seed,
                    "samples": int(stop),
                    "greedy_accuracy": evaluate(state.model(), x_eval)["greedy_accuracy"],
                }
            )
    for algo, results in rl_runs(settings, runs, d, p).items():
        for seed, result in zip(settings.seeds, results):
            for stage in stages(result):
                curve.append(
                    {
                        "series": algo,
                        "seed": seed,
                        "samples": int(stage["samples"]),
                        "greedy_accuracy": stage["record"]["greedy_accuracy"],
                    }
                )
            hit = first_generalising(result)
            generalised.append({"series": algo, "seed": seed, "samples": _int_or_none(hit and hit["samples"])})
    return _record({"d": d, "p_long": p, "ntp_samples": int(total)}, curve=curve, generalised=generalised)


def pretrain_threshold(settings, runs):
    """Greedy accuracy and long fraction after pre-training against p_long (paper Fig. 2).

    Table ``pretrain``: p_long, seed, greedy_accuracy, long_fraction (pi(correct long)).
    """
    q = settings.pick
    d = 25
    ps = q([0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.32, 0.35, 0.37, 0.4, 0.45, 0.5, 0.6], [0.1, 0.3, 0.4])
    rows = []
    for p in ps:
        for s in settings.seeds:
            r = runs.run(
                d=d, p_long=float(p), seed=s, rl="none", long_target=q(100_000, 10_000), eval_prompts=q(10_000, 2_000)
            )["pretrain"]
            rows.append(
                {"p_long": float(p), "seed": s, "greedy_accuracy": r["greedy_accuracy"], "long_fraction": r["p_long"]}
            )
    return _record({"d": d, "p_long": [float(p) for p in ps]}, pretrain=rows)


def length_growth(settings, runs):
    """Mean and greedy response length against RL rounds/steps (paper Fig. 3).

    Table ``length``: series (algorithm), seed, step (0 is pre-training; STaR round
    or policy-gradient step after), mean_length, greedy_length.
    """
    d, p = 50, 0.25
    rows = []
    for algo, results in rl_runs(settings, runs, d, p).items():
        for seed, result in zip(settings.seeds, results):
            recs = [result["pretrain"]] + result["rl"]
            t = [0] + [r.get("step", r.get("round")) for r in result["rl"]]
            rows += [
                {
                    "series": algo,
                    "seed": seed,
                    "step": int(ti),
                    "mean_length": r["mean_length"],
                    "greedy_length": r["greedy_length"],
                }
                for ti, r in zip(t, recs)
            ]
    return _record({"d": d, "p_long": p}, length=rows)


#: The terms of the measured decomposition p_long = p_copy * p_go_given_copy * chain_success
#: (linparity.evaluate), stored per stage so that any prediction can be laid over them.
DECOMPOSITION = ("p_copy", "p_go_given_copy", "p_go_given_no_copy", "chain_success")


def star_recursion(settings, runs):
    """Measured long fraction and its decomposition per STaR round, through the plateau.

    Theorem 2 predicts ``p_n = 2^n p / (2^n p + 1 - p)``; the finite-lambda map
    (docs/theory.md section 4.8) predicts each stage from the stage's own penalties,
    which every row stores (``lambda_1``, ``lambda_2a``, ``lambda_chain``: the recorded
    ``lambdas``), so the prediction is computed when the figure is drawn.

    Table ``long_fraction``: d, p_long, seed, round (0 is pre-training), long_fraction,
    the four decomposition terms and the stage's lambdas.  Fresh STaR, r_cot,
    temperature 1, no early stop.
    """
    q = settings.pick
    ds = q([8, 16, 32], [8])
    ps = q([0.003, 0.01, 0.05, 0.2], [0.05])
    rounds = q(14, 3)
    rows = []
    for d, p, seed in itertools.product(ds, ps, settings.seeds):
        result = runs.run(
            d=d,
            p_long=p,
            seed=seed,
            rounds=rounds,
            target_accuracy=None,
            long_target=q(100_000, 10_000),
            eval_prompts=q(10_000, 2_000),
        )
        for n, r in enumerate([result["pretrain"]] + result["rl"]):
            rows.append(
                {
                    "d": d,
                    "p_long": p,
                    "seed": seed,
                    "round": n,
                    "long_fraction": r["p_long"],
                    **{k: r[k] for k in DECOMPOSITION},
                    "lambda_1": r["lambdas"]["1"],
                    "lambda_2a": r["lambdas"]["2a"],
                    "lambda_chain": r["lambdas"]["chain"],
                }
            )
    return _record(
        {"d": list(ds), "p_long": list(ps), "seeds": list(settings.seeds), "rounds": rounds}, long_fraction=rows
    )


def rounds_to_generalise(settings, runs):
    """STaR rounds until greedy accuracy >= ``GENERALISE_ACCURACY``, against p_long.

    Table ``rounds``: p_long, seed, rounds (the first RL round that generalises, null
    if none of the 20 does).
    """
    q = settings.pick
    d = 16
    ps = q([0.3, 0.1, 0.03, 0.01, 0.003, 0.001], [0.2, 0.05])
    rows = []
    for p in ps:
        for s in settings.seeds:
            r = runs.run(
                d=d, p_long=float(p), seed=s, rounds=20, long_target=q(50_000, 5_000), eval_prompts=q(10_000, 2_000)
            )
            hit = first_generalising(r, rl_only=True)
            rows.append({"p_long": float(p), "seed": s, "rounds": _int_or_none(hit and hit["record"]["round"])})
    return _record({"d": d, "p_long": [float(p) for p in ps]}, rounds=rows)


def _complexity_runner(runs):
    """A trial runner for :func:`linparity.complexity.run_serially` through the session's runs.

    Figures whose searches meet the same trial (``sample_complexity``'s grid holds the
    fixed-p points of ``thresholds``) then run it once.  The result gets the ``sweep``
    section that :class:`linparity.complexity.PointDriver` reads, as on a worker.
    """
    from ..sweep import with_sweep_section

    # a copy: the cached record stays as simulate made it, for the other figures
    return lambda spec: with_sweep_section(dict(runs.run(**spec["config"])), spec)


#: The columns of a figure's table of searched points.
POINT_COLUMNS = ("reached", "l_min", "n_min", "n_rl_min", "pretrained_wait", "pretrain_p_copy_go")


def _search(points, runs, l_start, l_max, series=None):
    """Run the minimal-budget search of ``points``; one row per point (section 4.13)."""
    from .. import complexity

    driver = complexity.run_serially(complexity.PointDriver(points, l_start, l_max), _complexity_runner(runs))
    rows = []
    for point in points:
        r = driver.records[point]
        row = {"d": point.d, "p_long": point.p_long, "seed": point.seed, "schedule": point.schedule}
        if series is not None:
            row["series"] = series(point)
        row.update({k: r[k] for k in POINT_COLUMNS})
        row.update(trials=len(r["trials"]), monotone=r["monotone"])
        row["n_min_seconds"] = complexity.minimal_run_seconds(r)
        rows.append(row)
    return rows


def _search_range(settings):
    """First and largest long count the figures' minimal-budget searches try."""
    return settings.pick(1000, 100), settings.pick(400_000, 2_000)


def _law_points(settings):
    """The fixed-p grid of the law N_min = C d^a p^-beta (the one of ``sample_complexity``)."""
    from .. import complexity

    q = settings.pick
    ds = q([8, 12, 16, 24, 32, 48, 64], [6, 8])
    ps = q([0.3, 0.1, 0.03, 0.01], [0.3, 0.1])
    return ds, ps, [complexity.Point(d, p, s, "star", f"p={p:g}") for d in ds for p in ps for s in settings.seeds]


def thresholds(settings, runs):
    """N_min against d along p = 1/d (polynomial) and p = 2^(-d/4) (exponential).

    docs/theory.md sections 4.13 and 5.7.  The minimal-budget search on each schedule,
    and on the fixed-p grid whose fitted law the plot extends along them (a prediction
    out of that grid's sample; shared with ``sample_complexity`` in one session).

    Table ``points``: series (``poly``, ``exp`` or ``law``), schedule, d, p_long, seed,
    reached, l_min, n_min, trials, monotone.
    """
    from .. import complexity

    q = settings.pick
    dims = {"poly": q([8, 12, 16, 24, 32, 48, 64], [6, 10]), "exp": q([8, 12, 16, 20, 24, 28, 32], [6, 10])}
    labels = {"poly": "poly:1:1", "exp": "exp:1:4"}
    points = [
        complexity.Point(int(d), schedule(name, d), s, "star", labels[name])
        for name, ds in dims.items()
        for d in ds
        for s in settings.seeds
    ]
    _, _, law = _law_points(settings)
    kind = {label: name for name, label in labels.items()}
    rows = _search(points + law, runs, *_search_range(settings), lambda p: kind.get(p.schedule, "law"))
    return _record({"d": dims, "schedules": SCHEDULES, "grid_ratio": complexity.GRID_RATIO}, points=rows)


def bounds_vs_empirical(settings, runs):
    """Worst calibration error against T, for the bounds of Propositions 1-3 (d = 3).

    Table ``error``: proposition, T, seed, error (the worst probability error over the
    2^d prompts).
    """
    q = settings.pick
    d, delta = 3, 0.5
    xs = np.array(list(itertools.product((-1, 1), repeat=d)), dtype=np.int8)
    chain = np.cumprod(xs.astype(int), axis=1)
    ts = np.unique(np.geomspace(1_000, q(2_000_000, 50_000), q(10, 4)).astype(int))
    sig = lambda s: 1 / (1 + np.exp(-s))
    lam1, lam2, lam3, p = 0.1, 0.08, 0.08, 0.5
    # The errors are measured against the exact targets of Lemma 1 and Proposition 2
    # (the Bayes-optimal probabilities), not against the bounds, which the plot adds.
    rows = []
    for T in ts:
        for s in settings.seeds:
            m = ntp.pretrain(d, p, int(T), seed=s, lambdas=ntp.position_lambdas(d, lam1, lam2, lam3)).model()
            e1 = np.max(np.abs(sig(xs @ m.w1) - sig(xs[:, 0] * float(theory.lemma1_weight(p)))))
            w = m.w2a
            s2 = xs @ w[:d] + xs[:, 0] * w[d] + xs[:, 0] * (xs @ w[d + 1 :]) + m.b2a
            e2 = np.max(np.abs(sig(s2) - float(theory.posterior_eos_after_copy(p))))
            m3 = ntp.pretrain(d, 1.0, int(T), seed=s, lambdas=ntp.position_lambdas(d, 1.0, 1.0, lam3)).model()
            w = m3.chain_weights(3)
            s3 = xs @ w[:d] + chain[:, :2] @ w[d : d + 2] + chain[:, 1] * (xs @ w[d + 2 :])
            e3 = np.max(sig(-chain[:, 2] * s3))
            rows += [
                {"proposition": k, "T": int(T), "seed": s, "error": float(e)}
                for k, e in zip(PROPOSITIONS, (e1, e2, e3))
            ]
    parameters = {
        "d": d,
        "delta": delta,
        "p_long": p,
        "lambda": {"prop1": lam1, "prop2": lam2, "prop3": lam3},
        "T": [int(t) for t in ts],
    }
    return _record(parameters, error=rows)


def ablation_arms(settings):
    """The arms of :func:`ablations`: (label, simulator fields) pairs, in plotting order."""
    arms = []
    for algo in RL_ALGORITHMS:
        for reward in ("cot", "e2e"):
            arms.append((f"{algo}\n{reward}", dict(rl=algo, reward=reward)))
    for tau in (2.0, 3.0):
        for reward in ("e2e", "cot"):
            arms.append((f"star {reward}\ntau={tau:g}", dict(rl="star", reward=reward, temperature=tau)))
    early = settings.pick(10_000, 1_000)
    arms.append((f"star cot\nstart {early // 1000}k", dict(rl="star", pretrain_samples=early)))
    arms.append((f"grpo e2e\nstart {early // 1000}k", dict(rl="grpo", reward="e2e", pretrain_samples=early)))
    return arms


def ablations(settings, runs):
    """Algorithm x reward, STaR temperature and RL start time (linear model, docs/theory.md section 4).

    Table ``final``: arm (its label; a newline splits the tick), greedy_accuracy and
    greedy_length of the last evaluation; one seed.
    """
    q = settings.pick
    d, p = q(50, 10), 0.25
    rows = []
    for name, fields in ablation_arms(settings):
        extra = dict(rl_steps=q(150, 20), eval_every=q(10, 10)) if fields["rl"] != "star" else dict(rounds=q(6, 2))
        r = runs.run(
            d=d,
            p_long=p,
            seed=settings.seeds[0],
            long_target=q(50_000, 5_000),
            eval_prompts=q(5_000, 1_000),
            **fields,
            **extra,
        )
        last = r["rl"][-1] if r["rl"] else r["pretrain"]
        rows.append({"arm": name, "greedy_accuracy": last["greedy_accuracy"], "greedy_length": last["greedy_length"]})
    return _record({"d": d, "p_long": p, "seed": settings.seeds[0], "arms": [r["arm"] for r in rows]}, final=rows)


def phase_diagram(settings, runs):
    """Final greedy accuracy over (d, p_long), NTP alone and NTP then STaR, at a fixed budget.

    Table ``accuracy``: series (``ntp`` or ``star``), d, p_long, greedy_accuracy (the
    last evaluation within the budget of samples); one seed.  Table ``law``: the
    minimal-budget search on the fixed-p grid of ``sample_complexity`` (shared with it
    in one session), whose fitted law gives the plot's fitted boundary.
    """
    q = settings.pick
    ds = q([8, 16, 32, 64], [6, 10])
    ps = q([0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.4, 0.5], [0.05, 0.4])
    budget = q(30_000_000, 500_000)
    long_target = q(30_000, 3_000)
    seed = settings.seeds[0]
    rows = []
    for d in ds:
        for p in ps:
            pre = min(budget, ntp.default_pretrain_samples(float(p), long_target))
            r = runs.run(
                d=int(d),
                p_long=float(p),
                seed=seed,
                rl="none",
                pretrain_samples=int(budget),
                long_target=long_target,
                eval_prompts=q(5_000, 1_000),
            )
            rows.append(
                {"series": "ntp", "d": int(d), "p_long": float(p), "greedy_accuracy": r["pretrain"]["greedy_accuracy"]}
            )
            r = runs.run(
                d=int(d),
                p_long=float(p),
                seed=seed,
                pretrain_samples=int(pre),
                rounds=30,
                long_target=long_target,
                eval_prompts=q(5_000, 1_000),
            )
            best = r["pretrain"]["greedy_accuracy"]
            for rec in r["rl"]:
                if rec["cumulative_samples"] <= budget:
                    best = rec["greedy_accuracy"]
            rows.append({"series": "star", "d": int(d), "p_long": float(p), "greedy_accuracy": best})
    parameters = {
        "d": [int(d) for d in ds],
        "p_long": [float(p) for p in ps],
        "budget": int(budget),
        "long_target": int(long_target),
        "seed": seed,
    }
    law = _search(_law_points(settings)[2], runs, *_search_range(settings))
    return _record(parameters, accuracy=rows, law=law)


def sample_complexity(settings, runs):
    """The fewest samples that generalise, per (d, p_long, seed): the minimal-budget search.

    docs/theory.md section 4.13.  Each point runs :mod:`linparity.complexity`'s search
    (per-stage long count L on the geometric grid, floors off, NTP then STaR) in this
    process, its trials through ``runs``.

    Table ``points``: d, p_long, seed, schedule, reached, l_min, n_min (samples of the
    minimal run), trials, monotone.
    """
    from .. import complexity

    ds, ps, points = _law_points(settings)
    rows = _search(points, runs, *_search_range(settings))
    return _record({"d": ds, "p_long": ps, "grid_ratio": complexity.GRID_RATIO}, points=rows)


def control(settings, runs):
    """The control of docs/theory.md section 4.14: no budget scales with 1/p_long.

    Fixed pre-training (100,000 samples), lambda_2a = 0.1, and the smallest fixed round
    size N that reaches greedy accuracy 0.99, at p_long = 0 and p_long = 2^-d.

    Table ``points``: series (``zero`` or ``exp``), schedule, d, p_long, seed, reached,
    l_min (N), n_min, n_rl_min (RL prompts), pretrained_wait (prompts to the first
    kept chain), pretrain_p_copy_go, trials, monotone.
    """
    from .. import complexity

    q = settings.pick
    ds = q(list(range(4, 15)), [4, 5, 6])
    points = [
        complexity.Point(d, p, s, "star", label, "round")
        for d in ds
        for label, p in (("p=0", 0.0), ("exp:1:1", 2.0**-d))
        for s in settings.seeds
    ]
    rows = _search(points, runs, q(1000, 100), q(4_000_000, 200_000), lambda p: "zero" if p.p_long == 0 else "exp")
    parameters = {
        "d": ds,
        "pretrain_samples": complexity.CONTROL_PRETRAIN,
        "lambda_2a": complexity.CONTROL_LAMBDA_2A,
        "grid_ratio": complexity.GRID_RATIO,
    }
    return _record(parameters, points=rows)


def separation(settings, runs):
    """NTP alone with a Walsh position 1 against NTP then STaR with the linear model (section 4.15).

    The minimal-budget search of both routes over the same d: NTP alone's pre-training
    sample count (``--budget pretrain``, ``--position1-features walsh``) at p_long = 0
    and 0.1; NTP then STaR's per-stage long count at p_long = 0.1 and 1/d.

    Table ``points``: series (``walsh p=0``, ``walsh p=0.1``, ``star p=0.1``, ``star 1/d``),
    schedule, d, p_long, seed, reached, l_min, n_min, n_min_seconds (seconds of the
    minimal run), trials, monotone.
    """
    from .. import complexity

    q = settings.pick
    ds = q(list(range(4, 15)), [4, 5, 6])
    walsh = [
        complexity.Point(d, p, s, "none", f"p={p:g}", "pretrain", "walsh")
        for d in ds
        for p in (0.0, 0.1)
        for s in settings.seeds
    ]
    star = [
        complexity.Point(d, p, s, "star", label)
        for d in ds
        for label, p in (("p=0.1", 0.1), ("poly:1:1", 1.0 / d))
        for s in settings.seeds
    ]

    def name(point):
        if point.position1 == "walsh":
            return f"walsh {point.schedule}"
        return "star p=0.1" if point.schedule == "p=0.1" else "star 1/d"

    # Each d's search starts at 2^d samples, the order of the count it must find: the
    # bracketing from there ends at the same answer (monotonicity is checked) without
    # first trying the grid's top, 13.8M samples of 2^d work each.
    rows = [
        row for d in ds for row in _search([p for p in walsh if p.d == d], runs, 2**d, q(10_000_000, 200_000), name)
    ]
    rows += _search(star, runs, *_search_range(settings), name)
    return _record({"d": ds, "grid_ratio": complexity.GRID_RATIO}, points=rows)
