"""Tests of linparity.theory: exact boundaries, closed form vs recursion, minimality."""

import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from linparity import theory

probabilities = st.floats(min_value=1e-12, max_value=1.0 - 1e-12, allow_nan=False)
fractions_01 = st.fractions(min_value=Fraction(1, 10**6), max_value=Fraction(999999, 10**6), max_denominator=10**6)


def exact_star(p, n):
    """Iterate the STaR recursion p <- 2p / (1 + p) n times, exactly."""
    for _ in range(n):
        p = 2 * p / (1 + p)
    return p


# --- published values -------------------------------------------------------


@pytest.mark.parametrize("p_long, rounds", [(0.5, 0), (0.3, 1), (0.1, 3), (0.01, 6), (1e-3, 9), (1e-6, 19)])
def test_rounds_to_greedy_table(p_long, rounds):
    assert theory.rounds_to_greedy(p_long) == rounds
    assert isinstance(theory.rounds_to_greedy(p_long), int)


def test_rounds_to_greedy_exact_boundaries():
    # p_1 = 1/3 exactly for p = 1/5: one round is not enough (strict inequality).
    assert theory.rounds_to_greedy(Fraction(1, 5)) == 2
    assert theory.rounds_to_greedy(sp.Rational(1, 5)) == 2
    # the float 0.2 is slightly above 1/5, so its p_1 is slightly above 1/3
    assert Fraction(0.2) > Fraction(1, 5)
    assert theory.rounds_to_greedy(0.2) == 1
    # p_n = 1/3 exactly at p = 1/(2^(n+1) + 1)
    for n in range(12):
        p = Fraction(1, 2 ** (n + 1) + 1)
        assert exact_star(p, n) == Fraction(1, 3)
        assert theory.rounds_to_greedy(p) == n + 1
    assert theory.rounds_to_greedy(sp.Rational(1, 3)) == 1
    assert theory.rounds_to_greedy(1 / 3) == 1  # float(1/3) < 1/3
    assert theory.rounds_to_greedy(np.nextafter(1 / 3, 1)) == 0


def test_rounds_zero_and_one():
    assert theory.rounds_to_greedy(0.0) == math.inf
    assert theory.rounds_to_greedy(1.0) == 0
    assert theory.rounds_to_fraction(0.0, 0.1) == math.inf
    assert theory.rounds_to_fraction(0.3, 0.0) == math.inf
    assert theory.rounds_to_fraction(1.0, 0.0) == 0


def test_rounds_arrays():
    out = theory.rounds_to_greedy(np.array([0.5, 0.3, 0.0]))
    assert out.dtype == float and out.shape == (3,)
    np.testing.assert_array_equal(out, [0.0, 1.0, np.inf])
    grid = theory.rounds_to_fraction(np.array([[0.1], [0.5]]), np.array([0.5, 0.01]))
    assert grid.shape == (2, 2)
    assert grid[1, 0] == 0 and grid[0, 0] == theory.rounds_to_fraction(0.1, 0.5)


def test_rounds_to_fraction_exact_ties():
    # p = 1/9: p_3 = 1/2 exactly, so eta = 1/2 needs exactly 3 rounds (>=, not >)
    assert exact_star(Fraction(1, 9), 3) == Fraction(1, 2)
    assert theory.rounds_to_fraction(Fraction(1, 9), Fraction(1, 2)) == 3
    assert theory.rounds_to_fraction(0.5, 0.5) == 0
    assert theory.rounds_to_fraction(0.25, 0.5) == 2


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_rejects_bad_probabilities(bad):
    with pytest.raises(ValueError):
        theory.rounds_to_greedy(bad)
    with pytest.raises(ValueError):
        theory.star_long_fraction(bad, 1)


