"""The SGD guarantee and the right-hand sides of Propositions 1-3, published and derived.

Implements docs/theory.md section 3 (the generic strongly convex guarantee and
Propositions 1-3).  Every proposition bounds the error of averaged Pegasos SGD at one
position by an estimation term ``scale / lambda * sqrt((1 + ln T) / (delta T))``
plus a regularisation term; the published constants are kept beside the derived
ones that proofs_check confirms.
"""

from __future__ import annotations

import numpy as np

from ._inputs import as_positive_array, as_probability_array, scalar_or_array

__all__ = ["feature_count", "prop1_bound", "prop2_bound", "prop3_bound", "sgd_excess_loss_bound"]


def feature_count(position, d, l=None):
    """Squared norm bound ``rho^2`` of the ``+-1`` features of a position.

    docs/theory.md section 3 (the generic guarantee).

    Parameters
    ----------
    position : {"1", "2a", "chain"}
    d : int
        Input dimension.
    l : int, optional
        Chain position ``2 <= l <= d`` (required for ``"chain"``).

    Returns
    -------
    int
        ``d`` for position 1, ``2d + 2`` for 2a (``2d + 1`` features and the bias),
        ``2d + l - 1`` for chain position ``l``.
    """
    if position == "1":
        return int(d)
    if position == "2a":
        return 2 * int(d) + 2
    if position == "chain":
        if l is None or not 2 <= l <= d:
            raise ValueError(f"chain position l must satisfy 2 <= l <= d, got {l!r}")
        return 2 * int(d) + int(l) - 1
    raise ValueError(f"position must be '1', '2a' or 'chain', got {position!r}")


def _estimation(scale, lambda_, T, delta):
    T = np.asarray(T, dtype=float)
    if np.any(T < 1):
        raise ValueError(f"T must be >= 1, got {T!r}")
    delta = as_positive_array(delta, "delta")
    if np.any(delta > 1):
        raise ValueError("delta must lie in (0, 1]")
    return scale / as_positive_array(lambda_, "lambda_") * np.sqrt((1.0 + np.log(T)) / (delta * T))


def sgd_excess_loss_bound(T, lambda_, delta, n_features):
    """Excess regularised loss of averaged Pegasos SGD, ``2 rho^2 (1 + ln T)/(delta lambda T)``.

    docs/theory.md section 3 (generic guarantee), holding with probability ``>= 1 - delta``:
    iterates stay in the ball of radius ``rho / lambda``, so gradients are bounded
    by ``2 rho``; the strongly convex regret bound plus Markov's inequality give it.

    Parameters
    ----------
    T : int, float or array_like
        Number of SGD steps, ``>= 1``.
    lambda_ : float or array_like
        Regularisation strength, ``> 0``.
    delta : float or array_like
        Failure probability, in ``(0, 1]``.
    n_features : int or array_like
        ``rho^2``: the number of ``+-1`` features (see :func:`feature_count`).

    Returns
    -------
    float or numpy.ndarray
    """
    T = np.asarray(T, dtype=float)
    if np.any(T < 1):
        raise ValueError("T must be >= 1")
    rho_sq = as_positive_array(n_features, "n_features")
    value = (
        2.0
        * rho_sq
        * (1.0 + np.log(T))
        / (as_positive_array(delta, "delta") * as_positive_array(lambda_, "lambda_") * T)
    )
    return scalar_or_array(value)


