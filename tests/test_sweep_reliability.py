"""The sweep's failure paths: invalid run files, worker errors, bad flags, unwritable output."""

import copy
import json
import os
import pathlib
import subprocess
import sys

import pytest

from linparity import sweep
from linparity.evaluate import samples_to_generalise
from linparity.output import write_atomic

ROOT = pathlib.Path(__file__).resolve().parent.parent
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


# --------------------------------------------------------------------------- item 2: worker errors


def one_line_error(err):
    lines = err.strip().splitlines()
    return len(lines) == 1 and "error" in lines[0] and "Traceback" not in err


def test_a_run_that_raises_returns_its_error_in_one_line():
    spec = grid()[0]
    bad = {**spec, "config": {**spec["config"], "no_such_field": 1}}
    assert sweep.run_one(bad) == {"error": "TypeError: " + _init_error(bad["config"])}


def _init_error(config):
    from linparity.config import SimulationConfig

    try:
        SimulationConfig(**config)
    except TypeError as exc:
        return str(exc)
    raise AssertionError("SimulationConfig accepted an unknown field")


def test_a_lost_worker_is_one_line():
    from linparity.sweep.execute import _failure

    class KilledWorker(Exception):
        pass

    text = _failure(KilledWorker("Attempted to run task 'x' on 4 different workers,\nbut all those workers died"))
    assert text == "failed: KilledWorker: Attempted to run task 'x' on 4 different workers,"


# Injected into every process of the sweep (workers included) through PYTHONPATH: the
# run of seed 1 raises on the worker, as a run whose config passed validation can.
_INJECT = """
import linparity.experiment as experiment

_run = experiment.run


def run(cfg, **kwargs):
    if cfg.seed == 1:
        raise ValueError("theta must be finite (injected)")
    return _run(cfg, **kwargs)


experiment.run = run
"""


@pytest.mark.slow
def test_a_point_that_only_fails_on_a_worker_is_one_line_and_exit_1(tmp_path):
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(_INJECT)
    out = tmp_path / "s"
    proc = subprocess.run(
        [sys.executable, "-m", "linparity.sweep", *cli_args(out), "--seeds", "2", "--workers", "1", "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "NUMBA_NUM_THREADS": "1", "PYTHONPATH": f"{inject}{os.pathsep}{ROOT}"},
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "failed: ValueError: theta must be finite (injected)" in proc.stderr
    assert "Compute Failed" not in proc.stderr
    (kept,) = [p for p in out.iterdir() if p.suffix == ".json"]
    assert json.loads(kept.read_text())["sweep"]["spec"]["config"]["seed"] == 0


# --------------------------------------------------------------------------- item 3: execution flags


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--scheduler", "notaurl"], "--scheduler notaurl"),
        (["--scheduler", ""], "--scheduler"),
        (["--workers", "100000000000"], "--workers"),
        (["--workers", "1e20"], "--workers"),
        (["--workers", "-3"], "--workers"),
    ],
)
def test_bad_execution_flags_are_one_line_exit_2(flags, words, tmp_path, capsys):
    out = tmp_path / "s"
    try:
        code = sweep.main(cli_args(out) + flags)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and one_line_error(err) and words in err, err
    assert not out.exists()


def test_bad_scheduler_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "linparity.sweep", *cli_args(tmp_path / "s"), "--scheduler", "notaurl"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2 and one_line_error(proc.stderr), proc.stderr
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- items 4 and 5: output


def _unwritable_dir(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write into any directory")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    return str(locked / "s")


@pytest.mark.parametrize("where", ["empty", "proc", "under a file", "a file", "unwritable"])
def test_bad_out_is_checked_first_one_line_exit_2(where, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    out = {
        "empty": lambda: "",
        "proc": lambda: "/proc/x",
        "under a file": lambda: str(tmp_path / "file" / "s"),
        "a file": lambda: str(tmp_path / "file"),
        "unwritable": lambda: _unwritable_dir(tmp_path),
    }[where]()
    # The grid is bad too (d = 1): --out is named first, before anything else is checked.
    code = sweep.main(["--out", out, "--d", "1", "--p-long", "0.2"])
    err = capsys.readouterr().err
    assert code == 2 and one_line_error(err) and "--out" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) in (["file"], ["file", "locked"])


def test_summary_that_is_a_directory_is_one_line_and_the_runs_are_kept(tmp_path, capsys):
    paths = write_runs(tmp_path, grid(p_longs=(0.2, 0.4)))
    (tmp_path / sweep.SUMMARY).mkdir()
    code = sweep.main(cli_args(tmp_path, p_longs=("0.2", "0.4")))  # every run resumed: no Dask needed
    captured = capsys.readouterr()
    assert code == 1 and one_line_error(captured.err) and "summary.csv" in captured.err, captured.err
    assert "2 resumed" in captured.out and "p=0.4" in captured.out  # the table is still printed
    assert all(sweep.load_run(p) is not None for p in paths)


def test_a_write_error_of_the_summary_at_interrupt_is_one_line(tmp_path, monkeypatch, capsys):
    write_runs(tmp_path, grid())
    (tmp_path / sweep.SUMMARY).mkdir()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep.cli, "run_sweep", interrupted)
    assert sweep.main(cli_args(tmp_path)) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 2 and "summary.csv" in err


@pytest.mark.slow
def test_a_full_disk_while_writing_a_run_is_one_line(tmp_path, monkeypatch, capsys):
    import errno

    from linparity.sweep import execute

    def full(path, text, *args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(execute, "write_atomic", full)
    out = tmp_path / "s"
    code = sweep.main(cli_args(out) + ["--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and one_line_error(err) and "No space left on device" in err, err
    assert not [p for p in out.iterdir() if p.suffix == ".json"]


def test_a_full_disk_while_writing_the_summary_is_one_line(tmp_path, monkeypatch, capsys):
    import errno

    from linparity.sweep import store

    def full(path, rows, fields):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    paths = write_runs(tmp_path, grid())
    monkeypatch.setattr(store, "write_csv", full)
    assert sweep.main(cli_args(tmp_path) + ["--quiet"]) == 1
    err = capsys.readouterr().err
    assert one_line_error(err) and "summary.csv: No space left on device" in err, err
    assert sweep.load_run(paths[0]) is not None


def test_a_grid_too_big_to_build_is_refused_before_building_it(tmp_path, capsys):
    from linparity.sweep.cli import main

    code = main(["--out", str(tmp_path / "s"), "--d", "8", "--p-long", "0.1", "--seeds", "1000000000000"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--seeds" in err and "runs" in err
    assert not (tmp_path / "s").exists()
