"""The paper's results for the linear model (docs/theory.md section 5): compute, store, plot.

Every figure is made in three steps, each its own module:

* :mod:`~linparity.figures.compute` runs the experiment (one function per figure,
  returning tidy tables of measurements; no matplotlib);
* :mod:`~linparity.figures.store` writes them to ``OUT/data/NAME.json`` atomically;
* :mod:`~linparity.figures.plot` draws the figure from that file alone: measured
  curves (solid, markers) over the predictions of :mod:`linparity.theory` (dashed),
  computed at drawing time; :mod:`~linparity.figures.summary` takes the headline
  numbers of ``OUT/summary.json`` and ``OUT/README.md`` from the same file.

``python -m linparity.figures`` does all three for every figure (``--quick``: small
runs, a smoke test); ``python -m linparity.figures --replot`` only redraws from the
stored data. Importing this package selects no matplotlib backend: the figures are
:class:`matplotlib.figure.Figure` objects, which need no pyplot.
"""

import importlib

# Loaded on first use, so that ``python -m linparity.figures`` imports numba and
# matplotlib under its Ctrl-C guard (linparity.cli.run_command), not before it.
_HOMES = {
    "main": "cli",
    "RunCache": "compute",
    "Settings": "compute",
    "FIGURES": "registry",
    "FigureSpec": "registry",
    "MissingDataError": "store",
}


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FIGURES", "FigureSpec", "MissingDataError", "RunCache", "Settings", "main"]
