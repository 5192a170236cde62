"""The predictions drawn beside the measurements, from :mod:`linparity.theory`.

They are computed when a figure is drawn or summarised, from the parameters of its
stored record; they are never stored and never fed back into a simulation.
"""

from .. import theory


def bounds(parameters, grid):
    """The bounds of Propositions 1-3 on the probability error at sample counts ``grid``.

    Parameters
    ----------
    parameters : dict
        The ``bounds_vs_empirical`` record's parameters (d, delta, p_long, lambda).
    grid : array_like
        Sample counts T.

    Returns
    -------
    dict
        ``prop1``, ``prop2``, ``prop3``: the bound at each T (docs/theory.md section 3).
    """
    d, delta, p, lam = parameters["d"], parameters["delta"], parameters["p_long"], parameters["lambda"]
    return {
        "prop1": theory.prop1_bound(grid, lam["prop1"], delta, d, p, form="derived", scale="probability"),
        "prop2": theory.prop2_bound(grid, lam["prop2"], delta, d, p, branch="copy", form="derived"),
        "prop3": theory.prop3_bound(grid, lam["prop3"], delta, d, 3),
    }


def finite_lambda(rows, chain="regularised"):
    """The finite-lambda map's prediction for one stored STaR run (docs/theory.md section 4.8).

    Parameters
    ----------
    rows : list of dict
        The ``star_recursion`` rows of one (d, p_long, seed), in round order, with the
        stages' lambdas (and, for ``chain="measured"``, their measured chain success).
    chain : {"regularised", "measured"}
        See :func:`linparity.theory.finite_lambda_star`.

    Returns
    -------
    list of dict
        One prediction per row.
    """
    lambdas = [{"1": r["lambda_1"], "2a": r["lambda_2a"], "chain": r["lambda_chain"]} for r in rows]
    given = [r["chain_success"] for r in rows] if chain == "measured" else None
    return theory.finite_lambda_map(rows[0]["d"], rows[0]["p_long"], lambdas, given)
