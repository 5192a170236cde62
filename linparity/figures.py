"""``python -m linparity.figures``: the paper's results for the linear model (THEORY.md section 5).

Every figure draws what the simulator measured (solid lines, markers, "measured") and
what :mod:`linparity.theory` predicts (dashed, "predicted") on the same axes. One
function per figure returns the figure and a few headline numbers; ``main`` writes
``DIR/NAME.png`` and ``DIR/NAME.pdf`` atomically, ``DIR/summary.json`` with the
numbers, and ``DIR/README.md`` with a table of every figure, its command and its
numbers. ``--quick`` makes every figure from small runs (a smoke test, not results).
"""

import json
import math
import os
import sys
import tempfile
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import ntp, theory  # noqa: E402
from .cli import OneLineParser  # noqa: E402
from .output import atomic_path, write_atomic  # noqa: E402
from .evaluate import GENERALISE_ACCURACY, eval_prompts, evaluate, first_generalising, samples_to_generalise, stages  # noqa: E402
from .simulate import SimulationConfig, run  # noqa: E402
from .task import STREAM_PRETRAIN, draw_demonstrations, stream_key  # noqa: E402

STYLE = {
    "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 200, "font.size": 10,
    "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8.5, "legend.frameon": False,
    "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
    "lines.linewidth": 1.8, "lines.markersize": 4.5, "savefig.bbox": "tight",
}
COLORS = {"ntp": "#7f7f7f", "star": "#1f77b4", "reinforce": "#d62728", "grpo": "#2ca02c"}
PREDICTED = {"color": "black", "linestyle": "--", "linewidth": 1.3}
SCALE = {"quick": False}


def _q(full, quick):
    return quick if SCALE["quick"] else full


_RUNS = {}


def _run(**fields):
    """One simulate run; figures that share a configuration share the run."""
    key = tuple(sorted(fields.items()))
    if key not in _RUNS:
        _RUNS[key] = run(SimulationConfig(**fields), show_progress=False)
    return _RUNS[key]


# ----------------------------------------------------------------------------- figures

def accuracy_vs_samples(seeds):
    """Greedy accuracy against samples seen: NTP alone versus NTP then RL (paper Fig. 1 right)."""
    d, p = 50, 0.25
    fig, ax = plt.subplots()
    summary = {}
    # NTP alone: the averaged iterate of one long Algorithm 3 run, read at checkpoints.
    total = _q(20_000_000, 400_000)
    checkpoints = np.unique(np.geomspace(2_000, total, _q(14, 6)).astype(int))
    curves = []
    for seed in seeds:
        x_eval = eval_prompts(d, _q(10_000, 2_000), seed)
        state = ntp.Algorithm3(d, ntp.default_lambdas(d, total, int(p * total)))
        key, done, accs = stream_key(seed, STREAM_PRETRAIN), 0, []
        for stop in checkpoints:
            while done < stop:
                n = min(1 << 16, stop - done)
                state.partial_fit(*draw_demonstrations(n, d, p, key=key, start=done), check=False)
                done += n
            accs.append(evaluate(state.model(), x_eval)["greedy_accuracy"])
        curves.append(accs)
    curves = np.array(curves)
    ax.plot(checkpoints, curves.mean(0), "o-", color=COLORS["ntp"], label="NTP alone (measured)")
    if len(seeds) > 1:
        ax.fill_between(checkpoints, curves.min(0), curves.max(0), color=COLORS["ntp"], alpha=0.2)
    summary["ntp_final_greedy_accuracy"] = float(curves[:, -1].mean())
    summary["ntp_samples"] = int(total)
    # NTP then RL.
    for algo, results in _rl_runs(d, p, seeds, ("star", "reinforce", "grpo")).items():
        xs, ys, finals = [], [], []
        for result in results:
            points = stages(result)
            xs.append([s["samples"] for s in points])
            ys.append([s["record"]["greedy_accuracy"] for s in points])
            hit = first_generalising(result)
            finals.append(hit["samples"] if hit else math.nan)
        for x, y in zip(xs, ys):
            ax.plot(x, y, "o-", color=COLORS[algo], alpha=1.0 if len(xs) == 1 else 0.6,
                    label=f"NTP then {algo.upper() if algo != 'star' else 'STaR'} (measured)" if x is xs[0] else None)
        summary[f"{algo}_samples_to_0.99"] = [None if math.isnan(v) else int(v) for v in finals]
    n_star = theory.rounds_to_greedy(p)
    ax.axhline(float(theory.pretrain_greedy_accuracy(p)), **PREDICTED,
               label=f"predicted after NTP: {float(theory.pretrain_greedy_accuracy(p)):.2f} (p < 1/3)")
    summary["predicted_rounds_to_greedy"] = int(n_star)
    ax.set(xscale="log", xlabel="samples seen (pre-training + RL prompts)", ylabel="greedy accuracy",
           title=f"Parity, d = {d}, p_long = {p}: NTP alone stays at chance, RL learns it", ylim=(0, 1.05))
    ax.legend(loc="upper left")
    return fig, summary


