"""Theorem 1 with explicit constants: the ``lambda_l`` and ``T_l`` that meet ``epsilon, delta``.

Implements docs/theory.md section 3 (Theorem 1 from Propositions 1-3): each derived
proposition is solved for the largest regularisation whose bias term is at most
half the target and then the smallest horizon whose estimation term is the other
half; a union bound over the ``d + 1`` positions and the sum of the token errors give
the per-position targets, and the horizons give the number of NTP samples.
"""

from __future__ import annotations

import math

import numpy as np

from ._inputs import as_positive_array, check_eps_delta, scalar_or_array

__all__ = [
    "ntp_samples",
    "sgd_horizon",
    "sgd_horizon_sufficient",
    "solve_prop1",
    "solve_prop2",
    "solve_prop3",
    "theorem1_parameters",
]


def sgd_horizon(rate):
    """Smallest integer ``T >= 1`` with ``(1 + ln T) / T <= rate``.

    The larger root of ``1 + ln T = rate T`` is ``T* = -W_{-1}(-rate/e) / rate``
    (Lambert W, branch -1); ``(1 + ln T)/T`` decreases for ``T >= 1``, so every
    ``T >= T*`` qualifies.  Used to solve each proposition for ``T_l``.

    Parameters
    ----------
    rate : float or array_like
        ``> 0``.

    Returns
    -------
    float or numpy.ndarray
        ``ceil(T*)`` (1 when ``rate >= 1``), as float.  Minimal up to the floating
        point resolution of ``(1 + ln T)/T`` (relative ``~1e-15``) for huge ``T``.
    """
    from scipy.special import lambertw

    c = as_positive_array(rate, "rate")
    c_small = np.minimum(c, 1.0)
    t_star = -lambertw(-c_small / math.e, -1).real / c_small
    t_int = np.ceil(t_star)
    # W is accurate to a few ulps: step down once if the integer below also qualifies
    below = np.maximum(t_int - 1.0, 1.0)
    t_int = np.where((t_int > 1) & ((1.0 + np.log(below)) / below <= c), below, t_int)
    return scalar_or_array(np.where(c >= 1.0, 1.0, t_int))


def sgd_horizon_sufficient(rate):
    """Closed-form sufficient horizon ``T = (2/rate)(1 + ln(1/rate))`` for ``rate <= 1``.

    Proof: with ``L = ln(1/rate) >= 0``, ``1 + ln T = 1 + ln 2 + L + ln(1 + L)
    <= 2 + 2L = rate T`` because ``ln 2 < 1`` and ``ln(1 + L) <= L``.

    Parameters
    ----------
    rate : float or array_like
        In ``(0, 1]``.

    Returns
    -------
    float or numpy.ndarray
    """
    c = as_positive_array(rate, "rate")
    if np.any(c > 1):
        raise ValueError("rate must be <= 1")
    return scalar_or_array(2.0 / c * (1.0 + np.log(1.0 / c)))


def _horizon_for(scale, lambda_, epsilon, delta):
    # scale/lambda * sqrt((1 + ln T)/(delta T)) <= epsilon / 2
    return float(sgd_horizon(delta * (epsilon * lambda_ / (2.0 * scale)) ** 2))


def solve_prop1(d, p_long, epsilon, delta):
    """``(lambda_1, T_1)`` making the derived Proposition 1 (probabilities) ``<= epsilon``.

    docs/theory.md section 3.  Half of ``epsilon`` goes to each term: the largest
    ``lambda_1`` with ``lambda a_0 / (1 - p^2) <= epsilon / 2``, then the smallest
    ``T_1`` (:func:`sgd_horizon`) with ``(d / (2 lambda)) sqrt(...) <= epsilon / 2``.

    Parameters
    ----------
    d : int
    p_long : float
        In ``(0, 1)``.
    epsilon : float
        Target accuracy of ``P(y_1 = +1 | x)``, in ``(0, 1)``.
    delta : float
        Failure probability, in ``(0, 1]``.

    Returns
    -------
    tuple of float
        ``(lambda_1, T_1)``.
    """
    check_eps_delta(epsilon, delta)
    p = float(p_long)
    if not 0 < p < 1:
        raise ValueError("p_long must lie in (0, 1)")
    a0 = 2.0 * math.atanh(p)
    lam = epsilon * (1.0 - p * p) / (2.0 * a0)
    return lam, _horizon_for(d / 2.0, lam, epsilon, delta)


