"""The figures drawn from their stored records (one function per figure; no simulation).

Every figure draws what the simulator measured (solid lines, markers, "measured")
and what :mod:`linparity.theory` predicts (dashed, "predicted") on the same axes.
The predictions are computed here, from the record's parameters. Figures are
:class:`matplotlib.figure.Figure` objects, made without pyplot, so no backend is
selected or needed; :func:`render` applies :data:`STYLE` and :func:`save` writes
PNG and PDF atomically. A series the figure needs and the record lacks raises
:class:`~linparity.figures.store.MissingDataError`.
"""

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .. import theory
from ..evaluate import GENERALISE_ACCURACY
from ..output import atomic_path
from . import predict, summary
from .series import RL_ALGORITHMS, SCHEDULES
from .store import select, values

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.8,
    "lines.markersize": 4.5,
    "savefig.bbox": "tight",
}
COLORS = {"ntp": "#7f7f7f", "star": "#1f77b4", "reinforce": "#d62728", "grpo": "#2ca02c"}
PREDICTED = {"color": "black", "linestyle": "--", "linewidth": 1.3}


def _title(algo):
    return "STaR" if algo == "star" else algo.upper()


def accuracy_vs_samples(record):
    """Greedy accuracy against samples seen: NTP alone versus NTP then RL (paper Fig. 1 right)."""
    par = record["parameters"]
    d, p = par["d"], par["p_long"]
    fig = Figure()
    ax = fig.subplots()
    curves = summary.ntp_curves(record)
    checkpoints = [r["samples"] for r in select(record, "curve", series="ntp", seed=record["seeds"][0])]
    ax.plot(checkpoints, curves.mean(0), "o-", color=COLORS["ntp"], label="NTP alone (measured)")
    if len(curves) > 1:
        ax.fill_between(checkpoints, curves.min(0), curves.max(0), color=COLORS["ntp"], alpha=0.2)
    for algo in RL_ALGORITHMS:
        select(record, "curve", "greedy_accuracy", series=algo)
        for i, seed in enumerate(record["seeds"]):
            rows = select(record, "curve", "greedy_accuracy", series=algo, seed=seed)
            ax.plot(
                [r["samples"] for r in rows],
                values(rows, "greedy_accuracy"),
                "o-",
                color=COLORS[algo],
                alpha=1.0 if len(record["seeds"]) == 1 else 0.6,
                label=f"NTP then {_title(algo)} (measured)" if i == 0 else None,
            )
    after_ntp = float(theory.pretrain_greedy_accuracy(p))
    ax.axhline(after_ntp, **PREDICTED, label=f"predicted after NTP: {after_ntp:.2f} (p < 1/3)")
    ax.set(
        xscale="log",
        xlabel="samples seen (pre-training + RL prompts)",
        ylabel="greedy accuracy",
        title=f"Parity, d = {d}, p_long = {p}: NTP alone stays at chance, RL learns it",
        ylim=(0, 1.05),
    )
    ax.legend(loc="upper left")
    return fig


def pretrain_threshold(record):
    """Greedy accuracy and long fraction after pre-training against p_long (paper Fig. 2)."""
    d = record["parameters"]["d"]
    ps, acc, longf = summary.pretrain_arrays(record)
    fig = Figure(figsize=(9.6, 3.8))
    a1, a2 = fig.subplots(1, 2)
    grid = np.linspace(0.01, 0.99, 400)
    a1.plot(ps, acc.mean(1), "o-", color=COLORS["ntp"], label="measured")
    a1.plot(grid, theory.pretrain_greedy_accuracy(grid), **PREDICTED, label="predicted: step at p = 1/3")
    a1.set(xlabel="p_long", ylabel="greedy accuracy after NTP", title=f"Greedy accuracy, d = {d}")
    a2.plot(ps, longf.mean(1), "o-", color=COLORS["star"], label="measured pi(correct long)")
    a2.plot(grid, theory.pretrain_long_fraction(grid), **PREDICTED, label="predicted: p_long")
    a2.set(xlabel="p_long", ylabel="long fraction after NTP", title="Long fraction (calibration)")
    for a in (a1, a2):
        a.legend()
    fig.tight_layout()
    return fig


