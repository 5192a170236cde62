"""The stored data of the figures: ``DIR/data/NAME.json``, one tidy record per figure.

A record is a JSON object::

    {"figure": NAME, "paper": ..., "format": ..., "predictions": ...,
     "quick": false, "seeds": [0, 1, 2], "seconds": 81.4, "command": "...",
     "parameters": {...},                      # the experiment's settings
     "tables": {TABLE: [ROW, ...], ...}}       # one row per measured observation

Rows are flat objects (column name to value); ``null`` is a quantity that was not
reached (a run that never generalised). Only measurements are stored: the
predictions of :mod:`linparity.theory` are computed again when the figure is drawn
and its headline numbers are summarised. Files are written atomically.
"""

import json
import math
import os

from ..output import write_atomic

FORMAT = (
    "tidy: every table is a list of rows, one measured observation each; null marks a quantity that was not reached"
)
PREDICTIONS = "not stored: computed from linparity.theory when the figure is drawn and summarised"


class MissingDataError(LookupError):
    """A figure's data lacks what the figure draws: the file, a series, or every value of one.

    Attributes
    ----------
    figure : str
        The figure's name.
    series : str or None
        The series, as the column values that select it (``"series='grpo'"``);
        ``None`` when the whole data file is missing.
    """

    def __init__(self, figure, series, reason):
        self.figure, self.series = figure, series
        where = f"figure {figure!r}" + (f", series ({series})" if series is not None else "")
        super().__init__(f"{where}: {reason}")


def data_path(out, name):
    """The data file of figure ``name`` in the output directory ``out``."""
    return os.path.join(out, "data", f"{name}.json")


def _dumps(record):
    """JSON with one table row per line: small diffs when a figure is regenerated."""
    head = {k: v for k, v in record.items() if k != "tables"}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v, allow_nan=False)}," for k, v in head.items()]
    lines.append('  "tables": {')
    tables = list(record["tables"].items())
    for i, (name, rows) in enumerate(tables):
        body = ",\n".join(f"    {json.dumps(row, allow_nan=False)}" for row in rows)
        lines.append(f"   {json.dumps(name)}: [\n{body}\n   ]" + ("," if i < len(tables) - 1 else ""))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def write(out, record):
    """Write ``record`` to ``data_path(out, record["figure"])`` atomically; return the path.

    Raises
    ------
    ValueError
        If a value is NaN or infinite (not JSON: store ``None`` for "not reached").
    """
    path = data_path(out, record["figure"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, _dumps(record))
    return path


def read(out, name):
    """The stored record of figure ``name``.

    Raises
    ------
    MissingDataError
        If there is no data file for it.
    """
    path = data_path(out, name)
    try:
        with open(path) as f:
            record = json.load(f)
    except FileNotFoundError:
        raise MissingDataError(
            name, None, f"no data file {path} (make it with python -m linparity.figures {name})"
        ) from None
    if record.get("figure") != name:
        raise MissingDataError(name, None, f"{path} holds the data of {record.get('figure')!r}")
    return record


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def select(record, table, column=None, **match):
    """The rows of ``table`` whose columns equal ``match`` (a series), in stored order.

    Parameters
    ----------
    record : dict
        A figure record.
    table : str
        The table's name.
    column : str, optional
        A column the figure draws: at least one selected row must have a value in it.
    **match
        Column values that define the series, e.g. ``series="grpo"``.

    Raises
    ------
    MissingDataError
        If the table is absent, no row matches, or ``column`` has no value in them.
    """
    figure = record.get("figure", "?")
    series = ", ".join(f"{k}={v!r}" for k, v in match.items()) or "(all rows)"
    if table not in record.get("tables", {}):
        raise MissingDataError(figure, series, f"the data has no table {table!r}")
    rows = [r for r in record["tables"][table] if all(r.get(k) == v for k, v in match.items())]
    if not rows:
        raise MissingDataError(figure, series, f"no row in table {table!r}")
    if column is not None and all(_missing(r.get(column)) for r in rows):
        raise MissingDataError(figure, series, f"no value of {column!r} in table {table!r}")
    return rows


def values(rows, column):
    """The column ``column`` of ``rows`` as floats, ``None`` read as NaN."""
    return [math.nan if _missing(r.get(column)) else float(r[column]) for r in rows]