def prop1_bound(T, lambda_, delta, d, p_long, form="derived", scale="probability"):
    """Right-hand side of Proposition 1 (position 1), published or derived.

    docs/theory.md section 3, Proposition 1: estimation term plus regularisation term
    ``B_1``.  Published: ``B_1 = 4 ln((1+p)/(1-p)) / ((1 - p^2) lambda_1)``.
    Derived (proofs_check ``prop1``): ``B_1 = 4 lambda_1 ln((1+p)/(1-p)) / (1 - p^2)``
    on logits and a quarter of it on probabilities (``sigma`` is 1/4-Lipschitz).

    Parameters
    ----------
    T, lambda_, delta : float or array_like
        Horizon ``T_1 >= 1``, regularisation ``lambda_1 > 0``, failure probability.
    d : int or array_like
        Input dimension.
    p_long : float or array_like
        Long fraction, in ``[0, 1)``.
    form : {"derived", "published"}
    scale : {"probability", "logit"}
        Bound on ``|P_wbar(y_1 = +1 | x) - P_*(...)|`` or on ``|<w_bar - w*, x>|``.
        The published text gives ``B_1`` once; it is used for both scales.

    Returns
    -------
    float or numpy.ndarray
    """
    p = as_probability_array(p_long)
    lam = as_positive_array(lambda_, "lambda_")
    a0 = 2.0 * np.arctanh(p)
    d = np.asarray(d, dtype=float)
    factor = {"logit": 2.0 * d, "probability": d / 2.0}[scale]
    est = _estimation(factor, lam, T, delta)
    if form == "published":
        reg = 4.0 * a0 / ((1.0 - p**2) * lam)
    elif form == "derived":
        reg = (4.0 if scale == "logit" else 1.0) * lam * a0 / (1.0 - p**2)
    else:
        raise ValueError(f"form must be 'derived' or 'published', got {form!r}")
    return scalar_or_array(est + reg)


def prop2_bound(T, lambda_, delta, d, p_long, branch="copy", form="derived"):
    """Right-hand side of Proposition 2 (position 2a, probabilities).

    docs/theory.md section 3, Proposition 2.  Regularisation term ``sqrt(lambda/(1-p))``
    after ``y_1 != x_1`` (``branch="flip"``) and
    ``lambda (1+p) |ln(2p/(1-p))| / (8 p (1-p))`` after ``y_1 = x_1``
    (``branch="copy"``); both are confirmed by the derivation.  The estimation term
    is ``2(d+1)/lambda * sqrt(...)`` as published and ``(d+1)/lambda * sqrt(...)``
    as derived (``rho^2 = 2d + 2``, probabilities).

    Parameters
    ----------
    T, lambda_, delta : float or array_like
    d : int or array_like
    p_long : float or array_like
        Long fraction, in ``(0, 1)``.
    branch : {"copy", "flip"}
    form : {"derived", "published"}

    Returns
    -------
    float or numpy.ndarray
    """
    p = as_probability_array(p_long)
    lam = as_positive_array(lambda_, "lambda_")
    d = np.asarray(d, dtype=float)
    factor = {"published": 2.0 * (d + 1.0), "derived": d + 1.0}[form]
    est = _estimation(factor, lam, T, delta)
    if branch == "copy":
        with np.errstate(divide="ignore"):
            reg = lam * (1 + p) * np.abs(np.log(2 * p / (1 - p))) / (8 * p * (1 - p))
    elif branch == "flip":
        reg = np.sqrt(lam / (1.0 - p))
    else:
        raise ValueError(f"branch must be 'copy' or 'flip', got {branch!r}")
    return scalar_or_array(est + reg)


def prop3_bound(T, lambda_, delta, d, l):
    """Right-hand side of Proposition 3: wrong-token probability at chain position ``l``.

    docs/theory.md section 3: ``((2d + l - 1)/(2 lambda_l)) sqrt((1 + ln T)/(delta T))
    + sqrt(lambda_l)``; confirmed by the derivation (the regularisation bias is in
    fact ``lambda ln(1/lambda)(1 + o(1)) <= 0.74 sqrt(lambda)``).

    Parameters
    ----------
    T, lambda_, delta : float or array_like
    d, l : int or array_like
        Dimension and chain position ``2 <= l <= d``.

    Returns
    -------
    float or numpy.ndarray
    """
    lam = as_positive_array(lambda_, "lambda_")
    scale = (2.0 * np.asarray(d, dtype=float) + np.asarray(l, dtype=float) - 1.0) / 2.0
    return scalar_or_array(_estimation(scale, lam, T, delta) + np.sqrt(lam))
