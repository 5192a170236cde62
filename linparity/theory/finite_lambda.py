"""The finite-lambda STaR map: what each stage's regularised optimum predicts.

Implements docs/theory.md section 4.8.  Theorem 2's map ``p -> 2p / (1 + p)`` assumes
every stage reaches the Bayes predictor of its training set.  Algorithm 3 minimises a
*penalised* loss, so a stage with penalties ``lambda`` reaches the penalised optimum
instead, and the gap compounds through the rounds: the long fraction levels off below
1 (the plateau) rather than tending to it.

The model is summarised by four numbers, the same at every prompt at the population
level (``d >= 3``): the copy rate ``c = P(y_1 = x_1)``, the stop probabilities
``sigma(u)`` after a copy and ``sigma(v)`` after a flip, and the chain success ``s``.
A training set is summarised by three masses that add up to 1: long
demonstrations ``L`` (``y_1 = x_1``, go on, correct chain), short ones after a copy
``S_c`` (``y_1 = x_1 = chi``) and short ones after a flip ``S_f`` (``y_1 = -x_1 = chi``).
Pre-training sees ``(p, (1-p)/2, (1-p)/2)``.  A STaR round with ``r_cot`` at
temperature 1 keeps ``(c (1-sigma(u)) s, c sigma(u) / 2, (1-c) sigma(v) / 2)``,
normalised: the kept short answers start with ``x_1`` with probability
``c sigma(u) / (c sigma(u) + (1-c) sigma(v))``, not 1/2, and the map carries that
composition instead of assuming calibration.  Each stage then solves

* position 1: ``sigma(a) - (L + S_c) + lambda_1 a = 0``, ``c = sigma(a)``;
* position 2a after a copy: ``L sigma(u) - S_c sigma(-u) + (lambda_2a / 2) u = 0``;
* position 2a after a flip: ``-S_f sigma(-v) + (lambda_2a / 2) v = 0``;
* chain position ``l``: the separable problem of Proposition 3, ``q_l = lambda_l
  ln((1 - q_l) / q_l)``, ``s = prod_l (1 - q_l)``.

``chain="regularised"`` predicts ``s`` so; ``chain="measured"`` takes each stage's
measured chain success instead (a conditional prediction of the other terms: the
chain positions run where ``lambda_l T`` is small and Algorithm 3's average is far from
the penalised optimum, docs/theory.md section 4.8).  As every ``lambda -> 0`` the map
becomes Theorem 2's (``c -> (1 + p_n) / 2``, ``sigma(u) -> (1 - p_n) / (1 + p_n)``,
``sigma(v) -> 1``, ``s -> 1``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["finite_lambda_map", "finite_lambda_star", "kept_masses", "stage_optimum"]

#: The keys of every predicted stage, with the evaluation's meaning (linparity.evaluate).
STAGE_KEYS = (
    "p_long",
    "p_short_correct",
    "sampling_accuracy",
    "p_go",
    "mean_length",
    "p_copy",
    "p_go_given_copy",
    "p_go_given_no_copy",
    "chain_success",
)


def _sigmoid(s):
    return 0.5 * (1.0 + math.tanh(0.5 * s))


def _root(func, lo, hi):
    from scipy.optimize import brentq  # lazy: keeps `import linparity.theory` fast

    return brentq(func, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)


def _check_masses(masses):
    masses = tuple(float(m) for m in masses)
    if len(masses) != 3 or any(not math.isfinite(m) or m < 0 for m in masses) or abs(sum(masses) - 1) > 1e-9:
        raise ValueError(f"masses must be three non-negative numbers adding up to 1, got {masses!r}")
    return masses


def _check_lambda(value, name):
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return value


def stage_optimum(masses, lambda_1, lambda_2a, lambda_chain):
    """The penalised population optimum of one NTP stage on a training set.

    docs/theory.md section 4.8.

    Parameters
    ----------
    masses : tuple of 3 floats
        ``(L, S_c, S_f)``: shares of long demonstrations, short ones after a copy and
        short ones after a flip (they add up to 1).
    lambda_1, lambda_2a : float
        Penalties of positions 1 and 2a.
    lambda_chain : sequence of float or None
        Penalty of every chain position ``l = 2..d``; None leaves the chain out
        (``chain_success`` is then None).

    Returns
    -------
    dict
        ``p_copy`` (``c``), ``p_eos_copy`` (``sigma(u)``), ``p_eos_flip`` (``sigma(v)``)
        and ``chain_success`` (``s``).
    """
    long_, short_copy, short_flip = _check_masses(masses)
    lam_1 = _check_lambda(lambda_1, "lambda_1")
    lam_2a = _check_lambda(lambda_2a, "lambda_2a")
    target = long_ + short_copy
    # Each first-order condition is increasing in its unknown and its non-penalty part
    # lies in (-1, 1), so the root lies within 1 / (penalty coefficient) of 0.
    a = _root(lambda a: _sigmoid(a) - target + lam_1 * a, -1.0 / lam_1, 1.0 / lam_1)
    half = lam_2a / 2
    u = _root(lambda u: long_ * _sigmoid(u) - short_copy * _sigmoid(-u) + half * u, -1.0 / half, 1.0 / half)
    v = _root(lambda v: -short_flip * _sigmoid(-v) + half * v, -1.0 / half, 1.0 / half)
    success = None
    if lambda_chain is not None:
        success = 1.0
        for lam in lambda_chain:
            lam = _check_lambda(lam, "lambda_chain")
            a_l = _root(lambda a: _sigmoid(-a) - lam * a, 0.0, 1.0 / lam)
            success *= 1.0 - _sigmoid(-a_l)
    return {"p_copy": _sigmoid(a), "p_eos_copy": _sigmoid(u), "p_eos_flip": _sigmoid(v), "chain_success": success}


def kept_masses(model):
    """The kept set of a STaR round (``r_cot``, temperature 1) sampled from ``model``.

    docs/theory.md section 4.8: long answers are kept when they start with ``x_1``, go on
    and the chain is right; short answers when their one token is ``chi``, which after
    a copy happens for half the prompts and after a flip for the other half.

    Parameters
    ----------
    model : dict
        ``p_copy``, ``p_eos_copy``, ``p_eos_flip``, ``chain_success``.

    Returns
    -------
    masses : tuple of 3 floats
        ``(L, S_c, S_f)`` of the kept set, normalised.
    kept : float
        The kept share of the prompts, ``sampling_accuracy``.
    """
    c, eos_copy, eos_flip, s = (model[k] for k in ("p_copy", "p_eos_copy", "p_eos_flip", "chain_success"))
    raw = (c * (1 - eos_copy) * s, c * eos_copy / 2, (1 - c) * eos_flip / 2)
    kept = sum(raw)
    if kept <= 0:
        raise ValueError("the model keeps nothing: no round can follow")
    return tuple(m / kept for m in raw), kept


def _metrics(model, d):
    c, eos_copy, eos_flip, s = (model[k] for k in ("p_copy", "p_eos_copy", "p_eos_flip", "chain_success"))
    p_long = c * (1 - eos_copy) * s
    p_short = (c * eos_copy + (1 - c) * eos_flip) / 2
    p_go = c * (1 - eos_copy) + (1 - c) * (1 - eos_flip)
    return {
        "p_long": p_long,
        "p_short_correct": p_short,
        "sampling_accuracy": p_long + p_short,
        "p_go": p_go,
        "mean_length": 1.0 + (d - 1) * p_go,
        "p_copy": c,
        "p_go_given_copy": 1 - eos_copy,
        "p_go_given_no_copy": 1 - eos_flip,
        "chain_success": s,
    }


def finite_lambda_map(d, p_long, stage_lambdas, chain_success=None):
    """Predict every stage of NTP then fresh STaR rounds from the stages' penalties.

    docs/theory.md section 4.8.  Stage 0 is pre-training on ``D(p_long)``; stage ``n``
    is STaR round ``n``, trained on the kept set that stage ``n - 1``'s *predicted*
    model would keep (so no measurement after pre-training's penalties enters).

    Parameters
    ----------
    d : int
        Number of input bits, ``>= 3`` (at ``d = 2`` position 2a can see the parity).
    p_long : float
        Share of long demonstrations in pre-training, in ``(0, 1)``.
    stage_lambdas : sequence of dict
        Per stage, ``{"1": lambda_1, "2a": lambda_2a, "chain": [lambda_2 .. lambda_d]}``.
    chain_success : sequence of float, optional
        Per stage, a chain success to use instead of the regularised optimum's (the
        ``chain="measured"`` mode of :func:`finite_lambda_star`).

    Returns
    -------
    list of dict
        One per stage: the keys of :data:`STAGE_KEYS`, plus ``kept_long_share`` (the
        long share of the set the stage was trained on).
    """
    d = int(d)
    if d < 3:
        raise ValueError(f"the finite-lambda map needs d >= 3, got d = {d}")
    p = float(p_long)
    if not 0 < p < 1:
        raise ValueError(f"p_long must lie in (0, 1), got {p_long!r}")
    if chain_success is not None and len(chain_success) != len(stage_lambdas):
        raise ValueError("chain_success needs one value per stage")
    out = []
    masses = (p, (1 - p) / 2, (1 - p) / 2)
    for n, lam in enumerate(stage_lambdas):
        chain = lam["chain"]
        if len(chain) != d - 1:
            raise ValueError(f"stage {n} has {len(chain)} chain lambdas, d - 1 = {d - 1} expected")
        given = None if chain_success is None else chain_success[n]
        model = stage_optimum(masses, lam["1"], lam["2a"], chain if given is None else None)
        if given is not None:
            model["chain_success"] = float(given)
        out.append({**_metrics(model, d), "kept_long_share": masses[0]})
        if n + 1 < len(stage_lambdas):
            masses, _ = kept_masses(model)
    return out


def finite_lambda_star(record, chain="regularised"):
    """The finite-lambda map's prediction for every stage of a simulate record.

    docs/theory.md section 4.8.  Reads only what the run recorded about its setup (``d``,
    ``p_long`` and each stage's ``lambdas``); with ``chain="measured"`` also each
    stage's measured ``chain_success``.

    Parameters
    ----------
    record : dict
        What ``python -m linparity.simulate --json`` writes, for a STaR run in fresh
        mode with ``r_cot`` at temperature 1 (or an NTP-only run).
    chain : {"regularised", "measured"}
        Where the chain success comes from (see the module notes).

    Returns
    -------
    list of dict
        One per stage, pre-training first (see :func:`finite_lambda_map`).
    """
    if chain not in ("regularised", "measured"):
        raise ValueError(f"chain must be 'regularised' or 'measured', got {chain!r}")
    config = record["config"]
    if config["rl"] not in ("star", "none"):
        raise ValueError(f"the finite-lambda map covers STaR and NTP alone, not rl = {config['rl']!r}")
    if config["rl"] == "star":
        for key, wanted in (("star_mode", "fresh"), ("reward", "cot"), ("temperature", 1.0)):
            if config[key] != wanted:
                raise ValueError(f"the finite-lambda map covers {key} = {wanted!r} only, got {config[key]!r}")
    stages = [record["pretrain"], *record["rl"]]
    if any("lambdas" not in s for s in stages):
        raise ValueError("the record has no per-stage lambdas (written before they were recorded)")
    given = None
    if chain == "measured":
        given = [s["chain_success"] for s in stages]
        if any(g is None for g in given):
            raise ValueError("a stage has no measured chain success")
    return finite_lambda_map(config["d"], config["p_long"], [s["lambdas"] for s in stages], given)