def pretrain_threshold(seeds):
    """Greedy accuracy and long fraction after pre-training against p_long (paper Fig. 2)."""
    d = 25
    ps = np.array(_q([0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.32, 0.35, 0.37, 0.4, 0.45, 0.5, 0.6], [0.1, 0.3, 0.4]))
    acc, longf = [], []
    for p in ps:
        rs = [_run(d=d, p_long=float(p), seed=s, rl="none", long_target=_q(100_000, 10_000),
                   eval_prompts=_q(10_000, 2_000))["pretrain"] for s in seeds]
        acc.append([r["greedy_accuracy"] for r in rs])
        longf.append([r["p_long"] for r in rs])
    acc, longf = np.array(acc), np.array(longf)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.6, 3.8))
    grid = np.linspace(0.01, 0.99, 400)
    a1.plot(ps, acc.mean(1), "o-", color=COLORS["ntp"], label="measured")
    a1.plot(grid, theory.pretrain_greedy_accuracy(grid), **PREDICTED, label="predicted: step at p = 1/3")
    a1.set(xlabel="p_long", ylabel="greedy accuracy after NTP", title=f"Greedy accuracy, d = {d}")
    a2.plot(ps, longf.mean(1), "o-", color=COLORS["star"], label="measured pi(correct long)")
    a2.plot(grid, theory.pretrain_long_fraction(grid), **PREDICTED, label="predicted: p_long")
    a2.set(xlabel="p_long", ylabel="long fraction after NTP", title="Long fraction (calibration)")
    for a in (a1, a2):
        a.legend()
    below, above = acc.mean(1)[ps < 1 / 3], acc.mean(1)[ps > 1 / 3]
    summary = {"max_greedy_below_one_third": float(below.max()) if len(below) else None,
               "min_greedy_above_one_third": float(above.min()) if len(above) else None,
               "max_relative_long_fraction_error": float(np.max(np.abs(longf.mean(1) / ps - 1)))}
    fig.tight_layout()
    return fig, summary


def _rl_runs(d, p, seeds, algos):
    """The RL runs of Figs. 1 and 3: no early stop, so the curves show the whole rise."""
    out = {}
    for algo in algos:
        fields = dict(d=d, p_long=p, rl=algo, long_target=_q(100_000, 10_000), eval_prompts=_q(10_000, 2_000),
                      target_accuracy=None)
        if algo == "star":
            fields.update(rounds=_q(6, 2))
        else:
            fields.update(rl_steps=_q(40, 6), eval_every=_q(2, 2))
        try:
            out[algo] = [_run(seed=s, **fields) for s in seeds]
        except ValueError:
            pass
    return out


def length_growth(seeds):
    """Mean and greedy response length against RL rounds/steps (paper Fig. 3)."""
    d, p = 50, 0.25
    runs = _rl_runs(d, p, seeds, ("star", "reinforce", "grpo"))
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.6), squeeze=False)
    summary = {}
    for ax, (algo, results) in zip(axes[0], runs.items()):
        for i, result in enumerate(results):
            recs = [result["pretrain"]] + result["rl"]
            t = [0] + [r.get("step", r.get("round")) for r in result["rl"]]
            ax.plot(t, [r["mean_length"] for r in recs], "o-", color=COLORS[algo],
                    label="mean length (measured)" if i == 0 else None)
            ax.plot(t, [r["greedy_length"] for r in recs], "s:", color=COLORS[algo], alpha=0.7,
                    label="greedy length (measured)" if i == 0 else None)
        if algo == "star":
            n = np.arange(0, len(results[0]["rl"]) + 1)
            ax.plot(n, theory.pretrain_mean_length(theory.star_long_fraction(p, n), d), **PREDICTED,
                    label="predicted mean length p_n d + 1 - p_n")
        ax.set(xlabel="STaR round" if algo == "star" else f"{algo.upper()} step", ylabel="value tokens",
               title=f"{'STaR' if algo == 'star' else algo.upper()}, d = {d}, p_long = {p}", ylim=(0, d + 3))
        ax.legend(loc="lower right")
        last = results[0]["rl"][-1] if results[0]["rl"] else results[0]["pretrain"]
        summary[algo] = {"initial_mean_length": results[0]["pretrain"]["mean_length"],
                         "final_mean_length": last["mean_length"], "final_greedy_length": last["greedy_length"]}
    fig.tight_layout()
    return fig, summary


