"""The paper's predictions as sympy expressions, and the growth exponents derived from them.

Implements docs/theory.md sections 3 and 4 symbolically: ``symbols`` (the sympy
symbols with their assumptions), ``expressions`` (name -> sympy expression of every
prediction, published and derived forms side by side, checked against the numeric
twins by the tests and proofs_check), ``greedy_threshold`` (exactly 1/3) and the
limits that give the sample complexity's polynomial degree and exponential rate.

sympy is imported on first use: ``symbols``, ``expressions`` and
``greedy_threshold`` are built on first access (module ``__getattr__``), so
importing this module, and the numeric twins beside it, stays fast.  The numeric
modules never import this one.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sympy

__all__ = [
    "derive_exponential_rate",
    "derive_polynomial_degree",
    "expressions",
    "greedy_threshold",
    "growth_exponent",
    "symbols",
]

# Declared here, built by ``__getattr__`` on first access (they need sympy).
symbols: _Namespace
expressions: dict[str, sympy.Expr]
greedy_threshold: sympy.Rational


class _Sympy:
    """``sympy``, imported on first use: the numeric twins (what the simulator's
    reports call) then load in milliseconds instead of a second."""

    def __getattr__(self, name):
        import sympy

        return getattr(sympy, name)


sp = _Sympy()


class _Namespace:
    """Attribute bag for the sympy symbols (repr lists them)."""

    def __init__(self, **items):
        self.__dict__.update(items)

    def __repr__(self):
        return "symbols(" + ", ".join(f"{k}={v}" for k, v in self.__dict__.items()) + ")"


def _make_symbols():
    positive = {"positive": True}
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
        # the finite-lambda STaR map (docs/theory.md section 4.8): a model's copy rate,
        # stop probabilities after a copy and a flip, chain success; a training set's
        # masses of long, short-after-copy and short-after-flip demonstrations; the
        # logits of positions 1 and 2a (copy and flip branch)
        copy=sp.Symbol("c", **positive),
        eos_copy=sp.Symbol("e_u", **positive),
        eos_flip=sp.Symbol("e_v", **positive),
        chain_success=sp.Symbol("s", **positive),
        mass_long=sp.Symbol("L", nonnegative=True),
        mass_short_copy=sp.Symbol("S_c", nonnegative=True),
        mass_short_flip=sp.Symbol("S_f", nonnegative=True),
        logit_1=sp.Symbol("a", real=True),
        logit_copy=sp.Symbol("u", real=True),
        logit_flip=sp.Symbol("v", real=True),
    )


def _sgd_estimation_term(scale, lambda_, T, delta):
    """``scale / lambda * sqrt((1 + ln T) / (delta T))``, the shape of every first term."""
    return scale / lambda_ * sp.sqrt((1 + sp.log(T)) / (delta * T))


def _build_expressions():
    s = _symbols()
    p, d, l, n = s.p_long, s.d, s.l, s.n
    lam, T, delta, eps, eta = s.lambda_, s.T, s.delta, s.epsilon, s.eta
    a0 = sp.log((1 + p) / (1 - p))  # Lemma 1 weight
    u0 = sp.log((1 - p) / (2 * p))  # 2a logit after y1 = x1 (EOS positive)
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
    e["prop1_published_logit"] = _sgd_estimation_term(2 * d, lam, T, delta) + 4 * a0 / ((1 - p**2) * lam)
    e["prop1_published_probability"] = _sgd_estimation_term(d / 2, lam, T, delta) + 4 * a0 / ((1 - p**2) * lam)
    e["prop1_derived_logit"] = _sgd_estimation_term(2 * d, lam, T, delta) + 4 * lam * a0 / (1 - p**2)
    e["prop1_derived_probability"] = _sgd_estimation_term(d / 2, lam, T, delta) + lam * a0 / (1 - p**2)
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
    e["rounds_to_greedy_real"] = sp.log((1 - p) / (2 * p), 2)  # n must exceed it
    e["rounds_to_fraction_real"] = sp.log((1 - eta) * (1 - p) / (eta * p), 2)  # n >= it
    e["compounded_error"] = (2 ** (n + 1) - 1) * eps
    e["compounded_error_published"] = 2**n * eps
    e["sample_complexity_upper"] = _sample_complexity_upper(d, p, eps, delta)
    e["polynomial_degree"] = 9 + 7 * s.kappa
    e["exponential_rate"] = 7 * sp.log(2) / s.k
    # the finite-lambda STaR map (section 4.8): kept masses (before normalising) of a
    # round sampled from the model (c, e_u, e_v, s) under r_cot at temperature 1, and
    # the first-order conditions of one stage on masses (L, S_c, S_f)
    c, eu, ev, succ = s.copy, s.eos_copy, s.eos_flip, s.chain_success
    big_l, sc, sf = s.mass_long, s.mass_short_copy, s.mass_short_flip
    a, u, v = s.logit_1, s.logit_copy, s.logit_flip

    def sig(z):
        return 1 / (1 + sp.exp(-z))

    e["finite_lambda_kept_long"] = c * (1 - eu) * succ
    e["finite_lambda_kept_short_copy"] = c * eu / 2
    e["finite_lambda_kept_short_flip"] = (1 - c) * ev / 2
    e["finite_lambda_foc_position1"] = sig(a) - (big_l + sc) + lam * a
    e["finite_lambda_foc_copy"] = big_l * sig(u) - sc * sig(-u) + lam / 2 * u
    e["finite_lambda_foc_flip"] = -sf * sig(-v) + lam / 2 * v
    return e


def _sample_complexity_upper(d, p, eps, delta):
    """A smooth upper bound on ``sample_complexity`` for ``0 < p <= 1/2``.

    Each round's requirements in :func:`linparity.theory.complexity.sample_complexity`
    are replaced by their worst case over the rounds (``p <= p_n < 2/3``);
    proofs_check verifies numerically that it dominates the exact count.
    """
    rounds_plus_one = sp.log(1 / p, 2) + 2  # >= R + 1 with R = rounds to p_R >= 1/2
    delta_pos = delta / (rounds_plus_one * (d + 1))  # union bound over rounds and positions
    eps_round = eps * p / 4  # <= eps / (2^(R+1) - 1)
    eps_chain = eps_round / (3 * d)
    lam_chain = eps_chain**2 / 4
    rate_chain = delta_pos * (eps_chain * lam_chain / (3 * d)) ** 2  # A_l <= 3d/2
    eps_2a = eps_round / 3
    lam_2a = eps_2a**2 / (12 * (1 + sp.log(4 / p)))
    rate_2a = delta_pos * (eps_2a * lam_2a / (2 * (d + 1))) ** 2
    eps_1 = eps_round / 3
    rate_1 = delta_pos * (eps_1 * (eps_1 / 6) / d) ** 2

    def horizon(rate):
        return 2 / rate * (1 + sp.log(1 / rate)) + 1  # + 1 covers rounding up

    return 2 * rounds_plus_one * (horizon(rate_1) + horizon(rate_2a)) + 2 * horizon(rate_chain) * (
        rounds_plus_one + 2 / p
    )


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

    docs/theory.md section 4 (formal version of Theorem 2).  Derived by a limit of
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

    docs/theory.md section 4: exponentially small ``p_long`` costs ``e^(rate d)`` samples.

    Returns
    -------
    sympy.Expr
        An expression in ``symbols.k`` (``7 ln 2 / k``: ``N = 2^(7d/k + o(d))``).
    """
    s = _symbols()
    dd = sp.Symbol("d", positive=True)
    expr = _expressions()["sample_complexity_upper"].subs(s.d, dd).subs(s.p_long, 2 ** (-dd / s.k))
    return sp.simplify(growth_exponent(expr, dd, dd))


@functools.cache
def _symbols():
    return _make_symbols()


@functools.cache
def _expressions():
    return _build_expressions()


def __getattr__(name):
    """Build the symbolic attributes on first access (they need sympy).

    * ``greedy_threshold``: greedy decoding after pre-training goes on (long chain)
      iff ``p_long > 1/3`` (docs/theory.md section 3, Theorem 1); an exact sympy rational.
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
