"""Tests of linparity.theory: exact boundaries, closed form vs recursion, minimality."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from linparity import theory

probabilities = st.floats(min_value=1e-12, max_value=1.0 - 1e-12, allow_nan=False)
fractions_01 = st.fractions(min_value=Fraction(1, 10**6), max_value=Fraction(999999, 10**6),
                            max_denominator=10**6)


def exact_star(p, n):
    """Iterate the STaR recursion p <- 2p / (1 + p) n times, exactly."""
    for _ in range(n):
        p = 2 * p / (1 + p)
    return p


# --- published values -------------------------------------------------------

@pytest.mark.parametrize("p_long, rounds", [(0.5, 0), (0.3, 1), (0.1, 3), (0.01, 6),
                                            (1e-3, 9), (1e-6, 19)])
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
    for n in range(0, 12):
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
    np.testing.assert_allclose(theory.pretrain_greedy_accuracy([0.1, 0.34, 1 / 3]),
                               [0.5, 1.0, 0.5])
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
