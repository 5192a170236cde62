"""Symbolic checks of every claim in docs/theory.md; run ``python -m proofs_check``.

Each check *derives* its claim from the definitions (first-order conditions of the
population logistic loss over the model class, Bayes' rule on ``D(p)``, the
distribution of kept STaR samples, substitution of closed forms, inequalities and
limits) and cross-checks the result numerically, e.g. by minimising the exact
population loss over all ``2^d`` prompts with scipy.  Status per claim:

* ``verified``: the derivation and the numeric cross-checks agree with docs/theory.md;
* ``discrepancy``: the published form disagrees with the derivation (both are
  shown in the detail, with a ``simulator_support`` verdict: which form Algorithm 3,
  run by the simulator, obeys);
* ``unproved``: a step could not be established (the detail says which);
* ``crashed``: the check raised (reported, the others still run).

The checks use :mod:`linparity.theory` for the expressions under test; only the
``simulator_support`` of a discrepancy runs the simulator (``linparity.ntp``).
"""

from ._core import STATUSES, Claim, Evidence, claim, run_claim

__all__ = ["CLAIMS", "STATUSES", "Claim", "Evidence", "claim", "run_claim", "run_all"]


def _claims():
    # The checks register themselves on import; importing them loads sympy and scipy
    # (a second), so it waits until the claims are asked for: ``python -m proofs_check``
    # then loads them under its Ctrl-C guard.
    from . import checks_pretrain, checks_star  # noqa: F401
    from ._core import CLAIMS

    return CLAIMS


def __getattr__(name):
    if name == "CLAIMS":
        return _claims()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_all(ids=None):
    """Run the checks (all, or those whose id is in ``ids``) and return result dicts."""
    selected = [c for c in _claims() if ids is None or c.id in ids]
    return [run_claim(c) for c in selected]
