"""Every figure: how it is computed, summarised and drawn, and its paper counterpart."""

import collections

from . import compute, plot, summary

FigureSpec = collections.namedtuple("FigureSpec", "compute numbers draw paper parameters")
FigureSpec.__doc__ = """One figure: ``compute(settings, runs)`` -> record, ``numbers(record)`` -> headline
numbers, ``draw(record)`` -> matplotlib Figure; ``paper`` and ``parameters`` describe it."""


def _spec(name, paper, parameters):
    return FigureSpec(getattr(compute, name), getattr(summary, name), getattr(plot, name), paper, parameters)


FIGURES = {
    name: _spec(name, paper, parameters)
    for name, paper, parameters in [
        (
            "accuracy_vs_samples",
            "Fig. 1 (right)",
            "d = 50, p_long = 0.25; NTP alone to 2e7 samples; STaR 6 rounds, REINFORCE/GRPO 40 steps",
        ),
        ("pretrain_threshold", "Fig. 2", "d = 25, p_long in 0.05 ... 0.6, default budgets"),
        ("length_growth", "Fig. 3", "d = 50, p_long = 0.25, the runs of Fig. 1"),
        (
            "star_recursion",
            "Theorem 2",
            "d in {8, 16, 32}, p_long in {0.003, 0.01, 0.05, 0.2}, 3 seeds, 14 rounds, no early stop",
        ),
        ("rounds_to_generalise", "Theorem 2", "d = 16, p_long in 1e-3 ... 0.3, long target 50k"),
        (
            "thresholds",
            "Theorem 2 (formal), measured",
            "N_min along p = 1/d (d in 8..64) and p = 2^(-d/4) (d in 8..32), 3 seeds; the law from the fixed-p grid",
        ),
        (
            "bounds_vs_empirical",
            "Propositions 1-3",
            "d = 3, p = 1/2, lambda = 0.1 / 0.08 / 0.08, delta = 1/2, T in 1e3 ... 2e6",
        ),
        (
            "ablations",
            "section 4 observations",
            "d = 50, p_long = 0.25, 1 seed; STaR temperatures 2 and 3; RL started after 10k samples",
        ),
        ("phase_diagram", "Theorems 1-2", "d in 8..64, p_long in 1e-3 ... 0.5, 3e7 samples each"),
        (
            "sample_complexity",
            "Theorem 2 (formal), measured",
            "d in 8..64, p_long in {0.3, 0.1, 0.03, 0.01}, 3 seeds, minimal-budget search (grid ratio 1.5)",
        ),
        (
            "control",
            "counting argument, measured",
            "p_long = 0 and 2^-d, d in 4..14, 3 seeds; pre-training 100k, lambda_2a = 0.1, round size searched",
        ),
        (
            "separation",
            "NTP alone vs NTP then RL, measured",
            "d in 4..14, 3 seeds; NTP alone with Walsh position 1 at p_long = 0, 0.1 (pre-training searched); "
            "NTP then STaR at p_long = 0.1, 1/d",
        ),
    ]
}
"""Figure name to its :class:`FigureSpec`, in the order they are made and listed."""
