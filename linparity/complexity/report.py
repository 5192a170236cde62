"""The minimal-budget search's outputs: ``summary.csv`` (one row per point) and ``fit.json``.

docs/theory.md section 4.13.  The measured law is fitted here and put beside the
theory's numbers (the counting lower bound and the sufficient construction of
:mod:`linparity.theory`); this module and the figures are where the two meet.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from .fit import fit_law, fit_rate, law_along

__all__ = [
    "CONTROL_FIELDS",
    "CSV_FIELDS",
    "SUMMARY_FIELDS",
    "chance_wait",
    "fit_report",
    "load_points",
    "minimal_run_seconds",
    "summary_rows",
    "upper_half",
]

SUMMARY_FIELDS = (
    "d",
    "p_long",
    "seed",
    "rl",
    "schedule",
    "reached",
    "l_min",
    "n_min",
    "stage",
    "trials",
    "monotone",
    "violations",
    "wall_seconds",
    "error",
    "command",
)
#: The budget and position 1 of a point, the seconds of its minimal run, then the columns of
#: the control (``--budget round``, docs/theory.md 4.14), empty for the main search.
CONTROL_FIELDS = (
    "budget",
    "position1",
    "n_min_seconds",
    "at_grid_top",
    "n_rl_min",
    "first_chain",
    "pretrained_wait",
    "pretrain_p_copy_go",
    "chance_wait",
)
#: The columns of ``summary.csv``: the command last, since it is the longest.
CSV_FIELDS = SUMMARY_FIELDS[:-1] + CONTROL_FIELDS + SUMMARY_FIELDS[-1:]


def load_points(points_dir):
    """Every point record in ``points_dir`` (``*.json``) that holds the summary's fields; others skipped.

    A point file is rewritten whenever its search ends, so a damaged one is simply redone
    by the next invocation that asks for the point.
    """
    records = []
    for name in sorted(os.listdir(points_dir)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(points_dir, name)) as f:
                record = json.load(f)
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and all(k in record for k in SUMMARY_FIELDS) and isinstance(record["trials"], list):
            records.append(record)
    return records


def summary_rows(records):
    """The rows of ``summary.csv`` (docs/theory.md 4.13, 4.14).

    Parameters
    ----------
    records : list of dict
        Point records (:class:`linparity.complexity.PointDriver`).

    Returns
    -------
    list of dict
        One row per point with :data:`CSV_FIELDS` (trials counted, violations joined,
        the control's columns None for the main search), sorted by budget, schedule,
        rl, d, decreasing p_long, seed.
    """
    rows = []
    for r in records:
        row = {k: r[k] for k in SUMMARY_FIELDS if k not in ("trials", "violations")}
        row["trials"] = len(r["trials"])
        row["violations"] = ";".join(f"{a}>{b}" for a, b in r["violations"])
        row["budget"] = r.get("budget", "long")
        row["position1"] = r.get("position1", "linear")
        # seconds of the minimal run alone (the search's total is wall_seconds)
        row["n_min_seconds"] = minimal_run_seconds(r)
        for k in ("n_rl_min", "first_chain", "pretrained_wait", "pretrain_p_copy_go"):
            row[k] = r.get(k) if row["budget"] == "round" else None
        row["chance_wait"] = chance_wait(r["d"], row["pretrain_p_copy_go"])
        # reached only at the grid's top: no step above it could be run for the check
        row["at_grid_top"] = bool(r["reached"] and r["l_min"] == r.get("l_max"))
        rows.append(row)
    rows.sort(key=lambda r: (r["budget"], r["schedule"], r["rl"], r["d"], -r["p_long"], r["seed"]))
    return rows


def chance_wait(d, p_copy_go):
    """Expected prompts to a first correct chain when the chain is untrained (docs/theory.md 4.14).

    Each of the chain's d - 1 tokens is right with probability 1/2, so the wait is
    geometric with mean ``2^(d-1) / P(copy, go on)``.

    Parameters
    ----------
    d : int
    p_copy_go : float or None
        ``P(y_1 = x_1, go on)`` of the pre-trained model, measured.

    Returns
    -------
    float or None
        None if ``p_copy_go`` is None or 0.
    """
    if not p_copy_go:
        return None
    return 2.0 ** (d - 1) / p_copy_go


def _theory_numbers():
    from .. import theory

    degree0 = float(theory.polynomial_degree(0))
    return {
        "beta_counting_lower_bound": 1.0,
        "beta_sufficient_construction": float(theory.polynomial_degree(1)) - degree0,
        "a_sufficient_construction": degree0,
    }


def _law(rows, key, rng, keep_draws=False, threshold=0.0):
    """The law of ``key`` over the reached fixed-p rows, in ``p_long - threshold`` (rows above it)."""
    ok = [r for r in rows if r["reached"] and r["schedule"].startswith("p=") and r["p_long"] > threshold]
    ds = [r["d"] for r in ok]
    ps = [r["p_long"] - threshold for r in ok]
    if len(set(ds)) < 2 or len(set(ps)) < 2:
        return None
    return fit_law(ds, ps, [r[key] for r in ok], [r["seed"] for r in ok], rng=rng, keep_draws=keep_draws)


def _predicted_growth_ci(law, ds, p_of_d, kind):
    """95% interval of the law's predicted growth along a schedule, over its bootstrap draws."""
    slopes = [law_along({"C": np.exp(c[0]), "a": c[1], "beta": c[2]}, ds, p_of_d, kind=kind)[1] for c in law["draws"]]
    return [float(v) for v in np.percentile(slopes, [2.5, 97.5])]


def _margin_law(rows, rng):
    """NTP alone's ``N_min = C d^a (p - 1/3)^-beta``: Theorem 1's threshold sets the scale
    of its difficulty; None without two margins above 0."""
    fit = _law(rows, "n_min", rng, threshold=1 / 3)
    return None if fit is None else {**fit, "law": "N_min = C d^a (p_long - 1/3)^-beta"}


def _schedule_fits(rows, law, rng):
    from .. import theory
    from ..sweep import parse_schedule

    out = {}
    for label in sorted({r["schedule"] for r in rows if not r["schedule"].startswith("p=")}):
        sched = parse_schedule(label)
        ok = [r for r in rows if r["schedule"] == label and r["reached"]]
        entry = {"kind": sched.kind, "d": sorted({r["d"] for r in ok}), "points_reached": len(ok)}
        entry["points"] = len([r for r in rows if r["schedule"] == label])
        if len(entry["d"]) >= 2:
            fit = fit_rate(
                [r["d"] for r in ok], [r["n_min"] for r in ok], [r["seed"] for r in ok], kind=sched.kind, rng=rng
            )
            entry["measured"], entry["measured_ci"] = fit["value"], fit["ci"]
            entry["measured_ci_seed_t"] = fit["ci_seed_t"]
        if law is not None and entry["d"]:
            entry["fitted_law_predicts"] = law_along(law, entry["d"], sched.p_long, kind=sched.kind)[1]
            if len(entry["d"]) >= 2:
                entry["fitted_law_predicts_ci"] = _predicted_growth_ci(law, entry["d"], sched.p_long, sched.kind)
        entry["theory_sufficient"] = float(
            theory.polynomial_degree(sched.a) if sched.kind == "poly" else theory.exponential_rate(sched.a)
        )
        if sched.kind == "exp":
            entry["counting_lower_bound"] = 1.0 / sched.a
        out[label] = entry
    return out


def _positive(value):
    return value is not None and value > 0


def _control(rows, rng):
    """Per schedule of the control: log2 of each count against d, slope in bits per unit d.

    ``first_chain`` (the minimal run's own first chain) equals ``pretrained_wait`` wherever
    the minimal round size is at least the wait, since every round 1 draws the same
    stream; ``pretrained_wait`` is the measurement, ``first_chain`` kept for reference.
    """
    out = {}
    for label in sorted({r["schedule"] for r in rows}):
        ok = [r for r in rows if r["schedule"] == label and r["reached"]]
        entry = {"d": sorted({r["d"] for r in ok}), "points": len([r for r in rows if r["schedule"] == label])}
        entry["points_reached"] = len(ok)
        # A wait not seen in any round 1 is censored (above the largest round tried):
        # dropping such points would bias the slope towards short waits, so they are counted.
        entry["wait_censored"] = sum(r["pretrained_wait"] is None for r in ok)
        entry["at_grid_top"] = [[r["d"], r["seed"]] for r in ok if r["at_grid_top"]]
        for key in ("first_chain", "pretrained_wait", "n_rl_min", "n_min", "chance_wait"):
            have = [r for r in ok if _positive(r[key])]
            if len({r["d"] for r in have}) < 2:
                continue
            fit = fit_rate(
                [r["d"] for r in have], [r[key] for r in have], [r["seed"] for r in have], kind="exp", rng=rng
            )
            entry[f"{key}_bits_per_d"], entry[f"{key}_bits_per_d_ci"] = fit["value"], fit["ci"]
        entry["median_log2"] = {
            str(d): {
                key: float(np.median([np.log2(r[key]) for r in ok if r["d"] == d and _positive(r[key])]))
                for key in ("first_chain", "pretrained_wait", "n_rl_min", "chance_wait")
                if any(_positive(r[key]) for r in ok if r["d"] == d)
            }
            for d in entry["d"]
        }
        out[label] = entry
    return out


def minimal_run_seconds(record):
    """Seconds of a point's minimal run alone (its trial at ``l_min``), None if not reached."""
    return next((t.get("wall_seconds") for t in record["trials"] if t.get("l") == record["l_min"]), None)


def upper_half(rows):
    """The rows whose d is at least the median of their distinct d (docs/theory.md 4.15): the
    growth there is the asymptotic one, clear of costs that do not grow with d."""
    ds = sorted({r["d"] for r in rows})
    return [r for r in rows if r["d"] >= np.median(ds)] if ds else []


def _growth(rows, kind, rng):
    """Growth of N_min against d over a group's reached rows, with the medians per d."""
    ok = [r for r in rows if r["reached"]]
    entry = {"points": len(rows), "points_reached": len(ok), "d": sorted({r["d"] for r in ok})}
    entry["median_n_min"] = {str(d): float(np.median([r["n_min"] for r in ok if r["d"] == d])) for d in entry["d"]}
    secs = {d: [r["n_min_seconds"] for r in ok if r["d"] == d and r["n_min_seconds"] is not None] for d in entry["d"]}
    entry["median_n_min_seconds"] = {str(d): float(np.median(v)) for d, v in secs.items() if v}
    entry["search_seconds"] = float(sum(r["wall_seconds"] for r in rows))
    if len(entry["d"]) >= 2:
        fit = fit_rate([r["d"] for r in ok], [r["n_min"] for r in ok], [r["seed"] for r in ok], kind=kind, rng=rng)
        entry["measured"], entry["measured_ci"], entry["measured_ci_seed_t"] = fit["value"], fit["ci"], fit["ci_seed_t"]
    # The upper half of the d range alone: the asymptotic growth, clear of costs that do
    # not grow with d (NTP alone at p_long = 0: position 2a's stop, docs/theory.md 4.15).
    upper = upper_half(ok)
    if len({r["d"] for r in upper}) >= 2:
        fit = fit_rate(
            [r["d"] for r in upper], [r["n_min"] for r in upper], [r["seed"] for r in upper], kind=kind, rng=rng
        )
        entry["d_upper_half"] = sorted({r["d"] for r in upper})
        entry["measured_upper_half"], entry["measured_upper_half_ci"] = fit["value"], fit["ci"]
        entry["measured_upper_half_ci_seed_t"] = fit["ci_seed_t"]
    return entry


def _separation(every, star_rows, rng):
    """NTP alone with a Walsh position 1 against NTP then STaR (docs/theory.md 4.15).

    Per fixed p_long of the Walsh rows: bits per unit d of N_min (``kind="exp"``), beside
    the coverage count at p = 0 and the generic bound's sufficient count (theory 3.12).
    Per schedule of NTP then STaR over the same d range: the polynomial exponent.  And the
    ratio of medians (samples, seconds of the minimal run) at the largest d both reached
    with every seed.  None without Walsh rows.
    """
    from .. import theory

    walsh = [r for r in every if r["position1"] == "walsh" and r["budget"] == "pretrain"]
    if not walsh:
        return None
    d_range = sorted({r["d"] for r in walsh})
    star = [r for r in star_rows if d_range[0] <= r["d"] <= d_range[-1]]
    out = {"d": d_range, "ntp_alone_walsh": {}, "ntp_then_star": {}, "ratios_at_largest_common_d": []}
    for label in sorted({r["schedule"] for r in walsh}):
        group = [r for r in walsh if r["schedule"] == label]
        entry = _growth(group, "exp", rng)
        ps = {r["p_long"] for r in group}
        p = ps.pop() if len(ps) == 1 else None  # the theory's numbers are for a fixed p_long
        ds = np.array(d_range, dtype=float)
        if p is not None and p < 0.5 and len(ds) >= 2:
            bound = np.log2(theory.walsh_sufficient_samples(ds, p))
            entry["theory_sufficient_bits_per_d"] = float(np.polyfit(ds, bound, 1)[0])
        if p == 0:
            entry["coverage_prediction"] = {str(int(d)): float(theory.walsh_coverage_samples(d)) for d in ds}
            entry["coverage_bits_per_d"] = 1.0
        out["ntp_alone_walsh"][label] = entry
    for label in sorted({r["schedule"] for r in star}):
        out["ntp_then_star"][label] = _growth([r for r in star if r["schedule"] == label], "poly", rng)

    def complete(group):  # d reached by every seed of the group
        return {d for d in {r["d"] for r in group} if all(r["reached"] for r in group if r["d"] == d)}

    for wl, we in out["ntp_alone_walsh"].items():
        for sl, se in out["ntp_then_star"].items():
            w_rows = [r for r in walsh if r["schedule"] == wl]
            s_rows = [r for r in star if r["schedule"] == sl]
            common = complete(w_rows) & complete(s_rows)
            if not common:
                continue
            d = max(common)
            ratio = {"walsh": wl, "star": sl, "d": d}
            ratio["samples_ratio"] = we["median_n_min"][str(d)] / se["median_n_min"][str(d)]
            if str(d) in we["median_n_min_seconds"] and str(d) in se["median_n_min_seconds"]:
                ratio["seconds_ratio"] = we["median_n_min_seconds"][str(d)] / se["median_n_min_seconds"][str(d)]
            out["ratios_at_largest_common_d"].append(ratio)
    return out


def fit_report(records, *, seed=0):
    """The ``fit.json`` of a search directory (docs/theory.md 4.13, 4.14).

    Parameters
    ----------
    records : list of dict
        Every point record of the directory.
    seed : int
        Seed of the bootstraps' random state.

    Returns
    -------
    dict
        ``n_min`` and ``l_min`` (the law over NTP then STaR's fixed-p points),
        ``theory`` (the counting bound's and the construction's exponents),
        ``schedules`` (growth along each schedule beside the law's prediction),
        ``control`` (section 4.14), ``ntp_alone``, point counts, the non-monotone
        points and the trials' total seconds; ``None`` where the grid allows no fit.
    """
    rng = np.random.default_rng(seed)
    every = summary_rows(records)
    rows = [r for r in every if r["budget"] == "long" and r["rl"] == "star" and r["position1"] == "linear"]
    ntp_alone = [r for r in every if r["budget"] == "long" and r["rl"] == "none" and r["position1"] == "linear"]
    control = [r for r in every if r["budget"] == "round"]
    law = _law(rows, "n_min", rng, keep_draws=True)
    out = {
        "law": "N_min = C d^a p_long^-beta, least squares on ln N over reached (d, p_long, seed); "
        "95% intervals by bootstrap over seeds",
        "n_min": None if law is None else {k: v for k, v in law.items() if k != "draws"},
        "l_min": _law(rows, "l_min", rng),
        "theory": _theory_numbers(),
        "schedules": _schedule_fits(rows, law, rng),
        "control": _control(control, rng),
        # NTP alone (--rl none) apart: its own law, over p_long above 1/3 (docs/theory.md 4.13)
        "ntp_alone": {
            "n_min": _law(ntp_alone, "n_min", rng),
            "n_min_vs_margin": _margin_law(ntp_alone, rng),
            "points": len(ntp_alone),
        },
        "separation": _separation(every, rows, rng),
        "points": len(every),
        "reached": sum(r["reached"] for r in every),
        "non_monotone": [
            {
                "d": r["d"],
                "p_long": r["p_long"],
                "seed": r["seed"],
                "rl": r["rl"],
                "budget": r["budget"],
                "violations": r["violations"],
            }
            for r in every
            if not r["monotone"]
        ],
        "wall_seconds": float(sum(r["wall_seconds"] for r in every if math.isfinite(r["wall_seconds"]))),
    }
    return out
