"""The headline numbers of every figure, from its stored record (one function per figure).

Each function takes a figure record (see :mod:`linparity.figures.store`) and returns
the numbers that ``summary.json`` and ``README.md`` report; predictions among them
come from :mod:`linparity.theory` now, not from the record. A series the figure
needs and the record lacks raises :class:`~linparity.figures.store.MissingDataError`.
"""

import numpy as np

from .. import theory
from ..evaluate import GENERALISE_ACCURACY
from . import predict
from .series import PHASES, PROPOSITIONS, RL_ALGORITHMS, SCHEDULE_PARAMETERS, SCHEDULES, counting_growth
from .store import select, values


def ntp_curves(record):
    """Greedy accuracy of NTP alone, an array (seed, checkpoint), for ``accuracy_vs_samples``."""
    return np.array(
        [
            values(select(record, "curve", "greedy_accuracy", series="ntp", seed=s), "greedy_accuracy")
            for s in record["seeds"]
        ]
    )


def accuracy_vs_samples(record):
    """NTP alone's final greedy accuracy (mean over seeds), and the samples at which each RL run first
    generalises (per seed; None: never), beside the predicted number of STaR rounds."""
    p = record["parameters"]["p_long"]
    out = {
        "ntp_final_greedy_accuracy": float(ntp_curves(record)[:, -1].mean()),
        "ntp_samples": int(record["parameters"]["ntp_samples"]),
    }
    for algo in RL_ALGORITHMS:
        select(record, "curve", "greedy_accuracy", series=algo)
        out[f"{algo}_samples_to_{GENERALISE_ACCURACY}"] = [
            r["samples"] for r in select(record, "generalised", series=algo)
        ]
    out["predicted_rounds_to_greedy"] = int(theory.rounds_to_greedy(p))
    return out


def pretrain_arrays(record):
    """p_long, greedy accuracy and long fraction (p_long, seed) of ``pretrain_threshold``."""
    ps = np.array(record["parameters"]["p_long"])
    rows = [select(record, "pretrain", "greedy_accuracy", p_long=p) for p in record["parameters"]["p_long"]]
    return (
        ps,
        np.array([values(r, "greedy_accuracy") for r in rows]),
        np.array([values(r, "long_fraction") for r in rows]),
    )


def pretrain_threshold(record):
    """Greedy accuracy on either side of p = 1/3 and the worst relative error of the long fraction."""
    ps, acc, longf = pretrain_arrays(record)
    below, above = acc.mean(1)[ps < 1 / 3], acc.mean(1)[ps > 1 / 3]
    return {
        "max_greedy_below_one_third": float(below.max()) if len(below) else None,
        "min_greedy_above_one_third": float(above.min()) if len(above) else None,
        "max_relative_long_fraction_error": float(np.max(np.abs(longf.mean(1) / ps - 1))),
    }


def length_growth(record):
    """Initial and final mean length and final greedy length of every algorithm (first seed)."""
    out = {}
    first = record["seeds"][0]
    for algo in RL_ALGORITHMS:
        rows = select(record, "length", "mean_length", series=algo, seed=first)
        out[algo] = {
            "initial_mean_length": rows[0]["mean_length"],
            "final_mean_length": rows[-1]["mean_length"],
            "final_greedy_length": rows[-1]["greedy_length"],
        }
    return out


def logit(q):
    """ln(q / (1 - q)): the log-odds in which Theorem 2's recursion is a straight line."""
    return np.log(q / (1 - q))


#: What the star_recursion figure compares: the long fraction and its decomposition.
STAR_TERMS = ("long_fraction", "p_copy", "p_go_given_copy", "p_go_given_no_copy", "chain_success")


def star_runs(record):
    """The stored STaR runs of ``star_recursion``: ``{(d, p_long, seed): rows in round order}``."""
    runs = {}
    for r in select(record, "long_fraction", "long_fraction"):
        runs.setdefault((r["d"], r["p_long"], r["seed"]), []).append(r)
    return {k: sorted(v, key=lambda r: r["round"]) for k, v in runs.items()}


def _relative_errors(rows, predicted, term):
    key = "p_long" if term == "long_fraction" else term
    measured = np.array([r[term] for r in rows], dtype=float)
    pred = np.array([p[key] for p in predicted], dtype=float)
    return np.abs(pred / measured - 1)