def test_pretrain_quantities():
    assert theory.greedy_threshold == sp.Rational(1, 3)
    assert theory.pretrain_long_fraction(0.25) == 0.25
    assert theory.pretrain_short_correct(0.25) == pytest.approx(0.375)
    assert theory.pretrain_sampling_accuracy(0.25) == pytest.approx(0.625)
    assert theory.pretrain_mean_length(0.25, 50) == pytest.approx(13.25)
    np.testing.assert_allclose(theory.pretrain_greedy_accuracy([0.1, 0.34, 1 / 3]), [0.5, 1.0, 0.5])
    assert theory.pretrain_greedy_accuracy(sp.Rational(1, 3)) == 0.75
    assert theory.lemma1_weight(0.5) == pytest.approx(math.log(3))
    assert theory.lemma1_weight(1e-12) == pytest.approx(2e-12, rel=1e-9)


def test_star_long_fraction_extremes():
    assert theory.star_long_fraction(0.0, 5000) == 0.0
    assert theory.star_long_fraction(1e-300, 5000) == 1.0
    assert theory.star_long_fraction(1.0, 0) == 1.0
    out = theory.star_long_fraction(0.1, np.arange(4))
    np.testing.assert_allclose(out, [float(exact_star(Fraction(1, 10), n)) for n in range(4)])


# --- properties ----------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(p=fractions_01, n=st.integers(0, 60))
def test_closed_form_equals_recursion(p, n):
    exact = exact_star(p, n)
    assert theory.star_long_fraction(float(p), n) == pytest.approx(float(exact), rel=1e-12)


@settings(max_examples=300, deadline=None)
@given(p=st.one_of(fractions_01, probabilities))
def test_rounds_to_greedy_is_minimal(p):
    n = theory.rounds_to_greedy(p)
    exact_p = Fraction(p)
    assert exact_star(exact_p, n) > Fraction(1, 3)
    if n > 0:
        assert exact_star(exact_p, n - 1) <= Fraction(1, 3)


@settings(max_examples=300, deadline=None)
@given(p=st.one_of(fractions_01, probabilities), eta=fractions_01)
def test_rounds_to_fraction_is_minimal(p, eta):
    n = theory.rounds_to_fraction(p, eta)
    exact_p = Fraction(p)
    assert exact_star(exact_p, n) >= 1 - eta
    if n > 0:
        assert exact_star(exact_p, n - 1) < 1 - eta


# --- numeric twins against the sympy expressions --------------------------------

S = theory.symbols
E = theory.expressions
unit = st.floats(min_value=0.01, max_value=0.99)


def _evalf(name, **values):
    subs = {getattr(S, k): sp.Float(v, 30) for k, v in values.items()}
    return float(E[name].evalf(30, subs=subs))