def star_recursion(seeds):
    """Measured long fraction per STaR round against p_n = 2^n p / (2^n p + 1 - p)."""
    d = 32
    fig, ax = plt.subplots()
    summary = {}
    logit = (lambda q: np.log(q / (1 - q)))
    for i, p in enumerate(_q([0.003, 0.01, 0.05, 0.2], [0.05])):
        result = _run(d=d, p_long=p, seed=seeds[0], rounds=_q(12, 3), target_accuracy=None,
                      long_target=_q(100_000, 10_000), eval_prompts=_q(10_000, 2_000))
        recs = [result["pretrain"]] + result["rl"]
        n = np.arange(len(recs))
        measured = np.array([r["p_long"] for r in recs])
        color = plt.cm.viridis(i / 4)
        ax.plot(n, logit(measured), "o-", color=color, label=f"p_long = {p} (measured)")
        nn = np.linspace(0, n[-1], 100)
        ax.plot(nn, logit(theory.star_long_fraction(p, nn)), color=color, linestyle="--", linewidth=1.2)
        predicted = theory.star_long_fraction(p, n)
        ok = predicted <= 0.9
        summary[f"p={p}"] = {"max_relative_error_while_p_n<=0.9": float(np.max(np.abs(measured[ok] / predicted[ok] - 1))),
                             "odds_factor_per_round": float(np.exp(np.mean(np.diff(logit(measured[ok])))))}
    ax.plot([], [], **PREDICTED, label="predicted: odds x2 per round")
    ax.set(xlabel="STaR round n", ylabel="log-odds of the long answer, ln(p_n / (1 - p_n))",
           title=f"Theorem 2: the odds of a long answer double every round (d = {d})")
    ax.legend(loc="upper left")
    return fig, summary


def rounds_to_generalise(seeds):
    """STaR rounds until greedy accuracy >= 0.99 against p_long, measured and predicted."""
    d = 16
    ps = np.array(_q([0.3, 0.1, 0.03, 0.01, 0.003, 0.001], [0.2, 0.05]))
    measured = []
    for p in ps:
        rounds = []
        for s in seeds:
            r = _run(d=d, p_long=float(p), seed=s, rounds=20, long_target=_q(50_000, 5_000),
                     eval_prompts=_q(10_000, 2_000))
            hit = first_generalising(r, rl_only=True)
            rounds.append(hit["record"]["round"] if hit else math.nan)
        measured.append(rounds)
    measured = np.array(measured, dtype=float)
    grid = np.geomspace(ps.min() / 1.5, 0.34, 300)
    fig, ax = plt.subplots()
    ax.plot(ps, np.nanmean(measured, 1), "o", color=COLORS["star"], markersize=7, label="measured (STaR)")
    ax.step(grid, theory.rounds_to_greedy(grid), where="post", **PREDICTED,
            label="predicted: smallest n with p_n > 1/3")
    ax.set(xscale="log", xlabel="p_long", ylabel="rounds to greedy accuracy >= 0.99",
           title=f"Rounds to generalise grow like log(1/p_long) (d = {d})")
    ax.legend()
    predicted = theory.rounds_to_greedy(ps)
    return fig, {"p_long": ps.tolist(), "measured_rounds": np.nanmean(measured, 1).tolist(),
                 "predicted_rounds": np.asarray(predicted).tolist(),
                 "max_extra_rounds": float(np.nanmax(np.nanmean(measured, 1) - predicted))}


