"""One file per run, validated on reading, and the summary CSV rebuilt from them."""

import json
import math
import numbers
import os

from ..output import write_csv
from .grid import run_key

SUMMARY = "summary.csv"
#: Top-level keys of a complete run file.
RUN_KEYS = ("config", "pretrain", "rl", "wall_seconds", "sweep")
#: Numeric fields of the pre-training record and of every RL record that a sweep reads.
STAGE_NUMBERS = ("greedy_accuracy", "greedy_length", "mean_length")


class InvalidRun(ValueError):
    """A run file that does not hold the simulate JSON contract plus a consistent sweep section."""


def _reject_constant(name):
    # json.load accepts NaN and Infinity, which are not JSON: a file holding them was
    # not written by a sweep, and a NaN would poison every median downstream.
    raise InvalidRun(f"non-standard JSON constant {name}")


def _need(ok, what):
    if not ok:
        raise InvalidRun(what)


def _is_number(value):
    """A finite real number (bools are not numbers here)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def _check_stage(record, count_field, where):
    _need(isinstance(record, dict), f"{where} is not an object")
    _need(_is_count(record.get(count_field)), f"{where}.{count_field} is not a count")
    for name in STAGE_NUMBERS:
        _need(_is_number(record.get(name)), f"{where}.{name} is not a finite number")
    for name in ("round", "step"):  # the stage names of linparity.evaluate.stages
        _need(name not in record or _is_count(record[name]), f"{where}.{name} is not a count")


def _check_spec(spec):
    _need(isinstance(spec, dict), "sweep.spec is not an object")
    config = spec.get("config")
    _need(isinstance(config, dict), "sweep.spec.config is not an object")
    _need(_is_count(config.get("d")) and _is_count(config.get("seed")), "sweep.spec.config lacks d or seed")
    _need(_is_number(config.get("p_long")), "sweep.spec.config.p_long is not a finite number")
    _need(isinstance(spec.get("schedule"), str), "sweep.spec.schedule is not a string")
    _need(spec.get("budget") is None or _is_count(spec["budget"]), "sweep.spec.budget is not a count")
    _need(_is_number(spec.get("threshold")), "sweep.spec.threshold is not a finite number")
    _need(isinstance(spec.get("caps", {}), dict), "sweep.spec.caps is not an object")


def _check_generalised(g):
    _need(isinstance(g, dict), "sweep.generalised is not an object")
    _need(isinstance(g.get("reached"), bool), "sweep.generalised.reached is not a bool")
    _need(_is_count(g.get("samples_used")), "sweep.generalised.samples_used is not a count")
    if g["reached"]:
        _need(_is_count(g.get("samples")), "sweep.generalised.samples is not a count")
        _need(isinstance(g.get("stage"), str), "sweep.generalised.stage is not a string")
    else:
        _need(g.get("samples", None) is None and g.get("stage", None) is None, "unreached run with a stage")


def check_run(result):
    """Raise :class:`InvalidRun` unless ``result`` holds every field a sweep reads, well typed.

    The simulate JSON contract (``config``; ``pretrain`` with its sample count and
    metrics; ``rl``, a list of records with cumulative sample counts and metrics;
    ``wall_seconds``, a finite number) plus the ``sweep`` section (``key``, ``spec``,
    ``generalised`` with ``reached``, ``samples``, ``stage``, ``samples_used``).
    Checked here, once, so that the summary and the table can trust every file they read.
    """
    _need(isinstance(result, dict), "not an object")
    missing = [k for k in RUN_KEYS if k not in result]
    _need(not missing, f"missing {', '.join(missing)}")
    _need(isinstance(result["config"], dict), "config is not an object")
    _check_stage(result["pretrain"], "samples", "pretrain")
    _need(isinstance(result["rl"], list), "rl is not a list")
    for i, record in enumerate(result["rl"]):
        _check_stage(record, "cumulative_samples", f"rl[{i}]")
    _need(_is_number(result["wall_seconds"]), "wall_seconds is not a finite number")
    sweep = result["sweep"]
    _need(isinstance(sweep, dict) and isinstance(sweep.get("key"), str), "sweep.key is not a string")
    _check_spec(sweep.get("spec"))
    _need(run_key(sweep["spec"]) == sweep["key"], "sweep.key is not the hash of sweep.spec")
    _check_generalised(sweep.get("generalised"))


def load_run(path, key=None):
    """The stored result at ``path`` if it is complete and consistent, else None.

    Complete: strict JSON (no NaN or Infinity) passing :func:`check_run`.  Consistent:
    its key is the hash of its spec, the file's name and ``key`` (if given).  Anything
    else, truncated or edited, is treated as missing, so the sweep redoes the run.
    """
    name = os.path.basename(path)[: -len(".json")]
    try:
        with open(path) as f:
            result = json.load(f, parse_constant=_reject_constant)
        check_run(result)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):  # InvalidRun and JSON errors are ValueErrors
        return None
    return result if result["sweep"]["key"] == name and key in (None, name) else None


def summary_row(result):
    """One tidy row: key, schedule, the run's config, the metric, and a few final numbers."""
    sweep, spec = result["sweep"], result["sweep"]["spec"]
    last = result["rl"][-1] if result["rl"] else result["pretrain"]
    metric = sweep["generalised"]
    return {
        "key": sweep["key"],
        "schedule": spec["schedule"],
        **spec["config"],
        "budget": spec["budget"],
        "threshold": spec["threshold"],
        "reached": metric["reached"],
        "samples_to_generalise": metric["samples"],
        "stage": metric["stage"],
        "samples_used": metric["samples_used"],
        "rl_stages": len(result["rl"]),
        "pretrain_samples_used": result["pretrain"]["samples"],
        "pretrain_greedy_accuracy": result["pretrain"]["greedy_accuracy"],
        "final_greedy_accuracy": last["greedy_accuracy"],
        "final_mean_length": last["mean_length"],
        "wall_seconds": result["wall_seconds"],
    }


def summary_rows(out_dir):
    """One :func:`summary_row` per valid run file in ``out_dir``, sorted by schedule, d, p_long, seed."""
    rows = []
    for name in sorted(os.listdir(out_dir)):
        if name.endswith(".json"):
            result = load_run(os.path.join(out_dir, name))
            if result is not None:
                rows.append(summary_row(result))
    rows.sort(key=lambda r: (r["schedule"], r.get("d", 0), r.get("p_long", 0), r.get("seed", 0), r["key"]))
    return rows


def write_summary(out_dir, rows):
    """Write ``rows`` to ``out_dir/summary.csv`` atomically (OSError if it cannot be)."""
    fields = list(dict.fromkeys(k for row in rows for k in row)) or ["key"]
    write_csv(os.path.join(out_dir, SUMMARY), rows, fields)


def rebuild_summary(out_dir):
    """Rewrite ``out_dir/summary.csv`` from every valid run file; return the rows."""
    rows = summary_rows(out_dir)
    write_summary(out_dir, rows)
    return rows
