"""The sweep's failure paths: invalid run files, worker errors, bad flags, unwritable output."""

import copy
import json
import pathlib

import pytest

from linparity import sweep
from linparity.evaluate import samples_to_generalise
from linparity.output import write_atomic

SMALL = {"long_target": [5000], "eval_prompts": [2000]}


def fake_result(spec):
    """A run file as run_one writes it, without running anything (fields a sweep reads, typed as simulate's)."""
    metrics = {"greedy_accuracy": 0.5, "greedy_length": 1.0, "mean_length": 1.5, "p_long": 0.2}
    result = {
        "config": dict(spec["config"]),
        "pretrain": {"samples": 200_000, "long_samples": 40_000, **metrics, "seconds": 1.0},
        "rl": [
            {"round": 1, "samples": 50_000, "cumulative_samples": 250_000, **metrics, "greedy_accuracy": 1.0},
        ],
        "predicted": {},
        "wall_seconds": 2.0,
    }
    result["sweep"] = {
        "key": sweep.run_key(spec),
        "spec": spec,
        "generalised": samples_to_generalise(result, spec["budget"], spec["threshold"]),
        "numba_threads": 1,
    }
    return result


def write_runs(out, specs):
    """Store a fake result for every spec, as a finished sweep would have; return the paths."""
    out.mkdir(exist_ok=True)
    paths = []
    for spec in specs:
        path = out / f"{sweep.run_key(spec)}.json"
        write_atomic(path, json.dumps(fake_result(spec), indent=2) + "\n")
        paths.append(path)
    return paths


def grid(ds=(6,), p_longs=(0.2,)):
    return sweep.build_grid(list(ds), list(p_longs), [], 1, SMALL, None)


def cli_args(out, ds=("6",), p_longs=("0.2",)):
    return ["--out", str(out), "--d", *ds, "--p-long", *p_longs, "--long-target", "5000", "--eval-prompts", "2000"]


# --------------------------------------------------------------------------- item 1: invalid run files


def _edit(edit):
    def apply(result):
        result = copy.deepcopy(result)
        edit(result)
        return json.dumps(result)

    return apply


BAD_CONTENT = {
    "pretrain.greedy_accuracy removed": _edit(lambda r: r["pretrain"].pop("greedy_accuracy")),
    "rl is a string": _edit(lambda r: r.update(rl="oops")),
    "pretrain is a list": _edit(lambda r: r.update(pretrain=[])),
    "sweep.generalised removed": _edit(lambda r: r["sweep"].pop("generalised")),
    "samples is a string": _edit(lambda r: r["sweep"]["generalised"].update(samples="abc")),
    "rl record without metrics": _edit(lambda r: r["rl"][0].pop("mean_length")),
    "rl record is a number": _edit(lambda r: r.update(rl=[3])),
    "reached is a string": _edit(lambda r: r["sweep"]["generalised"].update(reached="yes")),
    "spec.config is a list": _edit(lambda r: r["sweep"].update(spec={**r["sweep"]["spec"], "config": []})),
    "wall_seconds is NaN": lambda r: json.dumps({**r, "wall_seconds": float("nan")}),
    "mean_length is Infinity": lambda r: json.dumps({**r, "pretrain": {**r["pretrain"], "mean_length": 1e999}}),
}


@pytest.mark.parametrize("bad", BAD_CONTENT, ids=list(BAD_CONTENT))
def test_valid_json_with_the_wrong_content_is_not_a_complete_run(bad, tmp_path):
    spec = grid()[0]
    (path,) = write_runs(tmp_path, [spec])
    good = json.loads(path.read_text())
    assert sweep.load_run(path, sweep.run_key(spec)) == good
    path.write_text(BAD_CONTENT[bad](good))
    assert sweep.load_run(path) is None  # so the sweep redoes it, as the README promises
    assert sweep.rebuild_summary(str(tmp_path)) == []  # and the summary neither crashes nor lists it


def test_a_directory_with_an_invalid_run_file_is_not_stuck(tmp_path, monkeypatch, capsys):
    specs = grid(p_longs=(0.2, 0.4))
    paths = write_runs(tmp_path, specs)
    paths[0].write_text(BAD_CONTENT["rl is a string"](json.loads(paths[0].read_text())))
    redone = []

    def fake_sweep(specs, out_dir, **kwargs):  # run_sweep's choice, without Dask to recompute
        todo = [s for s in specs if sweep.load_run(pathlib.Path(out_dir) / f"{sweep.run_key(s)}.json") is None]
        redone.extend(todo)
        for spec in todo:
            write_runs(pathlib.Path(out_dir), [spec])
        return len(todo), len(specs) - len(todo), 0

    monkeypatch.setattr(sweep.cli, "run_sweep", fake_sweep)
    assert sweep.main(cli_args(tmp_path, p_longs=("0.2", "0.4"))) == 0
    assert [sweep.run_key(s) for s in redone] == [paths[0].stem]
    assert len(sweep.rebuild_summary(str(tmp_path))) == 2
    assert "Traceback" not in capsys.readouterr().err