def star_recursion(record):
    """Per (d, p_long): the largest relative error over every stage and seed, plateau included.

    For Theorem 2 (long fraction only) and the finite-lambda map (every stage, and the
    last round alone: ``TERM_last_round``, the plateau) with the chain success
    predicted (``regularised``) or taken from the measurement (``measured_chain``,
    a conditional prediction of the other terms); also the final long fraction,
    measured (mean over seeds) and predicted.
    """
    per_point = {}
    for (d, p, _seed), rows in star_runs(record).items():
        entry = per_point.setdefault(f"d={d} p={p}", {"theorem2": 0.0, "regularised": {}, "measured_chain": {}})
        n = np.array([r["round"] for r in rows])
        measured = np.array([r["long_fraction"] for r in rows])
        theorem2 = np.abs(theory.star_long_fraction(p, n) / measured - 1)
        entry["theorem2"] = max(entry["theorem2"], float(np.max(theorem2)))
        for mode, chain in (("regularised", "regularised"), ("measured_chain", "measured")):
            predicted = predict.finite_lambda(rows, chain)
            for term in STAR_TERMS:
                if mode == "measured_chain" and term == "chain_success":
                    continue  # equal by construction
                errors = _relative_errors(rows, predicted, term)
                entry[mode][term] = max(entry[mode].get(term, 0.0), float(np.max(errors)))
                last = f"{term}_last_round"
                entry[mode][last] = max(entry[mode].get(last, 0.0), float(errors[-1]))
            entry.setdefault(f"final_{mode}", []).append(predicted[-1]["p_long"])
        entry.setdefault("final_measured", []).append(float(measured[-1]))
    for entry in per_point.values():
        for key in [k for k in entry if k.startswith("final_")]:
            entry[key] = float(np.mean(entry[key]))
    worst = {
        mode: {t: max(e[mode][t] for e in per_point.values()) for t in per_point[next(iter(per_point))][mode]}
        for mode in ("regularised", "measured_chain")
    }
    # the README's one-line headline: the long fraction, every stage and the plateau
    headline = {
        f"p_long {mode}{suffix}": worst[mode][f"long_fraction{suffix}"]
        for mode in ("measured_chain", "regularised")
        for suffix in ("", "_last_round")
    }
    return {"headline_largest_relative_error": headline, "largest_relative_error": worst, "per_point": per_point}


def measured_rounds(record):
    """p_long and the rounds to generalise, an array (p_long, seed) with NaN for "never"."""
    ps = record["parameters"]["p_long"]
    select(record, "rounds", "rounds")  # some p_long may never generalise, but not every one
    rounds = [values(select(record, "rounds", p_long=p), "rounds") for p in ps]
    return np.array(ps), np.array(rounds, dtype=float)


def rounds_to_generalise(record):
    """Measured (mean over seeds) and predicted rounds to generalise, per p_long."""
    ps, measured = measured_rounds(record)
    predicted = theory.rounds_to_greedy(ps)
    return {
        "p_long": ps.tolist(),
        "measured_rounds": np.nanmean(measured, 1).tolist(),
        "predicted_rounds": np.asarray(predicted).tolist(),
        "max_extra_rounds": float(np.nanmax(np.nanmean(measured, 1) - predicted)),
    }


def _reached(record, column, table="points", **match):
    """The reached rows matching ``match`` that have a value of ``column`` (a censored wait has none)."""
    return [r for r in select(record, table, column, **match) if r["reached"] and r[column] is not None]


def searched(record, column, **match):
    """d and, per d, the values of ``column`` over the seeds of the reached points matching ``match``."""
    rows = _reached(record, column, **match)
    ds = sorted({r["d"] for r in rows})
    return ds, [[r[column] for r in rows if r["d"] == d] for d in ds]


def _growth(record, column, kind, **match):
    """``fit_rate`` of ``column`` against d over the reached points matching ``match`` (fixed seed)."""
    from .. import complexity

    rows = _reached(record, column, **match)
    fit = complexity.fit_rate(
        [r["d"] for r in rows],
        [r[column] for r in rows],
        [r["seed"] for r in rows],
        kind=kind,
        rng=np.random.default_rng(0),
    )
    return {"value": fit["value"], "ci": fit["ci"]}


def threshold_law(record):
    """The law fitted to the ``law`` series of a ``thresholds`` record, and its predicted growth per schedule."""
    from .. import complexity
    from .series import schedule

    law = complexity_fit(record, series="law")
    along = {}
    for name in SCHEDULES:
        ds, _ = searched(record, "n_min", series=name)
        values, slope = complexity.law_along(law, ds, lambda d, name=name: schedule(name, d), kind=name)
        along[name] = {"d": ds, "n_min": values.tolist(), "growth": slope}
    return law, along