def thresholds(seeds):
    """Samples to generalise against d: p = 1/d (polynomial) versus p = 2^(-d/4) (exponential).

    Beside the measurement: the counting lower bound ``1 / (2 (p + 2^(1-d)))`` (exact
    scale) and the growth of the theory's sufficient sample complexity N(d, p) (its
    constants are loose, so it is scaled to the first measured point: only its slope
    is a prediction).
    """

    schedules = {"poly": (lambda d: 1.0 / d, _q([8, 16, 32, 64], [6, 10]), "p = 1/d"),
                 "exp": (lambda d: 2.0 ** (-d / 4), _q([8, 12, 16, 20, 24, 28], [6, 10]), "p = 2^(-d/4)")}
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.0))
    summary = {}
    for ax, (name, (schedule, ds, label)) in zip(axes, schedules.items()):
        ds = np.array(ds)
        samples = []
        for d in ds:
            res = [_run(d=int(d), p_long=schedule(d), seed=s, rounds=25, long_target=_q(30_000, 5_000),
                        eval_prompts=_q(5_000, 1_000)) for s in seeds]
            values = [samples_to_generalise(r)["samples"] for r in res]
            samples.append(np.nanmean([np.nan if v is None else v for v in values]))
        samples = np.array(samples, dtype=float)
        p = np.array([schedule(d) for d in ds])
        upper = np.array([theory.sample_complexity(int(d), schedule(d)) for d in ds], dtype=float)
        ax.plot(ds, samples, "o-", color=COLORS["star"], label=f"{label}: measured (NTP then STaR)")
        ax.plot(ds, upper * samples[0] / upper[0], **PREDICTED,
                label="predicted growth: theory's N(d, p), scaled to the first point")
        ax.plot(ds, theory.sample_lower_bound(ds, p), color="black", linestyle=":", linewidth=1.3,
                label="predicted lower bound 1/(2(p + 2^(1-d)))")
        if name == "poly":
            ax.set(xscale="log", yscale="log", title=f"{label}: polynomial (log-log axes)")
            slope = np.polyfit(np.log(ds), np.log(samples), 1)[0]
            summary[name] = {"d": ds.tolist(), "samples": samples.tolist(), "measured_loglog_slope": float(slope),
                             "predicted_degree_upper_bound": float(theory.polynomial_degree(1.0))}
        else:
            ax.set(yscale="log", title=f"{label}: exponential (log-linear axes)")
            rate = np.polyfit(ds, np.log2(samples), 1)[0]
            summary[name] = {"d": ds.tolist(), "samples": samples.tolist(), "measured_bits_per_unit_d": float(rate),
                             "predicted_bits_per_unit_d_upper_bound": float(theory.exponential_rate(4)),
                             "lower_bound_bits_per_unit_d": 0.25}
        ax.set(xlabel="d", ylabel="samples to greedy accuracy >= 0.99")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig, summary


