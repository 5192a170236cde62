"""The paper's predictions: sympy expressions and fast numeric twins.

Implements docs/theory.md section 3 (Lemma 1, the position-2a posteriors, the greedy
threshold 1/3, sampling accuracy and length after pre-training, the SGD bound,
Propositions 1-3, Theorem 1) and section 4 (Theorem 2: the STaR recursion, its
closed form, rounds to greedy success and to ``1 - eta``, error compounding and the
end-to-end sample complexity).  The paper writes ``p_cot`` for the share of long
demonstrations; we write ``p_long``.  One module per idea:

* :mod:`.pretrain`: the calibrated model after pre-training (section 3, Lemma 1,
  posteriors, Theorem 1's accuracies);
* :mod:`.regularised`: the L2-regularised optima SGD converges to (section 3);
* :mod:`.bounds`: the SGD guarantee and Propositions 1-3 (section 3);
* :mod:`.theorem1`: solving the propositions for ``lambda`` and ``T`` (section 3);
* :mod:`.star`: Theorem 2's recursion, round counts and error compounding (section 4);
* :mod:`.finite_lambda`: the STaR map at the stages' own penalties, which predicts the
  plateau below 1 (section 4.8);
* :mod:`.complexity`: the end-to-end sample complexity and its growth (section 4);
* :mod:`.walsh`: position 1 over every Walsh monomial of x, a class that can express
  the parity (section 3.12);
* :mod:`.symbolic`: the sympy symbols and expressions and the derived growth
  exponents (sections 3 and 4).

Model-class caveat (derived in proofs_check): the section-3 predictions hold for
``d >= 3``.  At ``d = 2`` the position-2a feature ``x_2 = chi x_1`` lets the class see
the parity, so the 2a posterior, the 1/3 threshold and ``pi(long) = p`` all fail
(e.g. greedy accuracy is 1 for every ``p > 0``).

This package imports nothing from the simulator (only numpy, sympy, scipy and the
standard library), so theory predictions can never be tuned to the simulator.

Numeric conventions
-------------------
* Numeric functions accept Python/numpy scalars and numpy arrays and broadcast.
* Round counts are decided with *exact* rational arithmetic on the value actually
  passed (a float is the dyadic rational it stores), because the thresholds
  ``p_n = 1/3`` and ``p_n = 1 - eta`` are often hit exactly by rational inputs and
  ``log2`` in floating point rounds the wrong way there.  Scalars may also be given
  as :class:`fractions.Fraction` or sympy ``Rational`` for exact answers.
* ``greedy_threshold``, ``symbols`` and ``expressions`` are built on first access,
  so that importing this package does not import sympy (nor does any numeric
  twin; scipy too is imported only by the functions that need it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import symbolic
from .bounds import (
    feature_count,
    prop1_bound,
    prop2_bound,
    prop3_bound,
    sgd_excess_loss_bound,
)
from .complexity import (
    exponential_rate,
    polynomial_degree,
    sample_complexity,
    sample_lower_bound,
)
from .finite_lambda import finite_lambda_map, finite_lambda_star, kept_masses, stage_optimum
from .pretrain import (
    lemma1_weight,
    posterior_eos_after_copy,
    pretrain_greedy_accuracy,
    pretrain_long_fraction,
    pretrain_mean_length,
    pretrain_sampling_accuracy,
    pretrain_short_correct,
)
from .regularised import (
    regularised_2a_logits,
    regularised_position1_weight,
    regularised_wrong_probability,
)
from .star import (
    compounded_error,
    rounds_to_fraction,
    rounds_to_greedy,
    star_long_fraction,
)
from .symbolic import derive_exponential_rate, derive_polynomial_degree, growth_exponent
from .theorem1 import (
    ntp_samples,
    sgd_horizon,
    sgd_horizon_sufficient,
    solve_prop1,
    solve_prop2,
    solve_prop3,
    theorem1_parameters,
)
from .walsh import (
    walsh_coverage_samples,
    walsh_feature_count,
    walsh_first_token_probability,
    walsh_greedy_accuracy,
    walsh_greedy_length,
    walsh_long_fraction,
    walsh_sampling_accuracy,
    walsh_sgd_bound,
    walsh_short_correct,
    walsh_sufficient_samples,
)

if TYPE_CHECKING:
    # Resolved at run time by ``__getattr__`` below, which builds them with sympy.
    from .symbolic import expressions, greedy_threshold, symbols

__all__ = [
    "compounded_error",
    "derive_exponential_rate",
    "derive_polynomial_degree",
    "exponential_rate",
    "expressions",
    "feature_count",
    "finite_lambda_map",
    "finite_lambda_star",
    "greedy_threshold",
    "growth_exponent",
    "kept_masses",
    "lemma1_weight",
    "ntp_samples",
    "polynomial_degree",
    "posterior_eos_after_copy",
    "pretrain_greedy_accuracy",
    "pretrain_long_fraction",
    "pretrain_mean_length",
    "pretrain_sampling_accuracy",
    "pretrain_short_correct",
    "prop1_bound",
    "prop2_bound",
    "prop3_bound",
    "regularised_2a_logits",
    "regularised_position1_weight",
    "regularised_wrong_probability",
    "rounds_to_fraction",
    "rounds_to_greedy",
    "sample_complexity",
    "sample_lower_bound",
    "sgd_excess_loss_bound",
    "sgd_horizon",
    "sgd_horizon_sufficient",
    "solve_prop1",
    "solve_prop2",
    "solve_prop3",
    "stage_optimum",
    "star_long_fraction",
    "symbols",
    "theorem1_parameters",
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

_SYMBOLIC_ATTRIBUTES = frozenset({"expressions", "greedy_threshold", "symbols"})


def __getattr__(name):
    """``greedy_threshold``, ``symbols`` and ``expressions`` from :mod:`.symbolic`, on first use.

    See :func:`linparity.theory.symbolic.__getattr__` for what each holds.
    """
    if name in _SYMBOLIC_ATTRIBUTES:
        return getattr(symbolic, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
