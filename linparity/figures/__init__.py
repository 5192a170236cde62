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

from .cli import main
from .compute import RunCache, Settings
from .registry import FIGURES, FigureSpec
from .store import MissingDataError

__all__ = ["FIGURES", "FigureSpec", "MissingDataError", "RunCache", "Settings", "main"]