@settings(max_examples=60, deadline=None)
@given(p=unit, d=st.integers(2, 60), n=st.integers(0, 40))
def test_pretrain_and_star_twins_match_sympy(p, d, n):
    s = {"p_long": p}
    assert float(theory.lemma1_weight(p)) == pytest.approx(_evalf("lemma1_weight", **s), rel=1e-12)
    assert float(theory.posterior_eos_after_copy(p)) == pytest.approx(
        _evalf("posterior_eos_after_copy", **s), rel=1e-12
    )
    assert float(theory.pretrain_sampling_accuracy(p)) == pytest.approx(
        _evalf("pretrain_sampling_accuracy", **s), rel=1e-12
    )
    assert float(theory.pretrain_mean_length(p, d)) == pytest.approx(
        _evalf("pretrain_mean_length", p_long=p, d=d), rel=1e-12
    )
    assert float(theory.star_long_fraction(p, n)) == pytest.approx(_evalf("star_closed_form", p_long=p, n=n), rel=1e-12)
    assert float(theory.compounded_error(n, 1e-3)) == pytest.approx(
        _evalf("compounded_error", n=n, epsilon=1e-3), rel=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(
    p=unit,
    d=st.integers(2, 50),
    T=st.floats(1, 1e9),
    lam=st.floats(1e-4, 10),
    delta=st.floats(0.01, 1),
    frac=st.floats(0, 1),
)
def test_bound_twins_match_sympy(p, d, T, lam, delta, frac):
    l = 2 + int(frac * (d - 2))
    s = {"p_long": p, "d": d, "T": T, "lambda_": lam, "delta": delta}
    for form in ("published", "derived"):
        for scale in ("logit", "probability"):
            assert float(theory.prop1_bound(T, lam, delta, d, p, form, scale)) == pytest.approx(
                _evalf(f"prop1_{form}_{scale}", **s), rel=1e-10
            )
        for branch in ("copy", "flip"):
            assert float(theory.prop2_bound(T, lam, delta, d, p, branch, form)) == pytest.approx(
                _evalf(f"prop2_{form}_{branch}", **s), rel=1e-10
            )
    assert float(theory.prop3_bound(T, lam, delta, d, l)) == pytest.approx(
        _evalf("prop3", T=T, lambda_=lam, delta=delta, d=d, l=l), rel=1e-10
    )
    assert float(theory.sgd_excess_loss_bound(T, lam, delta, 2 * d)) == pytest.approx(
        float(E["sgd_excess_loss_bound"].evalf(30, subs={S.T: T, S.lambda_: lam, S.delta: delta, S.rho_sq: 2 * d})),
        rel=1e-10,
    )


@settings(max_examples=80, deadline=None)
@given(rate=st.floats(1e-12, 0.999))
def test_sgd_horizon_is_minimal_and_matches_lambertw(rate):
    T = theory.sgd_horizon(rate)
    # minimal up to float resolution of (1 + ln T)/T (T reaches ~1e14 here)
    assert (1 + math.log(T)) / T <= rate * (1 + 1e-12)
    if T > 1:
        assert (1 + math.log(T - 1)) / (T - 1) > rate * (1 - 1e-12)
    exact = _evalf("sgd_horizon", rate=rate)
    assert T - 1 < exact <= T * (1 + 1e-12)
    assert theory.sgd_horizon_sufficient(rate) >= exact * (1 - 1e-12)


# --- monotonicity and solving for epsilon --------------------------------------


@settings(max_examples=60, deadline=None)
@given(p=unit, d=st.integers(2, 40), T=st.floats(3, 1e8), lam=st.floats(1e-4, 1), delta=st.floats(0.01, 1))
def test_bounds_decrease_in_T_and_increase_in_d(p, d, T, lam, delta):
    # (1 + ln T)/T decreases for T >= 1, so every estimation term does
    for bound in (
        lambda T_, d_: theory.prop1_bound(T_, lam, delta, d_, p),
        lambda T_, d_: theory.prop2_bound(T_, lam, delta, d_, p, "flip"),
        lambda T_, d_: theory.prop3_bound(T_, lam, delta, d_, 2),
    ):
        assert bound(2 * T, d) < bound(T, d)
        assert bound(T, d + 1) > bound(T, d)


@settings(max_examples=40, deadline=None)
@given(
    p=st.floats(0.02, 0.98),
    d=st.integers(2, 30),
    eps=st.floats(1e-3, 0.3),
    delta=st.floats(0.01, 1),
    l_frac=st.floats(0, 1),
)
def test_solved_parameters_meet_epsilon(p, d, eps, delta, l_frac):
    l = 2 + int(l_frac * (d - 2))
    lam, T = theory.solve_prop1(d, p, eps, delta)
    assert eps / 2 < theory.prop1_bound(T, lam, delta, d, p) <= eps * (1 + 1e-9)
    # minimal: one step fewer misses epsilon (up to float resolution for T ~ 1e14)
    assert T == 1 or theory.prop1_bound(T - 1, lam, delta, d, p) > eps * (1 - 1e-9)
    lam, T = theory.solve_prop2(d, p, eps, delta)
    for branch in ("copy", "flip"):
        assert theory.prop2_bound(T, lam, delta, d, p, branch) <= eps * (1 + 1e-9)
    lam, T = theory.solve_prop3(d, l, eps, delta)
    assert theory.prop3_bound(T, lam, delta, d, l) <= eps * (1 + 1e-9)
    assert theory.prop3_bound(T, lam, delta, d, l) < 1  # non-vacuous where it is used


@settings(max_examples=40, deadline=None)
@given(p=unit, lam=st.floats(1e-5, 50))
def test_regularised_optima_obey_the_derived_bias_terms(p, lam):
    a0 = float(theory.lemma1_weight(p))
    a = float(theory.regularised_position1_weight(p, lam))
    assert 0 <= a <= a0
    assert a0 - a <= 4 * lam * a0 / (1 - p * p) * (1 + 1e-9)  # derived B_1
    u, v = theory.regularised_2a_logits(p, lam)
    copy_term = lam * (1 + p) * abs(math.log(2 * p / (1 - p))) / (8 * p * (1 - p))
    assert abs(1 / (1 + math.exp(-u)) - (1 - p) / (1 + p)) <= copy_term * (1 + 1e-9) + 1e-15
    assert 1 - 1 / (1 + math.exp(-v)) <= math.sqrt(lam / (1 - p))
    q = float(theory.regularised_wrong_probability(lam))
    assert q <= 0.53 * math.sqrt(lam)


def test_published_prop1_fails_where_derived_holds():
    # large lambda: the regularised optimum is far from w*, the published B_1 is tiny
    p, lam = 0.5, 10.0
    bias = float(theory.lemma1_weight(p) - theory.regularised_position1_weight(p, lam))
    huge_T = 1e300
    assert bias > theory.prop1_bound(huge_T, lam, 1.0, 3, p, "published", "logit")
    assert bias <= theory.prop1_bound(huge_T, lam, 1.0, 3, p, "derived", "logit")


def test_growth_exponents():
    assert theory.derive_polynomial_degree() == 9 + 7 * S.kappa
    assert sp.simplify(theory.derive_exponential_rate() - 7 * sp.log(2) / S.k) == 0
    np.testing.assert_allclose(theory.polynomial_degree([0.5, 1, 2]), [12.5, 16, 23])
    assert theory.exponential_rate(2) == pytest.approx(3.5)


@settings(max_examples=20, deadline=None)
@given(d=st.integers(3, 40), p=st.floats(1e-4, 0.49))
def test_sample_complexity_monotone(d, p):
    n = theory.sample_complexity(d, p)
    assert theory.sample_complexity(d + 1, p) > n
    assert theory.sample_complexity(d, p / 4) > n


def test_sample_lower_bound_is_the_counting_bound():
    assert theory.sample_lower_bound(8, 0.25) == pytest.approx(1 / (2 * (0.25 + 2**-7)))
    d = np.array([8.0, 16.0, 24.0])
    bits = np.diff(np.log2(theory.sample_lower_bound(d, 2 ** (-d / 4)))) / 8
    assert np.all(np.abs(bits - 0.25) < 0.01)  # 2^(d/k) growth for p = 2^-(d/k), k = 4


# --- the package's interface ----------------------------------------------------


def test_every_public_name_resolves():
    assert len(theory.__all__) == len(set(theory.__all__)) == 50
    for name in theory.__all__:
        assert not name.startswith("_")
        assert getattr(theory, name) is not None
    with pytest.raises(AttributeError):
        theory.no_such_prediction  # noqa: B018


def test_import_is_lazy_and_never_loads_training_code():
    # A fresh interpreter: this one has sympy loaded already.  Run from the repository
    # root so that the checked-out package, not an installed one, is imported.
    code = """
import sys
import linparity.theory as theory
assert theory.__file__.startswith(sys.argv[1]), theory.__file__
assert "sympy" not in sys.modules and "scipy" not in sys.modules
theory.rounds_to_greedy(0.01), theory.star_long_fraction(0.1, 3), theory.sample_lower_bound(8, 0.1)
assert "sympy" not in sys.modules
assert str(theory.greedy_threshold) == "1/3"
assert "sympy" in sys.modules
theory.sample_complexity(8, 0.1), theory.regularised_2a_logits(0.2, 0.1)
training = [m for m in sys.modules if m.startswith("linparity.") and not m.startswith("linparity.theory")]
assert not training and "numba" not in sys.modules, training
"""
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code, str(root)], cwd=root, check=True)


