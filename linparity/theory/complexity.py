"""End-to-end sample complexity of NTP followed by STaR, and how it grows with ``d``.

Implements docs/theory.md section 4 (Theorem 2, formal version): the sufficient count
built from the derived propositions (Theorem 1 re-solved in every STaR round), its
polynomial degree for ``p_long = d^-kappa`` and exponential rate for
``p_long = 2^(-d/k)`` (numeric twins of the limits derived in
:mod:`linparity.theory.symbolic`), and the counting lower bound.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ._inputs import as_probability_array, check_eps_delta, scalar_or_array
from .star import rounds_to_fraction, star_long_fraction
from .theorem1 import ntp_samples

__all__ = ["exponential_rate", "polynomial_degree", "sample_complexity", "sample_lower_bound"]


def _sample_complexity_scalar(d, p_long, epsilon, delta):
    rounds = rounds_to_fraction(p_long, Fraction(1, 2))  # p_R >= 1/2 > 1/3 + 1/6
    eps_round = epsilon / (2.0 ** (rounds + 1) - 1.0)  # compounding, derived
    delta_round = delta / (rounds + 1)
    total = 0.0
    for n in range(rounds + 1):
        p_n = float(star_long_fraction(p_long, n))
        samples = ntp_samples(d, p_n, eps_round, delta_round)
        # a STaR round keeps a fraction (1 + p_n)/2 of its prompts
        total += samples if n == 0 else samples * 2.0 / (1.0 + p_n)
    return total


def sample_complexity(d, p_long, epsilon=1.0 / 12.0, delta=0.1):
    """End-to-end samples ``N(d, p, epsilon, delta)`` of NTP followed by STaR.

    docs/theory.md section 4 (Theorem 2, formal version), built from the derived
    propositions: pre-train on ``D(p)``, then ``R`` STaR rounds, ``R`` the smallest
    with ``p_R >= 1/2``; each round re-solves NTP on the kept data (about
    ``D(p_n)``) to accuracy ``epsilon / (2^(R+1) - 1)`` so that the compounded error
    stays ``<= epsilon``; the final long probability is then ``>= 1/2 - epsilon``,
    above the greedy threshold 1/3 for ``epsilon < 1/6``.  A sufficient count (an
    upper bound), growing like ``d^(9 + 7 kappa)`` for ``p = d^-kappa``.

    Parameters
    ----------
    d : int or array_like
        ``d >= 2``.
    p_long : float or array_like
        In ``(0, 1)``.
    epsilon : float
        Final accuracy of the long probability, in ``(0, 1/6)`` for greedy success.
    delta : float
        Overall failure probability.

    Returns
    -------
    float or numpy.ndarray
    """
    check_eps_delta(epsilon, delta)
    p = as_probability_array(p_long)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("p_long must lie in (0, 1)")
    func = np.vectorize(lambda dd, pp: _sample_complexity_scalar(int(dd), float(pp), epsilon, delta), otypes=[float])
    return scalar_or_array(func(d, p))


def sample_lower_bound(d, p_long):
    """Samples any NTP-then-STaR run with ``r_cot`` needs to see one correct chain w.p. 1/2.

    docs/theory.md section 4 (derived in proofs_check, ``theorem2_lower_bound``): before a
    correct chain is trained on, every chain token is a fair coin, so a sampled
    response is the correct chain with probability at most ``2^-(d-1)`` and a
    demonstration is long with probability ``p``; fewer than
    ``1 / (2 (p + 2^(1-d)))`` samples see none with probability >= 1/2. For
    ``p = 2^-(d/k)`` this grows like ``2^(d/k)``: exponential.
    """
    p = as_probability_array(p_long)
    d_arr = np.asarray(d, dtype=float)
    return scalar_or_array(1.0 / (2.0 * (p + np.exp2(1.0 - d_arr))))


def polynomial_degree(kappa):
    """Numeric twin of :func:`.symbolic.derive_polynomial_degree`: ``9 + 7 kappa``.

    Parameters
    ----------
    kappa : float or array_like
        Exponent in ``p_long = d^-kappa``, ``kappa >= 0``.

    Returns
    -------
    float or numpy.ndarray
        Degree of the polynomial ``N(d) = d^(9 + 7 kappa + o(1))`` given by the
        derived (sufficient) sample complexity; an upper bound, not a lower bound.
    """
    return scalar_or_array(9.0 + 7.0 * np.asarray(kappa, dtype=float))


def exponential_rate(k, base=2.0):
    """Numeric twin of :func:`.symbolic.derive_exponential_rate`: ``log_base N / d -> 7 / k``.

    Parameters
    ----------
    k : float or array_like
        ``p_long = 2^(-d/k)``.
    base : float
        Logarithm base of the rate (2 gives ``N = 2^(rate d)``; ``e`` gives nats).

    Returns
    -------
    float or numpy.ndarray
    """
    return scalar_or_array(7.0 * math.log(2.0) / math.log(base) / np.asarray(k, dtype=float))