def bounds_vs_empirical(seeds):
    """Calibration error against T beside the bounds of Propositions 1-3 (d = 3, log-log)."""
    import itertools

    d, delta = 3, 0.5
    xs = np.array(list(itertools.product((-1, 1), repeat=d)), dtype=np.int8)
    chain = np.cumprod(xs.astype(int), axis=1)
    ts = np.unique(np.geomspace(1_000, _q(2_000_000, 50_000), _q(10, 4)).astype(int))
    sig = (lambda s: 1 / (1 + np.exp(-s)))
    lam1, lam2, lam3, p = 0.1, 0.08, 0.08, 0.5
    errs = {"prop1": [], "prop2": [], "prop3": []}
    for T in ts:
        e1, e2, e3 = [], [], []
        for s in seeds:
            m = ntp.pretrain(d, p, int(T), seed=s, lambdas=ntp.position_lambdas(d, lam1, lam2, lam3)).model()
            e1.append(np.max(np.abs(sig(xs @ m.w1) - sig(xs[:, 0] * float(theory.lemma1_weight(p))))))
            w = m.w2a
            s2 = xs @ w[:d] + xs[:, 0] * w[d] + xs[:, 0] * (xs @ w[d + 1:]) + m.b2a
            e2.append(np.max(np.abs(sig(s2) - float(theory.posterior_eos_after_copy(p)))))
            m3 = ntp.pretrain(d, 1.0, int(T), seed=s, lambdas=ntp.position_lambdas(d, 1.0, 1.0, lam3)).model()
            w = m3.chain_weights(3)
            s3 = xs @ w[:d] + chain[:, :2] @ w[d:d + 2] + chain[:, 1] * (xs @ w[d + 2:])
            e3.append(np.max(sig(-chain[:, 2] * s3)))
        for k, e in zip(("prop1", "prop2", "prop3"), (e1, e2, e3)):
            errs[k].append(np.max(e))
    fig, ax = plt.subplots()
    grid = np.geomspace(ts[0], ts[-1], 200)
    bounds = {"prop1": theory.prop1_bound(grid, lam1, delta, d, p, form="derived", scale="probability"),
              "prop2": theory.prop2_bound(grid, lam2, delta, d, p, branch="copy", form="derived"),
              "prop3": theory.prop3_bound(grid, lam3, delta, d, 3)}
    colors = {"prop1": COLORS["ntp"], "prop2": COLORS["star"], "prop3": COLORS["grpo"]}
    names = {"prop1": "Prop. 1 (position 1)", "prop2": "Prop. 2 (2a, after a copy)", "prop3": "Prop. 3 (chain l = 3)"}
    summary = {}
    for k in errs:
        ax.plot(ts, errs[k], "o-", color=colors[k], label=f"{names[k]}: measured worst error")
        ax.plot(grid, bounds[k], color=colors[k], linestyle="--", linewidth=1.2, label=f"{names[k]}: bound")
        at_end = float(np.interp(ts[-1], grid, bounds[k]))
        summary[k] = {"T": int(ts[-1]), "measured": float(errs[k][-1]), "bound": at_end,
                      "bound_over_measured": at_end / float(errs[k][-1])}
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set(xscale="log", yscale="log", xlabel="T (samples)", ylabel="probability error",
           title=f"Propositions 1-3 against Algorithm 3 (d = {d}, delta = {delta}, seeds: worst)")
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    return fig, summary


def ablations(seeds):
    """Algorithm x reward, STaR temperature, and RL start time (linear model, THEORY.md section 4)."""
    d, p = _q(50, 10), 0.25
    arms = []
    for algo in ("star", "reinforce", "grpo"):
        for reward in ("cot", "e2e"):
            arms.append((f"{algo}\n{reward}", dict(rl=algo, reward=reward)))
    for tau in (2.0, 3.0):
        for reward in ("e2e", "cot"):
            arms.append((f"star {reward}\ntau={tau:g}", dict(rl="star", reward=reward, temperature=tau)))
    early = _q(10_000, 1_000)
    arms.append((f"star cot\nstart {early // 1000}k", dict(rl="star", pretrain_samples=early)))
    arms.append((f"grpo e2e\nstart {early // 1000}k", dict(rl="grpo", reward="e2e", pretrain_samples=early)))
    names, acc, length = [], [], []
    for name, fields in arms:
        extra = dict(rl_steps=_q(150, 20), eval_every=_q(10, 10)) if fields["rl"] != "star" else \
            dict(rounds=_q(6, 2))
        r = _run(d=d, p_long=p, seed=seeds[0], long_target=_q(50_000, 5_000), eval_prompts=_q(5_000, 1_000),
                 **fields, **extra)
        last = r["rl"][-1] if r["rl"] else r["pretrain"]
        names.append(name)
        acc.append(last["greedy_accuracy"])
        length.append(last["greedy_length"] / d)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(11.0, 4.2))
    ax.bar(x - 0.2, acc, 0.4, color=COLORS["star"], label="final greedy accuracy (measured)")
    ax.bar(x + 0.2, length, 0.4, color=COLORS["grpo"], label="final greedy length / d (measured)")
    ax.axhline(1.0, **PREDICTED, label="predicted for r_cot at tau = 1 after enough pre-training: 1 and 1")
    ax.axhline(0.5, color="gray", linewidth=0.8, linestyle=":", label="chance")
    ax.set_xticks(x, names, fontsize=7.5)
    ax.set(ylim=(0, 1.3), ylabel="fraction",
           title=f"Ablations, d = {d}, p_long = {p} (stops at greedy accuracy 0.99)")
    ax.legend(loc="upper center", ncol=2, fontsize=7.5)
    return fig, {n.replace("\n", " "): {"greedy_accuracy": a, "greedy_length_over_d": l}
                 for n, a, l in zip(names, acc, length)}


