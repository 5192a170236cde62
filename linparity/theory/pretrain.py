"""The calibrated model after pre-training: Lemma 1, the 2a posterior and what it decodes.

Implements docs/theory.md section 3 (Lemma 1, the position-2a posteriors, the greedy
threshold 1/3, Theorem 1's sequence probabilities, sampling and greedy accuracy and
the mean response length).  The paper writes ``p_cot`` for the share of long
demonstrations; we write ``p_long``.

Model-class caveat (derived in proofs_check): these predictions hold for ``d >= 3``.
At ``d = 2`` the position-2a feature ``x_2 = chi x_1`` lets the class see the parity,
so the 2a posterior, the 1/3 threshold and ``pi(long) = p`` all fail (e.g. greedy
accuracy is 1 for every ``p > 0``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._inputs import as_probability_array, elementwise, exact_fraction, scalar_or_array

__all__ = [
    "lemma1_weight",
    "posterior_eos_after_copy",
    "pretrain_greedy_accuracy",
    "pretrain_long_fraction",
    "pretrain_mean_length",
    "pretrain_sampling_accuracy",
    "pretrain_short_correct",
]


def pretrain_long_fraction(p_long):
    """Probability of the correct long sequence after pre-training, ``p``.

    docs/theory.md section 3, Theorem 1: ``pi(correct long | x) = p +- epsilon``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction of the pre-training mixture, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
        ``p_long`` itself (the calibrated model reproduces the mixture).
    """
    return scalar_or_array(as_probability_array(p_long))


def pretrain_short_correct(p_long):
    """Probability of the correct short sequence after pre-training, ``(1 - p) / 2``.

    docs/theory.md section 3, Theorem 1.  Holds for every prompt ``x``: when
    ``chi(x) = x_1`` it is ``(1+p)/2 * (1-p)/(1+p)``, otherwise ``(1-p)/2 * 1``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = as_probability_array(p_long)
    return scalar_or_array((1.0 - p) / 2.0)


def pretrain_sampling_accuracy(p_long):
    """Accuracy of temperature-1 sampling after pre-training, ``(1 + p) / 2``.

    docs/theory.md section 3: the long chain is right (mass ``p``) and exactly one of the
    two short answers is right (mass ``(1 - p) / 2``), for every prompt.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = as_probability_array(p_long)
    return scalar_or_array((1.0 + p) / 2.0)


def _greedy_accuracy_exact(p_long):
    p = exact_fraction(p_long, "p_long")
    if p < Fraction(1, 3):
        return 0.5
    if p > Fraction(1, 3):
        return 1.0
    return 0.75


def pretrain_greedy_accuracy(p_long):
    """Greedy-decoding accuracy of the calibrated model after pre-training.

    docs/theory.md section 3, Theorem 1 (for ``d >= 3``): below the threshold greedy
    outputs ``(x_1, EOS)``, right for half the prompts; above it outputs the full
    correct chain.

    Parameters
    ----------
    p_long : float, Fraction, sympy Rational or array_like
        Long fraction, in ``[0, 1]``; compared with 1/3 exactly (a float never
        equals 1/3; ``float(1/3)`` lies just below it and gives 1/2).

    Returns
    -------
    float or numpy.ndarray
        ``0.5`` if ``p_long < 1/3``, ``1.0`` if ``p_long > 1/3`` and ``0.75`` at
        exactly ``1/3``, where the position-2a logit is exactly 0: 0.75 is the
        accuracy under a fair-coin tie-break (a deterministic tie rule gives 1/2 or
        1).
    """
    return elementwise(_greedy_accuracy_exact, p_long)


def pretrain_mean_length(p_long, d):
    """Expected response length (value tokens) after pre-training, ``p d + 1 - p``.

    docs/theory.md section 3: long responses have ``d`` value tokens, short ones 1.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.
    d : int or array_like
        Input dimension (chain length), ``d >= 1``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = as_probability_array(p_long)
    d_arr = np.asarray(d, dtype=float)
    if np.any(d_arr < 1):
        raise ValueError(f"d must be >= 1, got {d!r}")
    return scalar_or_array(p * d_arr + 1.0 - p)


def lemma1_weight(p_long):
    """Weight of ``x_1`` in the best position-1 predictor, ``ln((1 + p) / (1 - p))``.

    docs/theory.md section 3, Lemma 1: ``w_1* = ln((1 + p)/(1 - p)) e_1``, so that
    ``sigma(<w_1*, x>) = (1 + p x_1) / 2``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]`` (``inf`` at ``p_long = 1``).

    Returns
    -------
    float or numpy.ndarray
    """
    p = as_probability_array(p_long)
    with np.errstate(divide="ignore"):
        # 2 artanh(p) = ln((1+p)/(1-p)), accurate for small p as well.
        return scalar_or_array(2.0 * np.arctanh(p))


def posterior_eos_after_copy(p_long):
    """Population-optimal ``P(EOS | y_1 = x_1)`` at position 2a, ``(1 - p)/(1 + p)``.

    docs/theory.md section 3 (posteriors at 2a), for ``d >= 3``: Bayes' rule on ``D(p)``
    given only the branch; after ``y_1 != x_1`` the posterior is 1.  (At ``d = 2``
    the feature ``x_2 = chi x_1`` lets the class see ``chi``: see proofs_check.)

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = as_probability_array(p_long)
    return scalar_or_array((1.0 - p) / (1.0 + p))
