"""One file per run, validated on reading, and the summary CSV rebuilt from them."""

import json
import os

from ..output import write_csv
from .grid import run_key

SUMMARY = "summary.csv"
#: Top-level keys of a complete run file.
RUN_KEYS = ("config", "pretrain", "rl", "wall_seconds", "sweep")


def load_run(path, key=None):
    """The stored result at ``path`` if it is complete and consistent, else None."""
    try:
        with open(path) as f:
            result = json.load(f)
        sweep = result["sweep"]
        ok = all(k in result for k in RUN_KEYS) and run_key(sweep["spec"]) == sweep["key"]
        name = os.path.basename(path)[: -len(".json")]
        return result if ok and sweep["key"] == name and key in (None, name) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


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


def rebuild_summary(out_dir):
    """Rewrite ``out_dir/summary.csv`` from every valid run file; return the rows."""
    rows = []
    for name in sorted(os.listdir(out_dir)):
        if name.endswith(".json"):
            result = load_run(os.path.join(out_dir, name))
            if result is not None:
                rows.append(summary_row(result))
    rows.sort(key=lambda r: (r["schedule"], r.get("d", 0), r.get("p_long", 0), r.get("seed", 0), r["key"]))
    fields = list(dict.fromkeys(k for row in rows for k in row)) or ["key"]
    write_csv(os.path.join(out_dir, SUMMARY), rows, fields)
    return rows