def phase_diagram(seeds):
    """Final greedy accuracy over (d, p_long), NTP alone and NTP then STaR, at a fixed budget."""
    ds = np.array(_q([8, 16, 32, 64], [6, 10]))
    ps = np.array(_q([0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.4, 0.5], [0.05, 0.4]))
    budget = _q(30_000_000, 500_000)
    long_target = _q(30_000, 3_000)
    grids = {"ntp": np.zeros((len(ds), len(ps))), "star": np.zeros((len(ds), len(ps)))}
    for i, d in enumerate(ds):
        for j, p in enumerate(ps):
            pre = min(budget, ntp.default_pretrain_samples(float(p), long_target))
            r = _run(d=int(d), p_long=float(p), seed=seeds[0], rl="none", pretrain_samples=int(budget),
                     long_target=long_target, eval_prompts=_q(5_000, 1_000))
            grids["ntp"][i, j] = r["pretrain"]["greedy_accuracy"]
            r = _run(d=int(d), p_long=float(p), seed=seeds[0], pretrain_samples=int(pre), rounds=30,
                     long_target=long_target, eval_prompts=_q(5_000, 1_000))
            best = r["pretrain"]["greedy_accuracy"]
            for rec in r["rl"]:
                if rec["cumulative_samples"] <= budget:
                    best = rec["greedy_accuracy"]
            grids["star"][i, j] = best
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8), sharey=True)
    for ax, key, title in zip(axes, ("ntp", "star"), ("NTP alone", "NTP then STaR")):
        im = ax.imshow(grids[key], origin="lower", aspect="auto", vmin=0.5, vmax=1.0, cmap="viridis",
                       extent=(-0.5, len(ps) - 0.5, -0.5, len(ds) - 0.5))
        ax.set_xticks(range(len(ps)), [f"{p:g}" for p in ps], rotation=45, fontsize=7.5)
        ax.set_yticks(range(len(ds)), [str(d) for d in ds])
        ax.set(xlabel="p_long", title=f"{title} ({budget:.0e} samples)")
        ax.grid(False)
    axes[0].set_ylabel("d")
    # Predicted boundaries: NTP needs p > 1/3; STaR needs the rounds' budgets to fit:
    # about long_target / p_n prompts per round, summed over rounds_to_greedy(p) rounds.
    x_of = (lambda p: np.interp(np.log(p), np.log(ps), np.arange(len(ps))))
    axes[0].axvline(x_of(1 / 3), **PREDICTED, label="predicted: p = 1/3")

    def star_cost(p):
        n = int(theory.rounds_to_greedy(p))
        return long_target / p + sum(long_target / float(theory.star_long_fraction(p, k)) for k in range(n))

    feasible = [p for p in np.geomspace(ps.min(), ps.max(), 200) if star_cost(p) <= budget]
    if feasible:
        axes[1].axvline(x_of(min(feasible)), **PREDICTED, label="predicted: budget suffices")
    for ax in axes:
        ax.legend(loc="upper left", fontsize=7.5)
    fig.colorbar(im, ax=axes, label="greedy accuracy (measured)")
    return fig, {"budget": budget, "ntp": grids["ntp"].tolist(), "star": grids["star"].tolist(),
                 "d": ds.tolist(), "p_long": ps.tolist()}


FIGURES = {
    "accuracy_vs_samples": (accuracy_vs_samples, "Fig. 1 (right)",
                            "d = 50, p_long = 0.25; NTP alone to 2e7 samples; STaR 6 rounds, REINFORCE/GRPO 40 steps"),
    "pretrain_threshold": (pretrain_threshold, "Fig. 2", "d = 25, p_long in 0.05 ... 0.6, default budgets"),
    "length_growth": (length_growth, "Fig. 3", "d = 50, p_long = 0.25, the runs of Fig. 1"),
    "star_recursion": (star_recursion, "Theorem 2", "d = 32, p_long in {0.003, 0.01, 0.05, 0.2}, 12 rounds"),
    "rounds_to_generalise": (rounds_to_generalise, "Theorem 2",
                             "d = 16, p_long in 1e-3 ... 0.3, long target 50k"),
    "thresholds": (thresholds, "Theorem 2 (formal)", "p = 1/d for d in 8..64; p = 2^(-d/4) for d in 8..28"),
    "bounds_vs_empirical": (bounds_vs_empirical, "Propositions 1-3",
                            "d = 3, p = 1/2, lambda = 0.1 / 0.08 / 0.08, delta = 1/2, T in 1e3 ... 2e6"),
    "ablations": (ablations, "section 4 observations",
                  "d = 50, p_long = 0.25, 1 seed; STaR temperatures 2 and 3; RL started after 10k samples"),
    "phase_diagram": (phase_diagram, "Theorems 1-2", "d in 8..64, p_long in 1e-3 ... 0.5, 3e7 samples each"),
}