def thresholds(record):
    """N_min's growth along each schedule with its interval, beside the fitted law's, the counting
    bound's and the theory's sufficient growth."""
    law, along = threshold_law(record)
    out = {"law": {k: law[k] for k in ("C", "a", "a_ci", "beta", "beta_ci", "residual_sd")}}
    for name in SCHEDULES:
        growth = _growth(record, "n_min", name, series=name)
        out[name] = {
            "measured": growth["value"],
            "measured_ci": growth["ci"],
            "fitted_law_predicts": along[name]["growth"],
            "counting_lower_bound": counting_growth(name),
            "theory_sufficient": float(
                theory.polynomial_degree(SCHEDULE_PARAMETERS[name])
                if name == "poly"
                else theory.exponential_rate(SCHEDULE_PARAMETERS[name])
            ),
            "unit": "exponent of d" if name == "poly" else "bits per unit d",
        }
    out["non_monotone"] = sum(not r["monotone"] for r in record["tables"]["points"])
    return out


def control(record):
    """Bits per unit d of the first kept chain and of RL prompts to 0.99, beside chance (section 4.14)."""
    from .. import complexity

    out = {}
    for name in ("zero", "exp"):
        rows = [r for r in select(record, "points", "n_rl_min", series=name) if r["reached"]]
        chance = [complexity.chance_wait(r["d"], r["pretrain_p_copy_go"]) for r in rows]
        first, rl = (
            _growth(record, "pretrained_wait", "exp", series=name),
            _growth(record, "n_rl_min", "exp", series=name),
        )
        out[name] = {
            "first_chain": first["value"],
            "first_chain_ci": first["ci"],
            "rl_prompts": rl["value"],
            "rl_prompts_ci": rl["ci"],
            "chance": float(np.polyfit([r["d"] for r in rows], np.log2(chance), 1)[0]),
            "points_reached": f"{len(rows)}/{len(select(record, 'points', series=name))}",
        }
    out["non_monotone"] = sum(not r["monotone"] for r in record["tables"]["points"])
    return out


def worst_errors(record):
    """T and, per proposition, the worst error over seeds at each T."""
    ts = np.array(record["parameters"]["T"])
    return ts, {
        k: [np.max(values(select(record, "error", "error", proposition=k, T=int(t)), "error")) for t in ts]
        for k in PROPOSITIONS
    }


def bound_grid(ts):
    """The sample counts at which the bounds are drawn and read."""
    return np.geomspace(ts[0], ts[-1], 200)


def bounds_vs_empirical(record):
    """Per proposition at the largest T: the worst measured error, the bound and their ratio."""
    ts, errs = worst_errors(record)
    grid = bound_grid(ts)
    bounds = predict.bounds(record["parameters"], grid)
    out = {}
    for k in PROPOSITIONS:
        at_end = float(np.interp(ts[-1], grid, bounds[k]))
        out[k] = {
            "T": int(ts[-1]),
            "measured": float(errs[k][-1]),
            "bound": at_end,
            "bound_over_measured": at_end / float(errs[k][-1]),
        }
    return out


def ablation_rows(record):
    """The final row of every arm listed in the parameters, in their order."""
    return [select(record, "final", "greedy_accuracy", arm=arm)[0] for arm in record["parameters"]["arms"]]


def ablations(record):
    """Final greedy accuracy and greedy length / d of every arm."""
    d = record["parameters"]["d"]
    return {
        r["arm"].replace("\n", " "): {
            "greedy_accuracy": r["greedy_accuracy"],
            "greedy_length_over_d": r["greedy_length"] / d,
        }
        for r in ablation_rows(record)
    }


def phase_grids(record):
    """Greedy accuracy, an array (d, p_long), of each panel of ``phase_diagram``."""
    par = record["parameters"]
    grids = {}
    for key in PHASES:
        grid = np.zeros((len(par["d"]), len(par["p_long"])))
        for i, d in enumerate(par["d"]):
            for j, p in enumerate(par["p_long"]):
                grid[i, j] = select(record, "accuracy", "greedy_accuracy", series=key, d=d, p_long=p)[0][
                    "greedy_accuracy"
                ]
        grids[key] = grid
    return grids


def law_boundary(record):
    """Per d of ``phase_diagram``: the p_long at which the law fitted to its ``law`` table
    reaches the budget, ``(C d^a / budget)^(1 / beta)``, and the law itself."""
    law = complexity_fit(record, table="law")
    par = record["parameters"]
    ds = np.array(par["d"], dtype=float)
    return (law["C"] * ds ** law["a"] / par["budget"]) ** (1.0 / law["beta"]), law


def phase_diagram(record):
    """The budget, the two accuracy grids (d by p_long), the fitted boundary, and the theory's
    smallest sufficient count on the grid."""
    par = record["parameters"]
    grids = phase_grids(record)
    boundary, law = law_boundary(record)
    return {
        "budget": par["budget"],
        "ntp": grids["ntp"].tolist(),
        "star": grids["star"].tolist(),
        "d": list(par["d"]),
        "p_long": list(par["p_long"]),
        "fitted_law": {k: law[k] for k in ("C", "a", "beta")},
        "fitted_boundary_p": boundary.tolist(),
        "theory_smallest_sufficient_count": float(
            min(theory.sample_complexity(int(d), float(p)) for d in par["d"] for p in par["p_long"])
        ),
    }