def solve_prop2(d, p_long, epsilon, delta, form="derived"):
    """``(lambda_2a, T_2a)`` making Proposition 2 ``<= epsilon`` on both branches.

    docs/theory.md section 3.  ``lambda`` is the largest value with both regularisation
    terms ``<= epsilon/2``: ``min((1-p) eps^2/4, 4 p (1-p) eps / ((1+p)|ln(2p/(1-p))|))``.

    Parameters
    ----------
    d : int
    p_long : float
        In ``(0, 1)``.
    epsilon, delta : float
    form : {"derived", "published"}
        Which estimation constant, ``d + 1`` or ``2 (d + 1)``.

    Returns
    -------
    tuple of float
    """
    check_eps_delta(epsilon, delta)
    p = float(p_long)
    if not 0 < p < 1:
        raise ValueError("p_long must lie in (0, 1)")
    lam_flip = (1.0 - p) * epsilon**2 / 4.0
    log_term = abs(math.log(2.0 * p / (1.0 - p)))
    lam_copy = math.inf if log_term == 0 else 4 * p * (1 - p) * epsilon / ((1 + p) * log_term)
    lam = min(lam_flip, lam_copy)
    scale = {"derived": d + 1.0, "published": 2.0 * (d + 1.0)}[form]
    return lam, _horizon_for(scale, lam, epsilon, delta)


def solve_prop3(d, l, epsilon, delta):
    """``(lambda_l, T_l)`` making Proposition 3 ``<= epsilon``: ``lambda = eps^2/4``.

    docs/theory.md section 3.  ``T_l`` counts long samples (chain positions see only those).

    Parameters
    ----------
    d, l : int
    epsilon, delta : float

    Returns
    -------
    tuple of float
    """
    check_eps_delta(epsilon, delta)
    lam = epsilon**2 / 4.0
    return lam, _horizon_for((2.0 * d + l - 1.0) / 2.0, lam, epsilon, delta)


def theorem1_parameters(d, p_long, epsilon, delta):
    """Per-position ``lambda`` and ``T`` so that Theorem 1 holds with ``epsilon, delta``.

    docs/theory.md section 3, Theorem 1.  The sequence probabilities are products of
    token probabilities in ``[0, 1]``, so their errors add: position 1 and 2a get
    ``epsilon/3`` each and every chain position ``epsilon/(3(d-1))``; a union bound
    gives each of the ``d + 1`` positions ``delta/(d+1)``.  Derived forms throughout.

    Parameters
    ----------
    d : int
        ``d >= 2``.
    p_long : float
        In ``(0, 1)``.
    epsilon, delta : float

    Returns
    -------
    dict
        ``lambda_1, T_1, lambda_2a, T_2a`` (floats), ``lambda_chain, T_chain``
        (arrays over ``l = 2..d``; ``T_chain`` counts long samples) and ``samples``
        (``max(T_1, T_2a, max T_l / p)``).
    """
    d = int(d)
    if d < 2:
        raise ValueError("d must be >= 2")
    check_eps_delta(epsilon, delta)
    delta_pos = delta / (d + 1)
    lam1, t1 = solve_prop1(d, p_long, epsilon / 3, delta_pos)
    lam2, t2 = solve_prop2(d, p_long, epsilon / 3, delta_pos)
    # solve_prop3 for every l = 2..d at once (same lambda, one vectorised horizon)
    eps_chain = epsilon / (3 * (d - 1))
    lam_chain = np.full(d - 1, eps_chain**2 / 4.0)
    scale = (2.0 * d + np.arange(2, d + 1) - 1.0) / 2.0
    t_chain = np.atleast_1d(sgd_horizon(delta_pos * (eps_chain * lam_chain / (2.0 * scale)) ** 2))
    return {
        "lambda_1": lam1,
        "T_1": t1,
        "lambda_2a": lam2,
        "T_2a": t2,
        "lambda_chain": lam_chain,
        "T_chain": t_chain,
        "samples": max(t1, t2, float(t_chain.max()) / float(p_long)),
    }


def ntp_samples(d, p_long, epsilon, delta):
    """Samples of ``D(p)`` for Algorithm 3 to meet Theorem 1 with ``epsilon, delta``.

    docs/theory.md section 3: ``max(T_1, T_2a, T_l / p)`` from :func:`theorem1_parameters`.

    Parameters
    ----------
    d : int
    p_long, epsilon, delta : float

    Returns
    -------
    float
    """
    return theorem1_parameters(d, p_long, epsilon, delta)["samples"]
