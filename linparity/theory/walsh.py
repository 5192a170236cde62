"""A parity-capable position 1: the population optimum over all Walsh monomials of x.

Implements docs/theory.md section 3.12.  Position 1 over the features
``x_S = prod_{i in S} x_i`` for every ``S`` of ``{1..d}`` (the empty set is the bias),
everything else (2a and the chain) as in the linear model.  With all ``2^d``
monomials the class holds every function of ``x``, so the population loss splits
into one problem per prompt and the optimum is the Bayes conditional of ``y_1``
given ``x`` on ``D(p)``.  Two kinds of prompt matter: those whose first bit equals
their parity (``x_1 = chi(x)``, half of them), for which every demonstration starts
with ``chi(x)``, and the others, for which a short one starts with ``chi(x)`` and a
long one with ``x_1 = -chi(x)``.

These are predictions for the unregularised optimum (``lambda -> 0``); the
"agree" prompts' optimum is at infinite logit, approached as ``lambda`` shrinks.
"""

from __future__ import annotations

import numpy as np

from ._inputs import as_probability_array, scalar_or_array
from .bounds import sgd_excess_loss_bound

__all__ = [
    "walsh_coverage_samples",
    "walsh_feature_count",
    "walsh_first_token_probability",
    "walsh_greedy_accuracy",
    "walsh_greedy_length",
    "walsh_long_fraction",
    "walsh_sampling_accuracy",
    "walsh_sgd_bound",
    "walsh_short_correct",
    "walsh_sufficient_samples",
]


def walsh_feature_count(d):
    """``rho^2`` of Walsh position 1: ``2^d`` features of size 1 (the empty set is the bias).

    docs/theory.md section 3.12.
    """
    d = int(d)
    if d < 1:
        raise ValueError(f"d must be >= 1, got {d}")
    return 2**d


def walsh_first_token_probability(p_long):
    """``P(y_1 = chi(x) | x)`` at the optimum, for prompts with ``x_1 = chi(x)`` and the others.

    docs/theory.md section 3.12.  Returns ``(agree, disagree) = (1, 1 - p)``: the greedy
    first token is the parity for ``p < 1/2`` and ``x_1`` for ``p > 1/2``.
    """
    p = as_probability_array(p_long)
    return scalar_or_array(np.ones_like(p)), scalar_or_array(1.0 - p)


def walsh_long_fraction(p_long):
    """Probability of sampling the correct long answer at the optimum: ``p`` (as for the linear model).

    docs/theory.md section 3.12.  Agreeing prompts go on with ``2p/(1+p)``; the others
    start with ``x_1`` with probability ``p`` and then go on with ``2p/(1+p)``.
    """
    return scalar_or_array(as_probability_array(p_long).copy())


def walsh_short_correct(p_long):
    """Probability of sampling the correct short answer at the optimum: ``(1-p)(2+p) / (2(1+p))``.

    docs/theory.md section 3.12 (the linear model's is ``(1-p)/2``).
    """
    p = as_probability_array(p_long)
    return scalar_or_array((1.0 - p) * (2.0 + p) / (2.0 * (1.0 + p)))


def walsh_sampling_accuracy(p_long):
    """Expected ``r_cot`` at temperature 1: ``(2 + p + p^2) / (2 (1 + p))``, i.e. ``1 - p(1-p)/(2(1+p))``.

    docs/theory.md section 3.12.  The only wrong answer is a disagreeing prompt that
    starts with ``x_1`` and stops there.
    """
    p = as_probability_array(p_long)
    return scalar_or_array((2.0 + p + p**2) / (2.0 * (1.0 + p)))


def walsh_greedy_accuracy(p_long):
    """Greedy accuracy at the optimum: 1 for every ``p`` (docs/theory.md section 3.12).

    ``p < 1/2``: the first token is the parity; a disagreeing prompt then sees a flip and
    stops, an agreeing one goes on for ``p > 1/3`` into the (exact) chain.  ``p > 1/2``:
    the first token is ``x_1``, a copy, so every prompt goes on into the chain.
    """
    p = as_probability_array(p_long)
    return scalar_or_array(np.ones_like(p))


def walsh_greedy_length(p_long, d):
    """Mean greedy length at the optimum: 1 (``p < 1/3``), ``(1 + d)/2`` (``1/3 < p < 1/2``),
    ``d`` (``p > 1/2``); NaN at the ties ``p = 1/3`` and ``p = 1/2``.

    docs/theory.md section 3.12.
    """
    p = as_probability_array(p_long)
    d = np.asarray(d, dtype=float)
    out = np.where(p < 1 / 3, 1.0, np.where(p < 0.5, (1.0 + d) / 2.0, d))
    out = np.where(np.isclose(p, 1 / 3, rtol=0, atol=1e-15) | (p == 0.5), np.nan, out)
    return scalar_or_array(out)


