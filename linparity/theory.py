"""The paper's predictions: sympy expressions and fast numeric twins.

Implements THEORY.md section 3 (Lemma 1, the position-2a posteriors, the greedy
threshold 1/3, sampling accuracy and length after pre-training, the SGD bound,
Propositions 1-3, Theorem 1) and section 4 (Theorem 2: the STaR recursion, its
closed form, rounds to greedy success and to ``1 - eta``, error compounding and the
end-to-end sample complexity).  The paper writes ``p_cot`` for the share of long
demonstrations; we write ``p_long``.

Model-class caveat (derived in proofs_check): the section-3 predictions hold for
``d >= 3``.  At ``d = 2`` the position-2a feature ``x_2 = chi x_1`` lets the class see
the parity, so the 2a posterior, the 1/3 threshold and ``pi(long) = p`` all fail
(e.g. greedy accuracy is 1 for every ``p > 0``).

This module imports nothing from the simulator (only numpy, sympy, scipy and the
standard library), so theory predictions can never be tuned to the simulator.

Numeric conventions
-------------------
* Numeric functions accept Python/numpy scalars and numpy arrays and broadcast.
* Round counts are decided with *exact* rational arithmetic on the value actually
  passed (a float is the dyadic rational it stores), because the thresholds
  ``p_n = 1/3`` and ``p_n = 1 - eta`` are often hit exactly by rational inputs and
  ``log2`` in floating point rounds the wrong way there.  Scalars may also be given
  as :class:`fractions.Fraction` or sympy ``Rational`` for exact answers.
"""

from __future__ import annotations

import functools
import math
import numbers
import sys
from fractions import Fraction

import numpy as np


class _Sympy:
    """``sympy``, imported on first use: the numeric twins (what the simulator's
    reports call) then load in milliseconds instead of a second."""

    def __getattr__(self, name):
        import sympy
        return getattr(sympy, name)


sp = _Sympy()


def _is_sympy(value):
    module = sys.modules.get("sympy")
    return module is not None and isinstance(value, module.Basic)

__all__ = [
    # symbols and expressions
    "symbols", "expressions", "growth_exponent", "derive_polynomial_degree",
    "derive_exponential_rate",
    # pre-training (section 3)
    "greedy_threshold", "pretrain_long_fraction", "pretrain_short_correct",
    "pretrain_sampling_accuracy", "pretrain_greedy_accuracy", "pretrain_mean_length",
    "lemma1_weight", "posterior_eos_after_copy", "feature_count",
    "regularised_position1_weight", "regularised_2a_logits", "regularised_wrong_probability",
    # bounds and how to meet them
    "sgd_excess_loss_bound", "prop1_bound", "prop2_bound", "prop3_bound",
    "sgd_horizon", "sgd_horizon_sufficient", "solve_prop1", "solve_prop2", "solve_prop3",
    "theorem1_parameters", "ntp_samples",
    # STaR (section 4)
    "star_long_fraction", "rounds_to_greedy", "rounds_to_fraction", "compounded_error",
    "sample_complexity", "sample_lower_bound", "polynomial_degree", "exponential_rate",
]

# ``greedy_threshold``, ``symbols`` and ``expressions`` are built on first access
# (module ``__getattr__`` at the end of this file), so that importing this module
# does not import sympy.


# ---------------------------------------------------------------------------
# input helpers
# ---------------------------------------------------------------------------

def _as_probability_array(p_long, name="p_long"):
    """Return ``p_long`` as a float array, checking ``0 <= p_long <= 1``."""
    arr = np.asarray(p_long, dtype=float)
    if np.any(np.isnan(arr)) or np.any((arr < 0.0) | (arr > 1.0)):
        raise ValueError(f"{name} must lie in [0, 1], got {p_long!r}")
    return arr


def _exact(value, name):
    """Exact rational of a scalar (float, int, Fraction, sympy Rational)."""
    if _is_sympy(value):
        if not value.is_Rational:
            raise ValueError(f"{name} must be a rational number, got {value!r}")
        value = Fraction(int(value.p), int(value.q))
    elif isinstance(value, (Fraction, numbers.Integral)):
        value = Fraction(value)
    else:
        fvalue = float(value)
        if math.isnan(fvalue):
            raise ValueError(f"{name} must not be NaN")
        value = Fraction(fvalue)  # exact: the dyadic rational the float stores
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def _is_scalar(value):
    return isinstance(value, (numbers.Number, Fraction)) or _is_sympy(value) or np.ndim(value) == 0


def _elementwise(func, *args):
    """Apply an exact scalar rule to scalars (-> int or inf) or arrays (-> float array)."""
    if all(_is_scalar(a) for a in args):
        return func(*args)
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in args])
    out = np.empty(arrays[0].shape, dtype=float)
    for index in np.ndindex(out.shape):
        out[index] = func(*(a[index] for a in arrays))
    return out


# ---------------------------------------------------------------------------
# Theorem 2: the STaR long fraction
# ---------------------------------------------------------------------------