@pytest.mark.parametrize("p", [0.0, 0.05, 0.3, 0.4, 0.6, 1.0])
def test_walsh_position1_sampling_decomposes_and_beats_the_linear_class(p):
    """docs/theory.md 3.12: correct long + correct short = sampling accuracy, and the Walsh
    class is right at least as often as the linear one at every p (strictly inside (0, 1))."""
    acc = theory.walsh_sampling_accuracy(p)
    assert acc == pytest.approx(theory.walsh_long_fraction(p) + theory.walsh_short_correct(p), abs=1e-15)
    assert acc == pytest.approx(1 - p * (1 - p) / (2 * (1 + p)), abs=1e-15)
    linear = theory.pretrain_sampling_accuracy(p)
    assert acc >= linear - 1e-15 and (acc > linear if 0 < p < 1 else True)
    assert theory.walsh_greedy_accuracy(p) == 1.0


@settings(max_examples=200, deadline=None)
@given(d=st.integers(1, 40), p=st.floats(0.0, 0.49), delta=st.floats(1e-3, 1.0))
def test_walsh_sufficient_count_solves_the_bound_and_exceeds_coverage(d, p, delta):
    """The sufficient count is where the logit error bound meets the margin; it is above coverage."""
    t = theory.walsh_sufficient_samples(d, p, delta)
    k = (4.0 * 2.0**d / (1.0 - 2.0 * p)) ** 2 / delta
    assert t == pytest.approx(k * (1.0 + np.log(t)), rel=1e-9)
    # From the generic bound itself: excess loss eps = walsh_sgd_bound(T, lambda, delta, d) gives,
    # by strong convexity, ||w - w*|| <= sqrt(2 eps / lambda) and a logit error <= rho ||w - w*||
    # with rho^2 = 2^d; at the sufficient T that error times lambda is the margin's sup (1 - 2p)/2,
    # whatever lambda.
    for lam in (0.01, 0.3, 5.0):
        eps = theory.walsh_sgd_bound(t, lam, delta, d)
        error = np.sqrt(theory.walsh_feature_count(d) * 2.0 * eps / lam)
        assert lam * error == pytest.approx((1.0 - 2.0 * p) / 2.0, rel=1e-9)