def length_growth(record):
    """Mean and greedy response length against RL rounds/steps (paper Fig. 3)."""
    d, p = record["parameters"]["d"], record["parameters"]["p_long"]
    fig = Figure(figsize=(4.2 * len(RL_ALGORITHMS), 3.6))
    axes = fig.subplots(1, len(RL_ALGORITHMS), squeeze=False)
    for ax, algo in zip(axes[0], RL_ALGORITHMS):
        select(record, "length", "mean_length", series=algo)
        for i, seed in enumerate(record["seeds"]):
            rows = select(record, "length", "mean_length", series=algo, seed=seed)
            t = [r["step"] for r in rows]
            ax.plot(
                t,
                values(rows, "mean_length"),
                "o-",
                color=COLORS[algo],
                label="mean length (measured)" if i == 0 else None,
            )
            ax.plot(
                t,
                values(rows, "greedy_length"),
                "s:",
                color=COLORS[algo],
                alpha=0.7,
                label="greedy length (measured)" if i == 0 else None,
            )
        if algo == "star":
            n = np.arange(0, len(select(record, "length", series=algo, seed=record["seeds"][0])))
            ax.plot(
                n,
                theory.pretrain_mean_length(theory.star_long_fraction(p, n), d),
                **PREDICTED,
                label="predicted mean length p_n d + 1 - p_n",
            )
        ax.set(
            xlabel="STaR round" if algo == "star" else f"{algo.upper()} step",
            ylabel="value tokens",
            title=f"{_title(algo)}, d = {d}, p_long = {p}",
            ylim=(0, d + 3),
        )
        ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def star_recursion(record):
    """Long fraction per STaR round, measured, against Theorem 2 and the finite-lambda map.

    Left: log-odds at the largest d, every p_long (mean over seeds), through the plateau.
    Right: the decomposition ``p_copy``, ``P(go | copy)``, ``P(go | no copy)`` and the
    chain success at that d for one p_long, measured (every seed) and predicted.
    """
    runs = summary.star_runs(record)
    d = max(record["parameters"]["d"])
    ps = record["parameters"]["p_long"]
    fig = Figure(figsize=(12.0, 4.4))
    left, right = fig.subplots(1, 2)
    viridis = matplotlib.colormaps["viridis"]
    for i, p in enumerate(ps):
        color = viridis(i / max(len(ps), 2))
        series = [rows for (dd, pp, _), rows in runs.items() if dd == d and pp == p]
        measured = np.mean([[r["long_fraction"] for r in rows] for rows in series], axis=0)
        n = np.arange(len(measured))
        mapped = np.mean([[s["p_long"] for s in predict.finite_lambda(rows)] for rows in series], axis=0)
        given = np.mean([[s["p_long"] for s in predict.finite_lambda(rows, "measured")] for rows in series], axis=0)
        left.plot(n, summary.logit(measured), "o", color=color, label=f"p_long = {p}")
        left.plot(n, summary.logit(given), "-", color=color, linewidth=1.2)
        left.plot(n, summary.logit(mapped), ":", color=color, linewidth=1.2)
        nn = np.linspace(0, n[-1], 100)
        # clipped: Theorem 2's p_n reaches 1.0 in floating point, where the log-odds is infinite
        ideal = np.clip(theory.star_long_fraction(p, nn), 1e-12, 1 - 1e-12)
        left.plot(nn, summary.logit(ideal), color=color, linestyle="--", linewidth=1.0)
    left.plot([], [], "o", color="gray", label="measured (mean over seeds)")
    left.plot([], [], "-", color="gray", linewidth=1.2, label="finite-lambda map, measured chain success")
    left.plot([], [], ":", color="gray", linewidth=1.2, label="finite-lambda map, all predicted")
    left.plot([], [], "--", color="gray", linewidth=1.0, label="Theorem 2: odds x2 per round")
    left.set(
        xlabel="STaR round n (0: pre-training)",
        ylabel="log-odds of the long answer",
        ylim=(-7, 9),
        title=f"The odds double, then level off where the penalties allow (d = {d})",
    )
    left.legend(loc="upper left", ncol=2)
    p_show = ps[len(ps) // 2]
    terms = {
        "p_copy": "P(y_1 = x_1)",
        "p_go_given_copy": "P(go on | copy)",
        "p_go_given_no_copy": "P(go on | no copy)",
        "chain_success": "chain success",
    }
    tab10 = matplotlib.colormaps["tab10"]
    for j, (term, label) in enumerate(terms.items()):
        color = tab10(j)
        shown = [rows for (dd, pp, _), rows in sorted(runs.items()) if dd == d and pp == p_show]
        for k, rows in enumerate(shown):
            n = [r["round"] for r in rows]
            right.plot(n, [r[term] for r in rows], "o", color=color, markersize=3.5, label=label if k == 0 else None)
            right.plot(n, [s[term] for s in predict.finite_lambda(rows, "measured")], "-", color=color, linewidth=1.0)
            if term == "chain_success":
                right.plot(n, [s[term] for s in predict.finite_lambda(rows)], ":", color=color, linewidth=1.0)
    right.plot([], [], "-", color="gray", linewidth=1.0, label="finite-lambda map (measured chain success)")
    right.plot([], [], ":", color="gray", linewidth=1.0, label="chain success of the penalised optimum")
    right.set(
        xlabel="STaR round n (0: pre-training)",
        ylabel="probability",
        ylim=(0, 1.02),
        title=f"Where the plateau comes from (d = {d}, p_long = {p_show})",
    )
    right.legend(loc="lower right")
    fig.tight_layout()
    return fig


def rounds_to_generalise(record):
    """STaR rounds until greedy accuracy >= GENERALISE_ACCURACY against p_long, measured and predicted."""
    d = record["parameters"]["d"]
    ps, measured = summary.measured_rounds(record)
    grid = np.geomspace(ps.min() / 1.5, 0.34, 300)
    fig = Figure()
    ax = fig.subplots()
    ax.plot(ps, np.nanmean(measured, 1), "o", color=COLORS["star"], markersize=7, label="measured (STaR)")
    ax.step(
        grid, theory.rounds_to_greedy(grid), where="post", **PREDICTED, label="predicted: smallest n with p_n > 1/3"
    )
    ax.set(
        xscale="log",
        xlabel="p_long",
        ylabel=f"rounds to greedy accuracy >= {GENERALISE_ACCURACY}",
        title=f"Rounds to generalise grow like log(1/p_long) (d = {d})",
    )
    ax.legend()
    return fig


def _medians(ax, ds, groups, label, **style):
    """Seed medians with the seeds' range as bars."""
    med = np.array([np.median(v) for v in groups], dtype=float)
    err = [med - [min(v) for v in groups], [max(v) for v in groups] - med]
    ax.errorbar(ds, med, yerr=err, fmt="o", label=label, **style)
    return med


def thresholds(record):
    """N_min against d: p = 1/d (polynomial) versus p = 2^(-d/4) (exponential).

    Measured: the minimal-budget search (seed medians, range as bars) and its fitted
    growth.  Predicted beside it: the law fitted on the fixed-p grid, extended along
    the schedule (absolute scale; a prediction outside the grid's sample), the counting
    lower bound ``1 / (2 (p + 2^(1-d)))`` (exact scale) and the growth of the theory's
    sufficient count N(d, p) (its constants are loose, so scaled to the first median:
    only its slope is a prediction).
    """
    from .series import schedule

    numbers = summary.thresholds(record)
    _, along = summary.threshold_law(record)
    fig = Figure(figsize=(10.5, 4.2))
    axes = fig.subplots(1, 2)
    for ax, (name, label) in zip(axes, SCHEDULES.items()):
        ds, groups = summary.searched(record, "n_min", series=name)
        ds = np.array(ds, dtype=float)
        p = np.array([schedule(name, d) for d in ds])
        med = _medians(ax, ds, groups, f"{label}: N_min measured (NTP then STaR)", color=COLORS["star"])
        m = {"value": numbers[name]["measured"], "ci": numbers[name]["measured_ci"]}
        unit = "d^" if name == "poly" else "2^(d x "
        close = "" if name == "poly" else ")"
        x = np.log2(ds) if name == "poly" else ds
        # the fitted slope through the medians' centre of mass
        intercept = np.mean(np.log2(med)) - m["value"] * np.mean(x)
        ax.plot(
            ds,
            2 ** (m["value"] * x + intercept),
            color=COLORS["star"],
            linewidth=1.0,
            label=f"measured growth {unit}{m['value']:.2f}{close} [{m['ci'][0]:.2f}, {m['ci'][1]:.2f}]",
        )
        ax.plot(
            along[name]["d"],
            along[name]["n_min"],
            color="#ff7f0e",
            linestyle="-.",
            label=f"fitted law C d^a p^-beta (fixed-p grid): {unit}{along[name]['growth']:.2f}{close}",
        )
        upper = np.array([theory.sample_complexity(int(d), float(pd)) for d, pd in zip(ds, p)], dtype=float)
        ax.plot(
            ds, upper * med[0] / upper[0], **PREDICTED, label="theory's sufficient N(d, p), scaled to the first point"
        )
        ax.plot(
            ds,
            theory.sample_lower_bound(ds, p),
            color="black",
            linestyle=":",
            linewidth=1.3,
            label="counting lower bound 1/(2(p + 2^(1-d)))",
        )
        if name == "poly":
            ax.set(xscale="log", yscale="log", title=f"{label}: polynomial (log-log axes)")
        else:
            ax.set(yscale="log", title=f"{label}: exponential (log-linear axes)")
        ax.set(xlabel="d", ylabel=f"N_min: fewest samples to greedy accuracy >= {GENERALISE_ACCURACY}")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def control(record):
    """The control: no budget scales with 1/p_long (docs/theory.md section 4.14).

    log2 of the prompts until STaR first keeps a correct long answer and of the RL
    prompts to greedy accuracy 0.99 against d, at p_long = 0 and 2^-d; beside them the
    chance wait ``2^(d-1) / P(copy, go on)`` of an untrained chain (P measured after
    pre-training: a prediction from a measured quantity).
    """
    from .. import complexity

    numbers = summary.control(record)
    fig = Figure(figsize=(10.5, 4.2))
    axes = fig.subplots(1, 2, sharey=True)
    titles = {"zero": "p_long = 0 (short demonstrations only)", "exp": "p_long = 2^-d"}
    for ax, name in zip(axes, ("zero", "exp")):
        n = numbers[name]
        for column, label, color, fit in (
            ("pretrained_wait", "prompts to the first kept chain", "#9467bd", "first_chain"),
            ("n_rl_min", "RL prompts to greedy acc >= 0.99 (smallest fixed round)", COLORS["star"], "rl_prompts"),
        ):
            fit = {"value": n[fit], "ci": n[fit + "_ci"]}
            ds, groups = summary.searched(record, column, series=name)
            groups = [np.log2(v) for v in groups]
            text = f"{label}: {fit['value']:.2f} [{fit['ci'][0]:.2f}, {fit['ci'][1]:.2f}] bits/d"
            _medians(ax, ds, groups, text, color=color)
        rows = [r for r in select(record, "points", "pretrain_p_copy_go", series=name) if r["reached"]]
        ds = sorted({r["d"] for r in rows})
        chance = [
            np.median([np.log2(complexity.chance_wait(d, r["pretrain_p_copy_go"])) for r in rows if r["d"] == d])
            for d in ds
        ]
        # At p_long > 0 pre-training has trained the chain somewhat: chance is then a reference
        what = "chance" if name == "zero" else "reference: chance for an untrained chain"
        ax.plot(ds, chance, **PREDICTED, label=f"{what} 2^(d-1) / P(copy, go): {n['chance']:.2f} bits/d")
        ax.set(xlabel="d", title=titles[name])
        ax.set_ylim(0, ax.get_ylim()[1] + 7)  # room for the legend above the points
        ax.legend(fontsize=7, loc="upper left")
    par = record["parameters"]
    axes[0].set_ylabel("log2 prompts")
    fig.suptitle(
        f"Control: {par['pretrain_samples']:,} pre-training samples and lambda_2a = {par['lambda_2a']:g} at every d; "
        "the round size N searched (grid ratio 1.5)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def bounds_vs_empirical(record):
    """Calibration error against T beside the bounds of Propositions 1-3 (d = 3, log-log)."""
    par = record["parameters"]
    ts, errs = summary.worst_errors(record)
    grid = summary.bound_grid(ts)
    bounds = predict.bounds(par, grid)
    fig = Figure()
    ax = fig.subplots()
    colors = {"prop1": COLORS["ntp"], "prop2": COLORS["star"], "prop3": COLORS["grpo"]}
    names = {"prop1": "Prop. 1 (position 1)", "prop2": "Prop. 2 (2a, after a copy)", "prop3": "Prop. 3 (chain l = 3)"}
    for k in errs:
        ax.plot(ts, errs[k], "o-", color=colors[k], label=f"{names[k]}: measured worst error")
        ax.plot(grid, bounds[k], color=colors[k], linestyle="--", linewidth=1.2, label=f"{names[k]}: bound")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="T (samples)",
        ylabel="probability error",
        title=f"Propositions 1-3 against Algorithm 3 (d = {par['d']}, delta = {par['delta']}, seeds: worst)",
    )
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    return fig


def ablations(record):
    """Final greedy accuracy and length of every ablation arm (bars), one seed."""
    d, p = record["parameters"]["d"], record["parameters"]["p_long"]
    rows = summary.ablation_rows(record)
    x = np.arange(len(rows))
    fig = Figure(figsize=(11.0, 4.2))
    ax = fig.subplots()
    ax.bar(
        x - 0.2, values(rows, "greedy_accuracy"), 0.4, color=COLORS["star"], label="final greedy accuracy (measured)"
    )
    ax.bar(
        x + 0.2,
        [r["greedy_length"] / d for r in rows],
        0.4,
        color=COLORS["grpo"],
        label="final greedy length / d (measured)",
    )
    ax.axhline(1.0, **PREDICTED, label="predicted for r_cot at tau = 1 after enough pre-training: 1 and 1")
    ax.axhline(0.5, color="gray", linewidth=0.8, linestyle=":", label="chance")
    ax.set_xticks(x, [r["arm"] for r in rows], fontsize=7.5)
    ax.set(
        ylim=(0, 1.3),
        ylabel="fraction",
        title=f"Ablations, d = {d}, p_long = {p} (stops at greedy accuracy {GENERALISE_ACCURACY}, "
        "or once STaR's long fraction falls twice)",
    )
    ax.legend(loc="upper center", ncol=2, fontsize=7.5)
    return fig


def phase_diagram(record):
    """Final greedy accuracy over (d, p_long), NTP alone and NTP then STaR, at a fixed budget."""
    par = record["parameters"]
    ds, ps, budget = np.array(par["d"]), np.array(par["p_long"]), par["budget"]
    grids = summary.phase_grids(record)
    fig = Figure(figsize=(9.6, 3.8))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, key, title in zip(axes, ("ntp", "star"), ("NTP alone", "NTP then STaR")):
        im = ax.imshow(
            grids[key],
            origin="lower",
            aspect="auto",
            vmin=0.5,
            vmax=1.0,
            cmap="viridis",
            extent=(-0.5, len(ps) - 0.5, -0.5, len(ds) - 0.5),
        )
        ax.set_xticks(range(len(ps)), [f"{p:g}" for p in ps], rotation=45, fontsize=7.5)
        ax.set_yticks(range(len(ds)), [str(d) for d in ds])
        ax.set(xlabel="p_long", title=f"{title} ({budget:.0e} samples)")
        ax.grid(False)
    axes[0].set_ylabel("d")
    # NTP alone: Theorem 1's p = 1/3.  STaR: where the law fitted to the minimal-budget
    # search (the record's ``law`` table) reaches the budget; a fit, not the budget rule.
    x_of = lambda p: np.interp(np.log(p), np.log(ps), np.arange(len(ps)))
    axes[0].axvline(x_of(1 / 3), **PREDICTED, label="predicted: p = 1/3")
    boundary, law = summary.law_boundary(record)
    inside = boundary >= ps[0]
    rows = np.arange(len(ds))
    fit_label = f"fit: {law['C']:.3g} d^{law['a']:.2f} p^-{law['beta']:.2f} = budget"
    axes[1].plot(x_of(boundary[inside]), rows[inside], "D-", color="#ff7f0e", label=fit_label)
    if not inside.all():
        axes[1].plot(
            np.full((~inside).sum(), -0.5),
            rows[~inside],
            "<",
            color="#ff7f0e",
            markersize=8,
            label="fit: at a p below the grid",
        )
    smallest = min(theory.sample_complexity(int(d), float(p)) for d in ds for p in ps)
    axes[1].plot([], [], " ", label=f"theory's sufficient count >= {smallest:.0e} here")
    axes[0].legend(loc="upper left", fontsize=7.5)
    axes[1].legend(loc="lower right", fontsize=7.5)
    fig.colorbar(im, ax=axes, label="greedy accuracy (measured)")
    return fig


def render(draw, record):
    """``draw(record)`` under :data:`STYLE` (matplotlib's global settings are left as they were)."""
    with matplotlib.rc_context(STYLE):
        return draw(record)


def save(fig, path_stem):
    """Write ``path_stem.png`` and ``path_stem.pdf``, each atomically (never half a file)."""
    with matplotlib.rc_context(STYLE):
        for ext in ("png", "pdf"):
            # No creation date in the PDF: a replot of unchanged data gives unchanged files.
            metadata = {"CreationDate": None} if ext == "pdf" else None
            with atomic_path(f"{path_stem}.{ext}") as tmp:
                fig.savefig(tmp, format=ext, metadata=metadata)


def sample_complexity(record):
    """N_min against d for each p_long and against 1/p_long for each d, with the fitted law.

    Markers are the seed medians, bars the seeds' range; the lines are the law fitted
    to every point (labelled as a fit, not a prediction), the shaded bands its 95%
    pointwise bootstrap band over seeds.  The counting lower bound
    ``1 / (2 p)`` (dotted) is the theory's only necessary count here.
    """
    from .. import complexity

    law = summary.complexity_fit(record, keep_draws=True)
    rows = [r for r in select(record, "points", "n_min") if r["reached"]]
    ds, ps = record["parameters"]["d"], record["parameters"]["p_long"]
    cmap = matplotlib.colormaps["viridis"]
    fig = Figure(figsize=(11.0, 4.2))
    left, right = fig.subplots(1, 2)

    def fitted(d, p):
        return law["C"] * np.asarray(d, float) ** law["a"] * np.asarray(p, float) ** -law["beta"]

    for i, p in enumerate(ps):
        color = cmap(i / max(1, len(ps) - 1))
        xs = [d for d in ds if any(r["d"] == d and r["p_long"] == p for r in rows)]
        n = [[r["n_min"] for r in rows if r["d"] == d and r["p_long"] == p] for d in xs]
        med = [np.median(v) for v in n]
        err = [[m - min(v) for m, v in zip(med, n)], [max(v) - m for m, v in zip(med, n)]]
        left.errorbar(xs, med, yerr=err, fmt="o", color=color, label=f"p_long = {p:g}")
        grid = np.geomspace(min(ds), max(ds), 50)
        left.plot(grid, fitted(grid, p), color=color, linewidth=1.0)
        left.fill_between(grid, *complexity.law_band(law, grid, p), color=color, alpha=0.15, linewidth=0)
    for i, d in enumerate(ds):
        color = cmap(i / max(1, len(ds) - 1))
        xs = [p for p in ps if any(r["d"] == d and r["p_long"] == p for r in rows)]
        med = [np.median([r["n_min"] for r in rows if r["d"] == d and r["p_long"] == p]) for p in xs]
        right.plot(1 / np.array(xs), med, "o", color=color, label=f"d = {d}")
        grid = np.geomspace(min(ps), max(ps), 50)
        right.plot(1 / grid, fitted(d, grid), color=color, linewidth=1.0)
        right.fill_between(1 / grid, *complexity.law_band(law, d, grid), color=color, alpha=0.15, linewidth=0)
    grid = np.geomspace(min(ps), max(ps), 50)
    right.plot(1 / grid, 1 / (2 * grid), color="black", linestyle=":", label="counting bound 1/(2p)")
    fit_text = (
        f"fit: N = {law['C']:.3g} d^{law['a']:.2f} p^-{law['beta']:.2f}  "
        f"(a in [{law['a_ci'][0]:.2f}, {law['a_ci'][1]:.2f}], "
        f"beta in [{law['beta_ci'][0]:.2f}, {law['beta_ci'][1]:.2f}])"
    )
    left.set(xscale="log", yscale="log", xlabel="d", ylabel="N_min: fewest samples to greedy acc >= 0.99")
    right.set(xscale="log", yscale="log", xlabel="1 / p_long", ylabel="N_min")
    left.set_title("N_min against d (lines: the fitted law)", fontsize=10)
    right.set_title("N_min against 1/p_long", fontsize=10)
    left.legend(fontsize=8)
    right.legend(fontsize=7, ncol=2)
    fig.suptitle(f"Sample complexity of NTP then STaR, measured by the minimal-budget search; {fit_text}", fontsize=10)
    fig.tight_layout()
    return fig


def separation(record):
    """NTP alone (Walsh position 1) against NTP then STaR: samples and seconds of the minimal run
    against d (docs/theory.md section 4.15), log2 axes.

    Beside the measurements: the coverage count ``2^d ln 50`` of NTP alone at p_long = 0
    and the generic SGD bound's sufficient count at p_long = 0.1 (theory 3.12).
    """
    numbers = summary.separation(record)
    styles = {
        "walsh p=0": {"color": COLORS["ntp"]},
        "walsh p=0.1": {"color": "#8c564b"},
        "star p=0.1": {"color": COLORS["star"]},
        "star 1/d": {"color": "#17becf"},
    }
    labels = {
        "walsh p=0": "NTP alone, Walsh, p_long = 0",
        "walsh p=0.1": "NTP alone, Walsh, p_long = 0.1",
        "star p=0.1": "NTP then STaR, linear, p_long = 0.1",
        "star 1/d": "NTP then STaR, linear, p_long = 1/d",
    }
    fig = Figure(figsize=(11, 4.4))
    axes = fig.subplots(1, 2)
    for name, style in styles.items():
        n = numbers[name]
        unit = "bits/d" if n["unit"] == "bits per unit d" else "exponent"
        text = f"{labels[name]}: {n['growth']:.2f} [{n['growth_ci'][0]:.2f}, {n['growth_ci'][1]:.2f}] {unit}"
        if "growth_upper_half" in n:
            lo, hi = n["growth_upper_half_ci"]
            text += f"; d >= {n['upper_half_d'][0]}: {n['growth_upper_half']:.2f} [{lo:.2f}, {hi:.2f}]"
        for ax, column in zip(axes, ("n_min", "n_min_seconds")):
            ds, groups = summary.searched(record, column, series=name)
            _medians(
                ax,
                ds,
                [np.log2(v) for v in groups],
                text if column == "n_min" else labels[name],
                color=style["color"],
                linestyle="-",
                markersize=4,
            )
    ds = np.array(record["parameters"]["d"], dtype=float)
    axes[0].plot(
        ds,
        np.log2(theory.walsh_coverage_samples(ds)),
        **PREDICTED,
        label="predicted, NTP alone at p_long = 0: 2^d ln 50 (1 bit/d)",
    )
    bound = np.log2(theory.walsh_sufficient_samples(ds, 0.1))
    rate = numbers["walsh p=0.1"]["sufficient_bound_bits_per_d"]
    axes[0].plot(
        ds,
        bound,
        color="black",
        linestyle=":",
        linewidth=1.3,
        label=f"generic SGD bound, sufficient at p_long = 0.1 ({rate:.2f} bits/d)",
    )
    axes[0].set(xlabel="d", ylabel="log2 N_min (fewest samples to greedy accuracy >= 0.99)", title="samples")
    axes[1].set(xlabel="d", ylabel="log2 seconds of the minimal run (2 cores)", title="compute")
    for ax in axes:
        ax.legend(fontsize=6.5, loc="upper left")
    fig.suptitle(
        "NTP alone with a parity-capable position 1 against NTP then STaR with the linear model "
        "(one learner each: SGD over fixed features)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