def complexity_fit(record, column="n_min", keep_draws=False, table="points", **match):
    """The law ``column = C d^a p^-beta`` fitted to the reached rows of ``table`` matching
    ``match`` (bootstrap over seeds, fixed seed; ``keep_draws`` for its band)."""
    from .. import complexity

    rows = _reached(record, column, table, **match)
    return complexity.fit_law(
        [r["d"] for r in rows],
        [r["p_long"] for r in rows],
        [r[column] for r in rows],
        [r["seed"] for r in rows],
        rng=np.random.default_rng(0),
        keep_draws=keep_draws,
    )


def sample_complexity(record):
    """The fitted laws of N_min and L_min, beside the theory's exponents."""
    rows = record["tables"]["points"]
    law, l_law = complexity_fit(record), complexity_fit(record, "l_min")
    keep = ("C", "a", "a_ci", "beta", "beta_ci", "residual_sd")
    return {
        "n_min": {k: law[k] for k in keep},
        "l_min": {k: l_law[k] for k in keep},
        "points_reached": f"{sum(r['reached'] for r in rows)}/{len(rows)}",
        "non_monotone": sum(not r["monotone"] for r in rows),
        "beta_counting_lower_bound": 1.0,
        "beta_sufficient_construction": float(theory.polynomial_degree(1)) - float(theory.polynomial_degree(0)),
        "a_sufficient_construction": float(theory.polynomial_degree(0)),
    }


#: The series of ``separation``: NTP alone (Walsh) grows in bits per unit d, NTP then STaR
#: in powers of d.
SEPARATION = {"walsh p=0": "exp", "walsh p=0.1": "exp", "star p=0.1": "poly", "star 1/d": "poly"}


def separation(record):
    """From the figure's own rows, with :mod:`linparity.complexity`'s fit, upper half and
    minimal-run seconds.

    Growth of N_min per route (bits per unit d for NTP alone, the exponent of d for NTP
    then STaR) and the ratios of samples and seconds at the largest d every series reached
    with every seed (docs/theory.md section 4.15)."""
    from .. import complexity

    out = {}
    medians = {}
    for name, kind in SEPARATION.items():
        fit = _growth(record, "n_min", kind, series=name)
        rows = select(record, "points", series=name)
        out[name] = {
            "growth": fit["value"],
            "growth_ci": fit["ci"],
            "unit": "bits per unit d" if kind == "exp" else "exponent of d",
            "points_reached": f"{sum(r['reached'] for r in rows)}/{len(rows)}",
        }
        upper = complexity.upper_half([r for r in rows if r["reached"]])
        if kind == "exp" and len({r["d"] for r in upper}) >= 2:  # clear of 2a's stop at small d (section 4.15)
            fit_u = complexity.fit_rate(
                [r["d"] for r in upper], [r["n_min"] for r in upper], [r["seed"] for r in upper],
                kind=kind, rng=np.random.default_rng(0),
            )  # fmt: skip
            out[name]["upper_half_d"] = sorted({r["d"] for r in upper})
            out[name]["growth_upper_half"], out[name]["growth_upper_half_ci"] = fit_u["value"], fit_u["ci"]
        complete = {r["d"] for r in rows} - {r["d"] for r in rows if not r["reached"]}
        medians[name] = {
            d: (
                float(np.median([r["n_min"] for r in rows if r["d"] == d])),
                float(np.median([r["n_min_seconds"] for r in rows if r["d"] == d])),
            )
            for d in complete
        }
    out["walsh p=0"]["coverage_prediction_bits_per_d"] = 1.0
    ds = np.array(record["parameters"]["d"], dtype=float)
    out["walsh p=0.1"]["sufficient_bound_bits_per_d"] = float(
        np.polyfit(ds, np.log2(theory.walsh_sufficient_samples(ds, 0.1)), 1)[0]
    )
    common = set.intersection(*(set(m) for m in medians.values()))
    if common:
        d = max(common)
        out["largest_common_d"] = d
        for w in ("walsh p=0", "walsh p=0.1"):
            for s_ in ("star p=0.1", "star 1/d"):
                key = f"{w} / {s_}"
                out[key] = {
                    "samples": medians[w][d][0] / medians[s_][d][0],
                    "seconds": medians[w][d][1] / medians[s_][d][1],
                }
    out["non_monotone"] = sum(not r["monotone"] for r in record["tables"]["points"])
    return out