def _numbers(value, depth=0):
    """A compact text of a figure's headline numbers."""
    if isinstance(value, dict):
        if depth >= 1 and len(value) > 6:
            return "(see summary.json)"
        return "; ".join(f"{k}: {_numbers(v, depth + 1)}" for k, v in value.items())
    if isinstance(value, list):
        if len(value) > 8 or any(isinstance(v, list) for v in value):
            return "(see summary.json)"
        return "[" + ", ".join(_numbers(v, depth + 1) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def readme(summary, out):
    """figures/README.md: every figure, its counterpart, command, parameters and numbers."""
    lines = ["# Figures", "",
             "Regenerated by `python -m linparity.figures` (all) or `python -m linparity.figures NAME`;",
             "measured curves are solid with markers, predictions from `linparity.theory` dashed.",
             "This page is written by the command from `summary.json`.", "",
             "| figure | paper | command | parameters | headline numbers (measured) | seconds |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, (_, paper, params) in FIGURES.items():
        if name not in summary:
            continue
        entry = summary[name]
        quick = " (quick)" if entry.get("quick") else ""
        lines.append(f"| [{name}]({name}.png){quick} | {paper} | `{entry['command']}` | {params} | "
                     f"{_numbers(entry['numbers'])} | {entry['seconds']:.0f} |")
    lines += ["", "![accuracy_vs_samples](accuracy_vs_samples.png)", "", "![star_recursion](star_recursion.png)",
              "", "![pretrain_threshold](pretrain_threshold.png)", ""]
    write_atomic(os.path.join(out, "README.md"), "\n".join(lines))


# ----------------------------------------------------------------------------- output

def _save(fig, path_stem):
    """PNG and PDF, each written atomically (never half a file)."""
    for ext in ("png", "pdf"):
        with atomic_path(f"{path_stem}.{ext}") as tmp:
            fig.savefig(tmp, format=ext)
    plt.close(fig)


def main(argv=None):
    parser = OneLineParser(prog="python -m linparity.figures",
                     description="Regenerate the figures: measured curves over predicted ones.")
    parser.add_argument("names", nargs="*", default=["all"], metavar="NAME",
                        help=f"figures to make (default all): {', '.join(FIGURES)}")
    parser.add_argument("--quick", action="store_true", help="small runs: a smoke test of every figure")
    parser.add_argument("--out", default="figures", help="output directory")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per measured curve (1 with --quick)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    args = parser.parse_args(argv)
    names = list(FIGURES) if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in FIGURES]
    prog = "linparity.figures"
    if unknown:
        sys.stderr.write(f"{prog}: error: unknown figure {unknown[0]!r}; choose from {', '.join(FIGURES)}\n")
        return 2
    if args.seeds < 1:
        sys.stderr.write(f"{prog}: error: --seeds must be >= 1, got {args.seeds}\n")
        return 2
    try:
        os.makedirs(args.out, exist_ok=True)
        tempfile.TemporaryFile(dir=args.out).close()
    except OSError as exc:
        sys.stderr.write(f"{prog}: error: --out {args.out}: cannot write there ({exc.strerror})\n")
        return 2
    SCALE["quick"] = args.quick
    seeds = [0] if args.quick else list(range(args.seeds))
    plt.rcParams.update(STYLE)
    summary_path = os.path.join(args.out, "summary.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else {}
    for name in names:
        start = time.perf_counter()
        fig, numbers = FIGURES[name][0](seeds)
        _save(fig, os.path.join(args.out, name))
        summary[name] = {"numbers": numbers, "seconds": time.perf_counter() - start, "quick": args.quick,
                         "seeds": seeds, "command": f"python -m linparity.figures {name}"
                         + (" --quick" if args.quick else "") + f" --out {args.out}"}
        if not args.quiet:
            print(f"{name}: {summary[name]['seconds']:.1f}s -> {os.path.join(args.out, name)}.png", flush=True)
    write_atomic(summary_path, json.dumps(summary, indent=2, default=float) + "\n")
    readme(summary, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
