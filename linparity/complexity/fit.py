"""The fitted law ``N = C d^a p^-beta``, with bootstrap confidence intervals over seeds.

docs/theory.md section 4.13.  Least squares in log space: ``ln N = ln C + a ln d +
beta ln(1/p)``.  The uncertainty comes from the seeds: a bootstrap draw resamples
the seeds with replacement and refits on every point of the drawn seeds, so the
interval reflects how much the minimal count varies from one random stream to the
next, with the correlations inside one seed kept.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_law", "fit_rate", "law_along", "law_band"]


def _design(ds, ps, terms):
    cols = [np.ones(len(ds))]
    if "d" in terms:
        cols.append(np.log(ds))
    if "p" in terms:
        cols.append(np.log(1.0 / ps))
    return np.column_stack(cols)


def _lstsq(x, y):
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return coef


def _check(ds, ps, ns, seeds):
    ds, ps, ns, seeds = (np.asarray(v, dtype=float) for v in (ds, ps, ns, seeds))
    if not (ds.shape == ps.shape == ns.shape == seeds.shape) or ds.ndim != 1:
        raise ValueError("d, p_long, counts and seeds must be 1-d arrays of the same length")
    if np.any(ds <= 0) or np.any(ps <= 0) or np.any(ps > 1) or np.any(ns <= 0):
        raise ValueError("the fit needs d > 0, p_long in (0, 1] and positive counts")
    return ds, ps, ns, seeds


def fit_law(ds, ps, ns, seeds, *, terms=("d", "p"), n_boot=2000, rng, keep_draws=False):
    """Fit ``N = C d^a p^-beta`` (or the terms asked for) with 95% bootstrap intervals over seeds.

    Parameters
    ----------
    ds, ps, ns, seeds : array_like
        One entry per reached point: dimension, long share, the count, the seed.
    terms : tuple of {"d", "p"}
        Which exponents to fit (a term left out is fixed at 0).
    n_boot : int
        Bootstrap draws.
    rng : numpy.random.Generator
        Explicit random state of the bootstrap.
    keep_draws : bool
        Also return ``draws``, the bootstrap coefficients (``ln C`` and the fitted
        exponents, one row per draw), for confidence bands of the law itself.

    Returns
    -------
    dict
        ``C``, ``a`` and ``a_ci`` (if "d"), ``beta`` and ``beta_ci`` (if "p"),
        ``residual_sd`` (of ln N), ``points`` (distinct (d, p)), ``observations``,
        ``seeds`` (distinct), ``n_boot``, and ``a_ci_seed_t`` / ``beta_ci_seed_t``: the
        Student-t interval of the mean of per-seed fits (wider than the bootstrap's with
        few seeds; None if no two seeds identify the terms alone).  Raises ValueError if the design cannot
        identify the terms (fewer than two distinct values of a fitted variable).
    """
    ds, ps, ns, seeds = _check(ds, ps, ns, seeds)
    for t, v in (("d", ds), ("p", ps)):
        if t in terms and len(np.unique(v)) < 2:
            raise ValueError(f"cannot fit the {t} exponent from a single value of {t}")
    x, y = _design(ds, ps, terms), np.log(ns)
    coef = _lstsq(x, y)
    names = ["lnC"] + [{"d": "a", "p": "beta"}[t] for t in ("d", "p") if t in terms]
    unique_seeds = np.unique(seeds)
    boots = []
    for _ in range(n_boot):
        draw = rng.choice(unique_seeds, size=len(unique_seeds), replace=True)
        idx = np.concatenate([np.flatnonzero(seeds == s) for s in draw])
        xb = x[idx]
        if np.linalg.matrix_rank(xb) < x.shape[1]:
            continue
        boots.append(_lstsq(xb, y[idx]))
    boots = np.array(boots)
    out = {"C": float(np.exp(coef[0]))}
    for i, name in enumerate(names[1:], start=1):
        out[name] = float(coef[i])
        out[f"{name}_ci"] = [float(v) for v in np.percentile(boots[:, i], [2.5, 97.5])] if len(boots) else None
    out["residual_sd"] = float(np.std(y - x @ coef, ddof=x.shape[1])) if len(y) > x.shape[1] else None
    out["points"] = int(len({(a, b) for a, b in zip(ds, ps)}))
    out["observations"] = int(len(ns))
    out["seeds"] = int(len(unique_seeds))
    out["n_boot"] = int(len(boots))
    # The percentile bootstrap over a handful of seeds is too narrow; beside it, the
    # interval of the per-seed fits' mean (Student t with seeds - 1 degrees of freedom).
    per_seed = [
        _lstsq(x[seeds == s_], y[seeds == s_])
        for s_ in unique_seeds
        if np.linalg.matrix_rank(x[seeds == s_]) == x.shape[1]
    ]
    for i, name in enumerate(names[1:], start=1):
        out[f"{name}_ci_seed_t"] = _t_interval([c[i] for c in per_seed])
    if keep_draws:
        out["draws"] = boots
    return out


def law_band(law, ds, ps, level=0.95):
    """The pointwise bootstrap band of a fitted law (docs/theory.md 5.11).

    Parameters
    ----------
    law : dict
        A :func:`fit_law` result with both terms, fitted with ``keep_draws=True``.
    ds, ps : array_like
        Where to evaluate ``C d^a p^-beta`` (broadcast against each other).
    level : float
        Coverage of the band.

    Returns
    -------
    low, high : ndarray
        The draws' percentiles of the law at each (d, p).
    """
    draws = law["draws"]
    ds, ps = np.broadcast_arrays(np.asarray(ds, dtype=float), np.asarray(ps, dtype=float))
    ln = draws[:, :1] + draws[:, 1:2] * np.log(ds.ravel()) + draws[:, 2:3] * np.log(1.0 / ps.ravel())
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(ln, [tail, 100 - tail], axis=0)
    return np.exp(low).reshape(ds.shape), np.exp(high).reshape(ds.shape)


def fit_rate(ds, ns, seeds, *, kind, n_boot=2000, rng):
    """Growth of ``N`` against ``d`` along a schedule, with 95% intervals over seeds.

    docs/theory.md section 4.13: the exponent (``kind="poly"``, ``N ~ d^e``) or the rate
    in bits per unit d (``kind="exp"``, ``N ~ 2^(e d)``).

    Parameters
    ----------
    ds, ns, seeds : array_like
        One entry per reached point: dimension, count, seed.
    kind : {"poly", "exp"}
    n_boot : int
        Bootstrap draws (seeds resampled with replacement).
    rng : numpy.random.Generator
        Explicit random state of the bootstrap.

    Returns
    -------
    dict
        ``value`` (least squares on log2 N), ``ci`` (percentile bootstrap), ``ci_seed_t``
        (Student t over the per-seed slopes), ``observations``, ``seeds``.
    """
    if kind not in ("poly", "exp"):
        raise ValueError(f"kind must be 'poly' or 'exp', got {kind!r}")
    ds, _, ns, seeds = _check(ds, np.ones(len(ds)), ns, seeds)
    if len(np.unique(ds)) < 2:
        raise ValueError("cannot fit a growth from a single d")
    xcol = np.log2(ds) if kind == "poly" else ds
    x, y = np.column_stack([np.ones(len(ds)), xcol]), np.log2(ns)
    slope = float(_lstsq(x, y)[1])
    unique_seeds, boots = np.unique(seeds), []
    for _ in range(n_boot):
        draw = rng.choice(unique_seeds, size=len(unique_seeds), replace=True)
        idx = np.concatenate([np.flatnonzero(seeds == s) for s in draw])
        if len(np.unique(xcol[idx])) >= 2:
            boots.append(_lstsq(x[idx], y[idx])[1])
    ci = [float(v) for v in np.percentile(boots, [2.5, 97.5])] if boots else None
    per_seed = [
        _lstsq(x[seeds == s_], y[seeds == s_])[1] for s_ in unique_seeds if len(np.unique(xcol[seeds == s_])) >= 2
    ]
    return {
        "value": slope,
        "ci": ci,
        "ci_seed_t": _t_interval(per_seed),
        "observations": int(len(ns)),
        "seeds": int(len(unique_seeds)),
    }


def _t_interval(values, level=0.95):
    """Student-t interval of the mean of per-seed estimates; None for fewer than two."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return None
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return [float(values.mean() - half), float(values.mean() + half)]


def law_along(law, ds, p_of_d, *, kind):
    """What a fitted law predicts along a schedule ``p = p_of_d(d)`` (docs/theory.md 4.13).

    Parameters
    ----------
    law : dict
        A :func:`fit_law` result with ``C``, ``a``, ``beta``.
    ds : array_like
        Dimensions of the schedule.
    p_of_d : callable
        ``p_long`` of the schedule at ``d``.
    kind : {"poly", "exp"}
        Slope against log2 d or against d: the quantity :func:`fit_rate` measures.

    Returns
    -------
    values : ndarray
        The law at every ``d``.
    slope : float or None
        Slope of their log2; None for fewer than two d.
    """
    ds = np.asarray(ds, dtype=float)
    ps = np.array([p_of_d(d) for d in ds], dtype=float)
    values = law["C"] * ds ** law["a"] * ps ** -law["beta"]
    if len(ds) < 2:
        return values, None
    x = np.log2(ds) if kind == "poly" else ds
    return values, float(np.polyfit(x, np.log2(values), 1)[0])