def star_long_fraction(p_long, n):
    """Long fraction after ``n`` STaR rounds, ``p_n = 2^n p / (2^n p + 1 - p)``.

    THEORY.md section 4, Theorem 2: the odds ``p_n / (1 - p_n)`` double every round.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction ``p_0 = p`` of the pre-training mixture, in ``[0, 1]``.
    n : int, float or array_like
        Number of rounds, ``n >= 0`` (non-integer values interpolate the odds).

    Returns
    -------
    float or numpy.ndarray
        ``p_n``, broadcast over ``p_long`` and ``n``.  ``p_long = 0`` stays 0 and
        ``p_long = 1`` stays 1.
    """
    p = _as_probability_array(p_long)
    n_arr = np.asarray(n, dtype=float)
    if np.any(np.isnan(n_arr)) or np.any(n_arr < 0):
        raise ValueError(f"n must be >= 0, got {n!r}")
    # Written as p / (p + (1 - p) 2^-n) so that large n does not overflow 2^n.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = p / (p + (1.0 - p) * np.exp2(-n_arr))
    value = np.where(p == 0.0, 0.0, value)
    return value[()] if value.ndim == 0 else value


def _rounds_to_greedy_exact(p_long):
    p = _exact(p_long, "p_long")
    if p == 0:
        return math.inf
    # p_n > 1/3  <=>  odds 2^n p / (1 - p) > 1/2  <=>  2^n > (1 - p) / (2 p) =: r.
    # For an integer 2^n, 2^n > r <=> 2^n > floor(r); the smallest such n is the
    # bit length of floor(r) (0 when floor(r) = 0).
    r = (1 - p) / (2 * p)
    return int(r.numerator // r.denominator).bit_length()


def rounds_to_greedy(p_long):
    """Smallest number of STaR rounds ``n >= 0`` with ``p_n > 1/3``.

    THEORY.md section 4, Theorem 2: greedy decoding outputs the full chain once the
    long fraction passes the greedy threshold 1/3, i.e. the smallest
    ``n > log2((1 - p) / (2 p))``.  Decided exactly on the rational value of the
    input (see the module notes), so e.g. ``rounds_to_greedy(Fraction(1, 5)) == 2``
    (``p_1 = 1/3`` exactly, not above) while the float ``0.2``, which is slightly
    above 1/5, needs 1 round.

    Parameters
    ----------
    p_long : float, Fraction, sympy Rational or array_like
        Long fraction of the pre-training mixture, in ``[0, 1]``.

    Returns
    -------
    int or float or numpy.ndarray
        For a scalar: a Python ``int`` (0 when ``p_long > 1/3``), or ``math.inf``
        when ``p_long == 0`` (the odds stay 0 for ever).  For an array: a float
        array of the same shape holding whole numbers and ``inf`` where
        ``p_long == 0``.
    """
    return _elementwise(_rounds_to_greedy_exact, p_long)


def _rounds_to_fraction_exact(p_long, eta):
    p = _exact(p_long, "p_long")
    e = _exact(eta, "eta")
    if p == 1 or e == 1:
        return 0
    if p == 0 or e == 0:
        return math.inf  # p_n < 1 for every finite n when 0 < p < 1
    # p_n >= 1 - eta  <=>  2^n >= (1 - eta)(1 - p) / (eta p) =: R  <=>  2^n >= ceil(R);
    # the smallest such n is the bit length of ceil(R) - 1.
    ratio = (1 - e) * (1 - p) / (e * p)
    ceil_ratio = -((-ratio.numerator) // ratio.denominator)
    return int(max(ceil_ratio - 1, 0)).bit_length()


def rounds_to_fraction(p_long, eta):
    """Smallest number of STaR rounds ``n >= 0`` with ``p_n >= 1 - eta``.

    THEORY.md section 4, Theorem 2: ``n >= log2((1 - eta)(1 - p) / (eta p))``.
    Decided exactly on the rational values of the inputs.

    Parameters
    ----------
    p_long : float, Fraction, sympy Rational or array_like
        Long fraction of the pre-training mixture, in ``[0, 1]``.
    eta : float, Fraction, sympy Rational or array_like
        Allowed short fraction, in ``[0, 1]``.

    Returns
    -------
    int or float or numpy.ndarray
        For scalars a Python ``int``, or ``math.inf`` when the target is never
        reached (``p_long == 0`` or ``eta == 0`` with ``p_long < 1``).  For arrays a
        float array (whole numbers and ``inf``).
    """
    return _elementwise(_rounds_to_fraction_exact, p_long, eta)


# ---------------------------------------------------------------------------
# Section 3: the calibrated model after pre-training
# ---------------------------------------------------------------------------

def _scalar_or_array(value):
    value = np.asarray(value, dtype=float)
    return value[()] if value.ndim == 0 else value


def pretrain_long_fraction(p_long):
    """Probability of the correct long sequence after pre-training, ``p``.

    THEORY.md section 3, Theorem 1: ``pi(correct long | x) = p +- epsilon``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction of the pre-training mixture, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
        ``p_long`` itself (the calibrated model reproduces the mixture).
    """
    return _scalar_or_array(_as_probability_array(p_long))


def pretrain_short_correct(p_long):
    """Probability of the correct short sequence after pre-training, ``(1 - p) / 2``.

    THEORY.md section 3, Theorem 1.  Holds for every prompt ``x``: when
    ``chi(x) = x_1`` it is ``(1+p)/2 * (1-p)/(1+p)``, otherwise ``(1-p)/2 * 1``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = _as_probability_array(p_long)
    return _scalar_or_array((1.0 - p) / 2.0)


def pretrain_sampling_accuracy(p_long):
    """Accuracy of temperature-1 sampling after pre-training, ``(1 + p) / 2``.

    THEORY.md section 3: the long chain is right (mass ``p``) and exactly one of the
    two short answers is right (mass ``(1 - p) / 2``), for every prompt.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = _as_probability_array(p_long)
    return _scalar_or_array((1.0 + p) / 2.0)


def _greedy_accuracy_exact(p_long):
    p = _exact(p_long, "p_long")
    if p < Fraction(1, 3):
        return 0.5
    if p > Fraction(1, 3):
        return 1.0
    return 0.75


def pretrain_greedy_accuracy(p_long):
    """Greedy-decoding accuracy of the calibrated model after pre-training.

    THEORY.md section 3, Theorem 1 (for ``d >= 3``): below the threshold greedy
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
    return _elementwise(_greedy_accuracy_exact, p_long)


def pretrain_mean_length(p_long, d):
    """Expected response length (value tokens) after pre-training, ``p d + 1 - p``.

    THEORY.md section 3: long responses have ``d`` value tokens, short ones 1.

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
    p = _as_probability_array(p_long)
    d_arr = np.asarray(d, dtype=float)
    if np.any(d_arr < 1):
        raise ValueError(f"d must be >= 1, got {d!r}")
    return _scalar_or_array(p * d_arr + 1.0 - p)


def lemma1_weight(p_long):
    """Weight of ``x_1`` in the best position-1 predictor, ``ln((1 + p) / (1 - p))``.

    THEORY.md section 3, Lemma 1: ``w_1* = ln((1 + p)/(1 - p)) e_1``, so that
    ``sigma(<w_1*, x>) = (1 + p x_1) / 2``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1]`` (``inf`` at ``p_long = 1``).

    Returns
    -------
    float or numpy.ndarray
    """
    p = _as_probability_array(p_long)
    with np.errstate(divide="ignore"):
        # 2 artanh(p) = ln((1+p)/(1-p)), accurate for small p as well.
        return _scalar_or_array(2.0 * np.arctanh(p))


# ---------------------------------------------------------------------------
# Symbols and the sympy expressions (THEORY.md sections 3 and 4)
# ---------------------------------------------------------------------------

def _make_symbols():
    positive = dict(positive=True)
    return _Namespace(
        # 0 < p_long < 1 cannot be declared in sympy; every check restricts to it.
        p_long=sp.Symbol("p_long", **positive),
        d=sp.Symbol("d", positive=True, integer=True),
        l=sp.Symbol("l", positive=True, integer=True),
        n=sp.Symbol("n", nonnegative=True, integer=True),
        lambda_=sp.Symbol("lambda", **positive),
        T=sp.Symbol("T", **positive),
        delta=sp.Symbol("delta", **positive),
        epsilon=sp.Symbol("epsilon", **positive),
        eta=sp.Symbol("eta", **positive),
        rho_sq=sp.Symbol("rho_sq", **positive),
        rate=sp.Symbol("c", **positive),
        kappa=sp.Symbol("kappa", **positive),
        k=sp.Symbol("k", **positive),
    )


class _Namespace:
    """Attribute bag for the sympy symbols (repr lists them)."""

    def __init__(self, **items):
        self.__dict__.update(items)

    def __repr__(self):
        return "symbols(" + ", ".join(f"{k}={v}" for k, v in self.__dict__.items()) + ")"


# The sympy symbols every expression is written in (``symbols``, built on first access).


def _sgd_estimation_term(scale, lambda_, T, delta):
    """``scale / lambda * sqrt((1 + ln T) / (delta T))``, the shape of every first term."""
    return scale / lambda_ * sp.sqrt((1 + sp.log(T)) / (delta * T))


def _build_expressions():
    s = _symbols()
    p, d, l, n = s.p_long, s.d, s.l, s.n
    lam, T, delta, eps, eta = s.lambda_, s.T, s.delta, s.epsilon, s.eta
    a0 = sp.log((1 + p) / (1 - p))           # Lemma 1 weight
    u0 = sp.log((1 - p) / (2 * p))           # 2a logit after y1 = x1 (EOS positive)
    e = {}
    e["lemma1_weight"] = a0
    e["position1_copy_probability"] = (1 + p) / 2
    e["posterior_eos_after_copy"] = (1 - p) / (1 + p)
    e["posterior_go_on_after_copy"] = 2 * p / (1 + p)
    e["posterior_eos_after_flip"] = sp.Integer(1)
    e["logit_2a_after_copy"] = u0
    e["greedy_threshold"] = sp.Rational(1, 3)
    e["pretrain_long_fraction"] = p
    e["pretrain_short_correct"] = (1 - p) / 2
    e["pretrain_sampling_accuracy"] = (1 + p) / 2
    e["pretrain_mean_length"] = p * d + 1 - p
    # generic strongly convex SGD bound (section 3)
    e["sgd_excess_loss_bound"] = 2 * s.rho_sq * (1 + sp.log(T)) / (delta * lam * T)
    # Proposition 1: logits (2d/lambda) and probabilities (d/(2 lambda))
    e["prop1_published_logit"] = (_sgd_estimation_term(2 * d, lam, T, delta)
                                  + 4 * a0 / ((1 - p**2) * lam))
    e["prop1_published_probability"] = (_sgd_estimation_term(d / 2, lam, T, delta)
                                        + 4 * a0 / ((1 - p**2) * lam))
    e["prop1_derived_logit"] = (_sgd_estimation_term(2 * d, lam, T, delta)
                                + 4 * lam * a0 / (1 - p**2))
    e["prop1_derived_probability"] = (_sgd_estimation_term(d / 2, lam, T, delta)
                                      + lam * a0 / (1 - p**2))
    # Proposition 2 (probabilities); copy: y1 = x1, flip: y1 != x1
    reg_copy = lam * (1 + p) * sp.Abs(sp.log(2 * p / (1 - p))) / (8 * p * (1 - p))
    reg_flip = sp.sqrt(lam / (1 - p))
    e["prop2_published_copy"] = _sgd_estimation_term(2 * (d + 1), lam, T, delta) + reg_copy
    e["prop2_published_flip"] = _sgd_estimation_term(2 * (d + 1), lam, T, delta) + reg_flip
    e["prop2_derived_copy"] = _sgd_estimation_term(d + 1, lam, T, delta) + reg_copy
    e["prop2_derived_flip"] = _sgd_estimation_term(d + 1, lam, T, delta) + reg_flip
    # Proposition 3 (probability of the wrong chain token)
    e["prop3"] = _sgd_estimation_term((2 * d + l - 1) / 2, lam, T, delta) + sp.sqrt(lam)
    # smallest T with (1 + ln T) / T <= c (larger root, LambertW branch -1) and a
    # proved sufficient closed form
    c = s.rate
    e["sgd_horizon"] = -sp.LambertW(-c / sp.E, -1) / c
    e["sgd_horizon_sufficient"] = 2 / c * (1 + sp.log(1 / c))
    # Theorem 2
    e["star_recursion"] = 2 * p / (1 + p)
    e["star_closed_form"] = 2**n * p / (2**n * p + 1 - p)
    e["rounds_to_greedy_real"] = sp.log((1 - p) / (2 * p), 2)       # n must exceed it
    e["rounds_to_fraction_real"] = sp.log((1 - eta) * (1 - p) / (eta * p), 2)  # n >= it
    e["compounded_error"] = (2 ** (n + 1) - 1) * eps
    e["compounded_error_published"] = 2**n * eps
    e["sample_complexity_upper"] = _sample_complexity_upper(d, p, eps, delta)
    e["polynomial_degree"] = 9 + 7 * s.kappa
    e["exponential_rate"] = 7 * sp.log(2) / s.k
    return e


def _sample_complexity_upper(d, p, eps, delta):
    """A smooth upper bound on :func:`sample_complexity` for ``0 < p <= 1/2``.

    Each round's requirements are replaced by their worst case over the rounds
    (``p <= p_n < 2/3``), see :func:`sample_complexity`; proofs_check verifies
    numerically that it dominates the exact count.
    """
    rounds_plus_one = sp.log(1 / p, 2) + 2          # >= R + 1 with R = rounds to p_R >= 1/2
    delta_pos = delta / (rounds_plus_one * (d + 1))  # union bound over rounds and positions
    eps_round = eps * p / 4                          # <= eps / (2^(R+1) - 1)
    eps_chain = eps_round / (3 * d)
    lam_chain = eps_chain**2 / 4
    rate_chain = delta_pos * (eps_chain * lam_chain / (3 * d)) ** 2      # A_l <= 3d/2
    eps_2a = eps_round / 3
    lam_2a = eps_2a**2 / (12 * (1 + sp.log(4 / p)))
    rate_2a = delta_pos * (eps_2a * lam_2a / (2 * (d + 1))) ** 2
    eps_1 = eps_round / 3
    rate_1 = delta_pos * (eps_1 * (eps_1 / 6) / d) ** 2

    def horizon(rate):
        return 2 / rate * (1 + sp.log(1 / rate)) + 1  # + 1 covers rounding up

    return (2 * rounds_plus_one * (horizon(rate_1) + horizon(rate_2a))
            + 2 * horizon(rate_chain) * (rounds_plus_one + 2 / p))


# name -> sympy expression of every prediction (``expressions``, built on first access).


def growth_exponent(expr, var, scale):
    """Limit of ``ln(expr) / scale`` as ``var -> oo`` for a positive expression.

    Uses ``ln(a + b) ~ max``, ``ln(a b) = ln a + ln b`` and ``ln(a^k) = k ln a``
    recursively and a sympy limit only on the leaves, which is far faster than
    one limit of the whole expression and exact for sums of positive terms.

    Parameters
    ----------
    expr : sympy.Expr
        Positive expression (a sum of positive terms) in ``var``.
    var : sympy.Symbol
        The variable that tends to infinity.
    scale : sympy.Expr
        ``ln(var)`` for a polynomial degree, ``var`` for an exponential rate.

    Returns
    -------
    sympy.Expr
    """
    if not expr.has(var):
        return sp.Integer(0)
    if expr.is_Add:
        return sp.Max(*[growth_exponent(arg, var, scale) for arg in expr.args])
    if expr.is_Mul:
        return sp.Add(*[growth_exponent(arg, var, scale) for arg in expr.args])
    if expr.is_Pow and not expr.exp.has(var):
        return sp.simplify(expr.exp * growth_exponent(expr.base, var, scale))
    return sp.simplify(sp.limit(sp.log(expr) / scale, var, sp.oo))


def derive_polynomial_degree():
    """Degree in ``d`` of the sample complexity when ``p_long = d^-kappa``.

    THEORY.md section 4 (formal version of Theorem 2).  Derived by a limit of
    ``ln N / ln d`` on :data:`expressions` ``["sample_complexity_upper"]``.

    Returns
    -------
    sympy.Expr
        An expression in ``symbols.kappa`` (``7 kappa + 9``).
    """
    s = _symbols()
    dd = sp.Symbol("d", positive=True)  # a real variable for the limit
    expr = _expressions()["sample_complexity_upper"].subs(s.d, dd).subs(s.p_long, dd**-s.kappa)
    return sp.simplify(growth_exponent(expr, dd, sp.log(dd)))


def derive_exponential_rate():
    """Rate ``lim ln N / d`` of the sample complexity when ``p_long = 2^(-d/k)``.

    THEORY.md section 4: exponentially small ``p_long`` costs ``e^(rate d)`` samples.

    Returns
    -------
    sympy.Expr
        An expression in ``symbols.k`` (``7 ln 2 / k``: ``N = 2^(7d/k + o(d))``).
    """
    s = _symbols()
    dd = sp.Symbol("d", positive=True)
    expr = _expressions()["sample_complexity_upper"].subs(s.d, dd).subs(s.p_long, 2 ** (-dd / s.k))
    return sp.simplify(growth_exponent(expr, dd, dd))


def sample_lower_bound(d, p_long):
    """Samples any NTP-then-STaR run with ``r_cot`` needs to see one correct chain w.p. 1/2.

    THEORY.md section 4 (derived in proofs_check, ``theorem2_lower_bound``): before a
    correct chain is trained on, every chain token is a fair coin, so a sampled
    response is the correct chain with probability at most ``2^-(d-1)`` and a
    demonstration is long with probability ``p``; fewer than
    ``1 / (2 (p + 2^(1-d)))`` samples see none with probability >= 1/2. For
    ``p = 2^-(d/k)`` this grows like ``2^(d/k)``: exponential.
    """
    p = _as_probability_array(p_long)
    d_arr = np.asarray(d, dtype=float)
    return _scalar_or_array(1.0 / (2.0 * (p + np.exp2(1.0 - d_arr))))


def polynomial_degree(kappa):
    """Numeric twin of :func:`derive_polynomial_degree`: ``9 + 7 kappa``.

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
    return _scalar_or_array(9.0 + 7.0 * np.asarray(kappa, dtype=float))


def exponential_rate(k, base=2.0):
    """Numeric twin of :func:`derive_exponential_rate`: ``log_base N / d -> 7 / k``.

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
    return _scalar_or_array(7.0 * math.log(2.0) / math.log(base) / np.asarray(k, dtype=float))


# ---------------------------------------------------------------------------
# Section 3: posteriors, regularised optima and the SGD bound
# ---------------------------------------------------------------------------

def posterior_eos_after_copy(p_long):
    """Population-optimal ``P(EOS | y_1 = x_1)`` at position 2a, ``(1 - p)/(1 + p)``.

    THEORY.md section 3 (posteriors at 2a), for ``d >= 3``: Bayes' rule on ``D(p)``
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
    p = _as_probability_array(p_long)
    return _scalar_or_array((1.0 - p) / (1.0 + p))


def feature_count(position, d, l=None):
    """Squared norm bound ``rho^2`` of the ``+-1`` features of a position.

    THEORY.md section 3 (the generic guarantee).

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


def _sigmoid(s):
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def _root(func, lo, hi):
    from scipy.optimize import brentq  # lazy: keeps `import linparity.theory` fast
    if lo == hi:
        return lo
    return brentq(func, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)


def _position1_weight_scalar(p, lam):
    a0 = 2.0 * math.atanh(p)
    # first-order condition of E ln(1 + e^{-a y1 x1}) + lam a^2 / 2, with y1 x1 = +1
    # w.p. (1+p)/2; the root lies between 0 and the unregularised a0.
    def foc(a):
        return (1 - p) / 2 * _sigmoid(a) - (1 + p) / 2 * _sigmoid(-a) + lam * a
    return _root(foc, 0.0, a0)


def regularised_position1_weight(p_long, lambda_):
    """Weight ``a_lambda`` of ``x_1`` in the L2-regularised position-1 optimum.

    THEORY.md section 3, Lemma 1 and Proposition 1: ``a_lambda`` solves
    ``(1-p)/2 sigma(a) - (1+p)/2 sigma(-a) + lambda a = 0``; it tends to the Lemma 1
    weight as ``lambda -> 0`` and ``|a_lambda - a_0| <= 4 lambda a_0 / (1 - p^2)``.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``[0, 1)``.
    lambda_ : float or array_like
        Regularisation strength, ``> 0``.

    Returns
    -------
    float or numpy.ndarray
    """
    p = _as_probability_array(p_long)
    if np.any(p >= 1):
        raise ValueError("p_long must be < 1")
    lam = _positive(lambda_, "lambda_")
    return _scalar_or_array(np.vectorize(_position1_weight_scalar, otypes=[float])(p, lam))


def _logits_2a_scalar(p, lam):
    u0 = math.log((1 - p) / (2 * p))
    # branch y1 = x1 (mass (1+p)/2), EOS w.p. (1-p)/(1+p); penalty (lam/4) u^2
    def foc_u(u):
        return -(1 - p) / 2 * _sigmoid(-u) + p * _sigmoid(u) + lam / 2 * u
    u = _root(foc_u, min(0.0, u0), max(0.0, u0))
    # branch y1 != x1 (mass (1-p)/2), always EOS: sigma(-v) = lam v / (1 - p)
    lam_flip = lam / (1 - p)
    v = _root(lambda v: _sigmoid(-v) - lam_flip * v, 0.0, 1.0 / lam_flip)
    return u, v


def regularised_2a_logits(p_long, lambda_):
    """Logits ``(u, v)`` of EOS at the L2-regularised position-2a optimum (``d >= 3``).

    THEORY.md section 3, Proposition 2.  The optimum uses only the bias ``b`` and the
    weight ``a`` of ``y_1 x_1``; ``u = b + a`` is the logit after ``y_1 = x_1`` and
    ``v = b - a`` after ``y_1 != x_1``.  The penalty ``(lambda/2)(a^2 + b^2)`` equals
    ``(lambda/4)(u^2 + v^2)``, so the two branches decouple.

    Parameters
    ----------
    p_long : float or array_like
        Long fraction, in ``(0, 1)``.
    lambda_ : float or array_like
        Regularisation strength, ``> 0``.

    Returns
    -------
    tuple of (float or numpy.ndarray)
        ``(u, v)``; ``sigma(u)`` tends to ``(1-p)/(1+p)`` and ``sigma(v)`` to 1.
    """
    p = _as_probability_array(p_long)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("p_long must lie in (0, 1)")
    lam = _positive(lambda_, "lambda_")
    u, v = np.vectorize(_logits_2a_scalar, otypes=[float, float])(p, lam)
    return _scalar_or_array(u), _scalar_or_array(v)


def regularised_wrong_probability(lambda_):
    """Wrong-token probability ``q`` at the regularised optimum of a separable position.

    THEORY.md section 3, Proposition 3: ``min_a ln(1 + e^{-a}) + lambda a^2 / 2``
    gives ``q = sigma(-a) = lambda a``, i.e. ``q = lambda ln((1-q)/q)``,
    ``q ~ lambda ln(1/lambda)`` as ``lambda -> 0`` and ``q <= sqrt(lambda)`` always.
    Also the flip branch of 2a with ``lambda / (1 - p)``.

    Parameters
    ----------
    lambda_ : float or array_like
        Regularisation strength, ``> 0``.

    Returns
    -------
    float or numpy.ndarray
    """
    lam = _positive(lambda_, "lambda_")

    def scalar(lam_value):
        a = _root(lambda a: _sigmoid(-a) - lam_value * a, 0.0, 1.0 / lam_value)
        return _sigmoid(-a)
    return _scalar_or_array(np.vectorize(scalar, otypes=[float])(lam))


def _positive(value, name):
    arr = np.asarray(value, dtype=float)
    if np.any(np.isnan(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return arr


def _estimation(scale, lambda_, T, delta):
    T = np.asarray(T, dtype=float)
    if np.any(T < 1):
        raise ValueError(f"T must be >= 1, got {T!r}")
    delta = _positive(delta, "delta")
    if np.any(delta > 1):
        raise ValueError("delta must lie in (0, 1]")
    return scale / _positive(lambda_, "lambda_") * np.sqrt((1.0 + np.log(T)) / (delta * T))


def sgd_excess_loss_bound(T, lambda_, delta, n_features):
    """Excess regularised loss of averaged Pegasos SGD, ``2 rho^2 (1 + ln T)/(delta lambda T)``.

    THEORY.md section 3 (generic guarantee), holding with probability ``>= 1 - delta``:
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
    rho_sq = _positive(n_features, "n_features")
    value = 2.0 * rho_sq * (1.0 + np.log(T)) / (_positive(delta, "delta")
                                               * _positive(lambda_, "lambda_") * T)
    return _scalar_or_array(value)


def prop1_bound(T, lambda_, delta, d, p_long, form="derived", scale="probability"):
    """Right-hand side of Proposition 1 (position 1), published or derived.

    THEORY.md section 3, Proposition 1: estimation term plus regularisation term
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
    p = _as_probability_array(p_long)
    lam = _positive(lambda_, "lambda_")
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
    return _scalar_or_array(est + reg)


def prop2_bound(T, lambda_, delta, d, p_long, branch="copy", form="derived"):
    """Right-hand side of Proposition 2 (position 2a, probabilities).

    THEORY.md section 3, Proposition 2.  Regularisation term ``sqrt(lambda/(1-p))``
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
    p = _as_probability_array(p_long)
    lam = _positive(lambda_, "lambda_")
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
    return _scalar_or_array(est + reg)


def prop3_bound(T, lambda_, delta, d, l):
    """Right-hand side of Proposition 3: wrong-token probability at chain position ``l``.

    THEORY.md section 3: ``((2d + l - 1)/(2 lambda_l)) sqrt((1 + ln T)/(delta T))
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
    lam = _positive(lambda_, "lambda_")
    scale = (2.0 * np.asarray(d, dtype=float) + np.asarray(l, dtype=float) - 1.0) / 2.0
    return _scalar_or_array(_estimation(scale, lam, T, delta) + np.sqrt(lam))


# ---------------------------------------------------------------------------
# Meeting a target accuracy: lambda_l and T_l
# ---------------------------------------------------------------------------

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
    c = _positive(rate, "rate")
    c_small = np.minimum(c, 1.0)
    t_star = -lambertw(-c_small / math.e, -1).real / c_small
    t_int = np.ceil(t_star)
    # W is accurate to a few ulps: step down once if the integer below also qualifies
    below = np.maximum(t_int - 1.0, 1.0)
    t_int = np.where((t_int > 1) & ((1.0 + np.log(below)) / below <= c), below, t_int)
    return _scalar_or_array(np.where(c >= 1.0, 1.0, t_int))


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
    c = _positive(rate, "rate")
    if np.any(c > 1):
        raise ValueError("rate must be <= 1")
    return _scalar_or_array(2.0 / c * (1.0 + np.log(1.0 / c)))


def _check_eps_delta(epsilon, delta):
    if not 0 < epsilon < 1:
        raise ValueError(f"epsilon must lie in (0, 1), got {epsilon!r}")
    if not 0 < delta <= 1:
        raise ValueError(f"delta must lie in (0, 1], got {delta!r}")


def _horizon_for(scale, lambda_, epsilon, delta):
    # scale/lambda * sqrt((1 + ln T)/(delta T)) <= epsilon / 2
    return float(sgd_horizon(delta * (epsilon * lambda_ / (2.0 * scale)) ** 2))


def solve_prop1(d, p_long, epsilon, delta):
    """``(lambda_1, T_1)`` making the derived Proposition 1 (probabilities) ``<= epsilon``.

    THEORY.md section 3.  Half of ``epsilon`` goes to each term: the largest
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
    _check_eps_delta(epsilon, delta)
    p = float(p_long)
    if not 0 < p < 1:
        raise ValueError("p_long must lie in (0, 1)")
    a0 = 2.0 * math.atanh(p)
    lam = epsilon * (1.0 - p * p) / (2.0 * a0)
    return lam, _horizon_for(d / 2.0, lam, epsilon, delta)


def solve_prop2(d, p_long, epsilon, delta, form="derived"):
    """``(lambda_2a, T_2a)`` making Proposition 2 ``<= epsilon`` on both branches.

    THEORY.md section 3.  ``lambda`` is the largest value with both regularisation
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
    _check_eps_delta(epsilon, delta)
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

    THEORY.md section 3.  ``T_l`` counts long samples (chain positions see only those).

    Parameters
    ----------
    d, l : int
    epsilon, delta : float

    Returns
    -------
    tuple of float
    """
    _check_eps_delta(epsilon, delta)
    lam = epsilon**2 / 4.0
    return lam, _horizon_for((2.0 * d + l - 1.0) / 2.0, lam, epsilon, delta)


def theorem1_parameters(d, p_long, epsilon, delta):
    """Per-position ``lambda`` and ``T`` so that Theorem 1 holds with ``epsilon, delta``.

    THEORY.md section 3, Theorem 1.  The sequence probabilities are products of
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
    _check_eps_delta(epsilon, delta)
    delta_pos = delta / (d + 1)
    lam1, t1 = solve_prop1(d, p_long, epsilon / 3, delta_pos)
    lam2, t2 = solve_prop2(d, p_long, epsilon / 3, delta_pos)
    # solve_prop3 for every l = 2..d at once (same lambda, one vectorised horizon)
    eps_chain = epsilon / (3 * (d - 1))
    lam_chain = np.full(d - 1, eps_chain**2 / 4.0)
    scale = (2.0 * d + np.arange(2, d + 1) - 1.0) / 2.0
    t_chain = np.atleast_1d(sgd_horizon(delta_pos * (eps_chain * lam_chain / (2.0 * scale)) ** 2))
    return {
        "lambda_1": lam1, "T_1": t1, "lambda_2a": lam2, "T_2a": t2,
        "lambda_chain": lam_chain, "T_chain": t_chain,
        "samples": max(t1, t2, float(t_chain.max()) / float(p_long)),
    }


def ntp_samples(d, p_long, epsilon, delta):
    """Samples of ``D(p)`` for Algorithm 3 to meet Theorem 1 with ``epsilon, delta``.

    THEORY.md section 3: ``max(T_1, T_2a, T_l / p)`` from :func:`theorem1_parameters`.

    Parameters
    ----------
    d : int
    p_long, epsilon, delta : float

    Returns
    -------
    float
    """
    return theorem1_parameters(d, p_long, epsilon, delta)["samples"]


# ---------------------------------------------------------------------------
# Theorem 2: error compounding and the end-to-end sample complexity
# ---------------------------------------------------------------------------

def compounded_error(n, epsilon, form="derived"):
    """Bound on ``|q_n - p_n|`` after ``n`` STaR rounds with per-round error ``epsilon``.

    THEORY.md section 4.  The round map ``f(q) = 2q/(1+q)`` is 2-Lipschitz on
    ``[0, 1]`` (``f'(q) = 2/(1+q)^2``), so ``e_{n+1} <= 2 e_n + epsilon`` with
    ``e_0 = epsilon``: ``e_n <= (2^(n+1) - 1) epsilon`` (derived).  The published
    ``2^n epsilon`` is the same up to the factor 2.

    Parameters
    ----------
    n : int or array_like
        Rounds, ``>= 0``.
    epsilon : float or array_like
        Per-round estimation error.
    form : {"derived", "published"}

    Returns
    -------
    float or numpy.ndarray
    """
    n = np.asarray(n, dtype=float)
    if np.any(n < 0):
        raise ValueError("n must be >= 0")
    eps = np.asarray(epsilon, dtype=float)
    if form == "derived":
        return _scalar_or_array((np.exp2(n + 1) - 1.0) * eps)
    if form == "published":
        return _scalar_or_array(np.exp2(n) * eps)
    raise ValueError(f"form must be 'derived' or 'published', got {form!r}")


def _sample_complexity_scalar(d, p_long, epsilon, delta):
    rounds = _rounds_to_fraction_exact(p_long, Fraction(1, 2))  # p_R >= 1/2 > 1/3 + 1/6
    eps_round = epsilon / (2.0 ** (rounds + 1) - 1.0)           # compounding, derived
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

    THEORY.md section 4 (Theorem 2, formal version), built from the derived
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
    _check_eps_delta(epsilon, delta)
    p = _as_probability_array(p_long)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("p_long must lie in (0, 1)")
    func = np.vectorize(lambda dd, pp: _sample_complexity_scalar(int(dd), float(pp), epsilon, delta),
                        otypes=[float])
    return _scalar_or_array(func(d, p))


@functools.lru_cache(maxsize=None)
def _symbols():
    return _make_symbols()


@functools.lru_cache(maxsize=None)
def _expressions():
    return _build_expressions()


def __getattr__(name):
    """Build the symbolic attributes on first access (they need sympy).

    * ``greedy_threshold``: greedy decoding after pre-training goes on (long chain)
      iff ``p_long > 1/3`` (THEORY.md section 3, Theorem 1); an exact sympy rational.
    * ``symbols``: the sympy symbols every expression is written in, with their
      assumptions: ``p_long`` positive (and < 1 by convention), ``d``, ``l`` positive
      integers, ``n`` a non-negative integer, ``lambda_``, ``T``, ``delta``,
      ``epsilon``, ``eta``, ``rho_sq`` (squared feature-norm bound), ``rate``,
      ``kappa``, ``k`` positive.
    * ``expressions``: name -> sympy expression of every prediction.
    """
    if name == "greedy_threshold":
        return sp.Rational(1, 3)
    if name == "symbols":
        return _symbols()
    if name == "expressions":
        return _expressions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