def test_walsh_counts_grow_at_their_rates():
    ds = np.arange(10, 41)
    assert np.allclose(np.diff(np.log2(theory.walsh_coverage_samples(ds))), 1.0)
    slopes = np.diff(np.log2(theory.walsh_sufficient_samples(ds, 0.1)))
    assert np.all(slopes > 2.0) and slopes[-1] < 2.035 and np.all(np.diff(slopes) < 0)  # 2 + a vanishing log term
    with pytest.raises(ValueError):
        theory.walsh_sufficient_samples(8, 0.5)
    with pytest.raises(ValueError):
        theory.walsh_coverage_samples(8, 0.4)


def test_walsh_coverage_count_meets_the_simulated_learner():
    """Algorithm 3 over the monomials at p = 0, at 2^d ln 50 samples: greedy accuracy near 0.99.

    The prediction (docs/theory.md 3.12) is an expectation over the unseen fraction: over 8
    seeds at d = 12 the mean is held to 0.99 +- 0.004 (the sd of one seed's accuracy is about
    sqrt(e^-3.9 / 2^12) / 2 = 0.001, plus the eval prompts' sampling).
    """
    from linparity.evaluate import eval_prompts, evaluate
    from linparity.ntp import pretrain

    d = 12
    n = int(theory.walsh_coverage_samples(d))
    acc = [
        evaluate(pretrain(d, 0.0, n, seed=s, position1="walsh").model(), eval_prompts(d, 4000, s))["greedy_accuracy"]
        for s in range(8)
    ]
    assert abs(np.mean(acc) - 0.99) < 0.004, acc


def test_walsh_greedy_length_and_cost():
    assert [theory.walsh_greedy_length(p, 9) for p in (0.1, 0.4, 0.7)] == [1.0, 5.0, 9.0]
    assert np.isnan(theory.walsh_greedy_length(0.5, 9))
    agree, disagree = theory.walsh_first_token_probability(0.2)
    assert agree == 1.0 and disagree == pytest.approx(0.8)
    # the class's price: rho^2 = 2^d in the generic bound, against d for the linear position 1
    ratio = theory.walsh_sgd_bound(1e6, 0.1, 0.1, 12) / theory.sgd_excess_loss_bound(1e6, 0.1, 0.1, 12)
    assert ratio == pytest.approx(2**12 / 12)