def walsh_sgd_bound(T, lambda_, delta, d):
    """The generic SGD guarantee for Walsh position 1: excess regularised loss at most
    ``2 2^d (1 + ln T) / (delta lambda T)`` (docs/theory.md sections 3.4 and 3.12).

    With ``rho^2 = 2^d`` in place of the linear position's ``d``, a sufficient sample
    count grows like ``2^d``: the price of a class that can express the parity.
    """
    return sgd_excess_loss_bound(T, lambda_, delta, walsh_feature_count(d))


def walsh_coverage_samples(d, accuracy=0.99):
    """Samples at ``p_long = 0`` after which greedy accuracy is ``accuracy``, in expectation:
    ``2^d ln(1 / (2 (1 - accuracy)))`` (``3.91 * 2^d`` for 0.99).

    docs/theory.md section 3.12.  The ``2^d`` monomials are orthogonal, so the loss part
    of an SGD step on prompt ``x`` moves the logit of ``x`` alone (the penalty shrinks
    every logit by one factor); at
    ``p = 0`` every demonstration of ``x`` starts with ``chi(x)``, so the (averaged)
    Pegasos logit has the parity's sign from the first visit on and is 0 before it,
    where greedy's tie gives +1, right for half the prompts.  A prompt is unseen after
    ``T`` samples with probability ``(1 - 2^-d)^T ~ exp(-T / 2^d)``, and greedy accuracy
    is ``1 - exp(-T / 2^d) / 2``.  This is this learner's cost (SGD over a fixed feature
    set), not a lower bound over learners.

    Parameters
    ----------
    d : int or array_like
        ``d >= 1``.
    accuracy : float
        Greedy accuracy to reach, in ``(1/2, 1)``.

    Returns
    -------
    float or numpy.ndarray
    """
    d = np.asarray(d, dtype=float)
    if np.any(d < 1):
        raise ValueError("d must be >= 1")
    accuracy = float(accuracy)
    if not 0.5 < accuracy < 1:
        raise ValueError(f"accuracy must lie in (1/2, 1), got {accuracy}")
    return scalar_or_array(2.0**d * np.log(1.0 / (2.0 * (1.0 - accuracy))))


def walsh_sufficient_samples(d, p_long, delta=0.1):
    """Samples that the generic SGD guarantee (rho^2 = 2^d) needs to make greedy right on every prompt.

    docs/theory.md section 3.12.  With orthogonal monomials the penalised optimum is
    per prompt, ``f = argmin l_x(f) + lambda f^2 / 2``, and ``||w||^2 = 2^-d sum_x f(x)^2``;
    by strong convexity the excess loss ``2 2^d (1 + ln T) / (delta lambda T)`` bounds every
    logit's error by ``(2 2^d / lambda) sqrt((1 + ln T) / (delta T))``.  Greedy is right
    where that error is below the optimum's smallest margin ``m``, that of a disagreeing
    prompt, ``lambda m = (1 - p) sigma(-m) - p sigma(m)``.  ``lambda m`` rises with
    ``lambda`` to ``(1 - 2p) / 2``, so the weakest requirement is
    ``T / (1 + ln T) = (4 2^d / (1 - 2p))^2 / delta``: about ``4^d``, 2 bits per unit d.

    Parameters
    ----------
    d : int or array_like
    p_long : float or array_like
        In ``[0, 1/2)`` (the greedy first token is the parity there).
    delta : float
        Failure probability.

    Returns
    -------
    float or numpy.ndarray
        The smallest such ``T`` (solved by fixed-point iteration).
    """
    p = as_probability_array(p_long)
    if np.any(p >= 0.5):
        raise ValueError("p_long must be below 1/2 (above it the greedy first token is x_1, not the parity)")
    d = np.asarray(d, dtype=float)
    if np.any(d < 1):
        raise ValueError("d must be >= 1")
    delta = float(delta)
    if not 0 < delta <= 1:
        raise ValueError(f"delta must lie in (0, 1], got {delta}")
    k = (4.0 * 2.0**d / (1.0 - 2.0 * p)) ** 2 / delta
    t = k * (1.0 + np.log(k))
    for _ in range(100):  # T = k (1 + ln T) contracts: its derivative k / T < 1 there
        t = k * (1.0 + np.log(t))
    return scalar_or_array(t)
