"""The series the figures draw: what a figure's stored data must hold."""

#: The RL algorithms of Figs. 1 and 3 (after NTP pre-training).
RL_ALGORITHMS = ("star", "reinforce", "grpo")

#: The two schedules of p_long against d in the ``thresholds`` figure.
SCHEDULES = {"poly": "p = 1/d", "exp": "p = 2^(-d/4)"}

#: The propositions of the ``bounds_vs_empirical`` figure.
PROPOSITIONS = ("prop1", "prop2", "prop3")

#: The two panels of the ``phase_diagram`` figure: NTP alone, NTP then STaR.
PHASES = ("ntp", "star")


#: The parameter of each schedule: kappa of p = d^-kappa, k of p = 2^(-d/k).
SCHEDULE_PARAMETERS = {"poly": 1.0, "exp": 4.0}


def schedule(name, d):
    """p_long of schedule ``name`` at dimension ``d``."""
    a = SCHEDULE_PARAMETERS[name]
    return 1.0 / float(d) ** a if name == "poly" else 2.0 ** (-d / a)


def counting_growth(name):
    """The counting lower bound's growth along schedule ``name``: exponent kappa, or 1/k bits per unit d."""
    a = SCHEDULE_PARAMETERS[name]
    return a if name == "poly" else 1.0 / a
