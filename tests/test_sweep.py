"""``python -m linparity.sweep``: grids, the samples-to-generalise metric, storage, resume, Dask."""

import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from linparity import sweep
from linparity.evaluate import samples_to_generalise
from linparity.output import write_atomic
from linparity.sweep.execute import RunsProgress

ROOT = pathlib.Path(__file__).resolve().parent.parent
SMALL = ["--long-target", "5000", "--eval-prompts", "2000"]


def run_cli(args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "linparity.sweep", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        **kwargs,
    )


def run_files(out):
    return sorted(p for p in pathlib.Path(out).iterdir() if p.suffix == ".json")


def summary(out):
    with open(pathlib.Path(out) / sweep.SUMMARY) as f:
        return list(csv.DictReader(f))


def without_timings(obj):
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if k not in ("seconds", "wall_seconds")}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj


def expected_keys(ds, p_longs, schedules, seeds, axes=None, budget=None):
    specs = sweep.build_grid(
        ds,
        p_longs,
        [sweep.parse_schedule(s) for s in schedules],
        seeds,
        axes or {"long_target": [5000], "eval_prompts": [2000]},
        budget,
    )
    return {sweep.run_key(s) for s in specs}


# --------------------------------------------------------------------------- grid and metric


def test_schedules():
    poly, exp = sweep.parse_schedule("poly:2:1.5"), sweep.parse_schedule("exp:1:4")
    assert poly.p_long(4) == pytest.approx(2 * 4**-1.5) and exp.p_long(8) == pytest.approx(0.25)
    assert (poly.label, exp.label) == ("poly:2:1.5", "exp:1:4")
    assert poly.predicted_growth(4, 4) == 1 and exp.predicted_growth(8, 8) == 1
    assert poly.predicted_growth(8, 4) > 1 and exp.predicted_growth(12, 8) > 1


@pytest.mark.parametrize("text", ["lin:1:1", "poly:1", "poly:a:1", "exp:1:0", "poly:-1:1", "poly:1:-1", "exp:1:nan"])
def test_bad_schedules(text):
    with pytest.raises(ValueError):
        sweep.parse_schedule(text)


def test_grid_is_the_full_product_without_duplicates():
    specs = sweep.build_grid(
        [6, 8, 8], [0.2], [sweep.parse_schedule("poly:1:1")], 2, {"rl": ["star", "none"], "long_target": [5000]}, None
    )
    assert len(specs) == 2 * 2 * 2 * 2  # d x (p, schedule) x seeds x rl; the repeated d=8 is merged
    assert len({sweep.run_key(s) for s in specs}) == len(specs)
    assert {(s["config"]["d"], s["schedule"]) for s in specs} == {
        (6, "p=0.2"),
        (8, "p=0.2"),
        (6, "poly:1:1"),
        (8, "poly:1:1"),
    }
    assert {s["config"]["p_long"] for s in specs if s["schedule"] == "poly:1:1"} == {1 / 6, 1 / 8}


def test_every_simulation_field_but_the_grid_ones_is_a_sweep_flag():
    import dataclasses

    from linparity.config import SimulationConfig

    parser = sweep.parser()
    dests = {a.dest for a in parser._actions}
    for field in dataclasses.fields(SimulationConfig):
        assert field.name in dests or field.name in sweep.GRID_FIELDS
    args = parser.parse_args(["--out", "x", "--pretrain-samples", "none", "300000", "--temperature", "1", "2"])
    assert args.pretrain_samples == [None, 300000] and args.temperature == [1.0, 2.0]


def _result(pre_acc, rounds, pre_samples=200_000):
    rl, total = [], pre_samples
    for i, (samples, acc) in enumerate(rounds, 1):
        total += samples
        rl.append({"round": i, "samples": samples, "cumulative_samples": total, "greedy_accuracy": acc})
    return {"pretrain": {"samples": pre_samples, "greedy_accuracy": pre_acc}, "rl": rl}


def test_samples_to_generalise():
    f = samples_to_generalise
    assert f(_result(0.995, [])) == {"reached": True, "samples": 200_000, "stage": "pretrain", "samples_used": 200_000}
    star = _result(0.5, [(50_000, 0.5), (80_000, 0.99), (50_000, 1.0)])
    assert f(star)["samples"] == 330_000 and f(star)["stage"] == "round 2"
    assert f(star, budget=329_999)["reached"] is False  # the stage that reached it is past the budget
    assert f(star, budget=330_000)["reached"] is True
    assert f(_result(0.5, [(50_000, 0.98)])) == {
        "reached": False,
        "samples": None,
        "stage": None,
        "samples_used": 250_000,
    }
    assert f(_result(0.5, []), budget=100_000)["reached"] is False
    pg = {
        "pretrain": {"samples": 10, "greedy_accuracy": 0.5},
        "rl": [{"step": 1, "cumulative_samples": 20, "greedy_accuracy": 0.995}],
    }
    assert f(pg) == {"reached": True, "samples": 20, "stage": "step 1", "samples_used": 20}


def test_budget_caps_the_rounds_and_is_recorded():
    import dataclasses

    from linparity.config import SimulationConfig

    def full(**fields):  # apply_budget takes a whole config, as build_grid makes it
        return dict(dataclasses.asdict(SimulationConfig()), **fields)

    config = full(d=8, rl="star", rounds=20, pretrain_samples=200_000, samples_per_round=100_000)
    capped, caps = sweep.apply_budget(config, 500_000)
    assert capped["rounds"] == 3 and caps == {"rounds": [20, 3], "max_samples": [None, 500_000]}
    assert config["rounds"] == 20 and config["max_samples"] is None
    assert capped["max_samples"] == 500_000
    assert sweep.apply_budget(config, None) == (config, {})
    assert "rounds" not in sweep.apply_budget(dict(config, rl="none"), 500_000)[1]
    grpo = full(rl="grpo", rl_steps=1000, batch_size=64, group_size=8)  # 512 responses a step
    assert sweep.apply_budget(grpo, 6400)[0]["rl_steps"] == 12
    assert sweep.apply_budget(dict(grpo, rl="reinforce", group_size=1), 6400)[0]["rl_steps"] == 100
    auto = full(rl="grpo", rl_steps=1000)  # automatic sizes: 1024 responses a step
    assert sweep.apply_budget(auto, 10_240)[0]["rl_steps"] == 10
    tighter = sweep.apply_budget(dict(config, max_samples=400_000), 500_000)
    assert tighter[0]["max_samples"] == 400_000 and tighter[1]["max_samples"] == [400_000, 400_000]
    spec = sweep.build_grid(
        [8], [0.2], [], 1, {"samples_per_round": [100_000], "pretrain_samples": [200_000]}, 500_000
    )[0]
    # SimulationConfig has the exact cap (max_samples), so the grid sets it too.
    assert spec["config"]["rounds"] == 3 and spec["budget"] == 500_000
    assert spec["caps"] == {"rounds": [20, 3], "max_samples": [None, 500_000]}
    assert spec["config"]["max_samples"] == 500_000


@pytest.mark.parametrize(
    "args",
    [
        [],  # no p at all: empty grid
        ["--p-long"],  # empty list
        ["--seeds", "0"],
        ["--p-long", "1.5"],
        ["--p-long", "-0.1"],
        ["--p-long", "nan"],
        ["--p-schedule", "poly:2:0"],  # p = 2 at every d
        ["--p-schedule", "lin:1:1"],
        ["--p-schedule", "exp:1:0"],
        ["--d", "1"],
        ["--d", "six"],
        ["--rl", "ppo"],
        ["--temperature", "0"],
        ["--star-mode", "lukewarm"],
        ["--target-accuracy", "0.9"],
        ["--budget", "0"],
        ["--budget", "lots"],
        ["--workers", "0"],
        ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
        ["--no-such-flag"],
    ],
)
def test_bad_grid_gives_one_line_exit_2_and_writes_nothing(args, tmp_path, capsys):
    out = tmp_path / "sweep"
    base = ["--out", str(out)] + (["--d", "6"] if "--d" not in args else [])
    if not any(a in args for a in ("--p-long", "--p-schedule")) and args:
        base += ["--p-long", "0.2"]
    try:
        code = sweep.main(base + args)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "error" in err and "Traceback" not in err
    assert not out.exists()


def test_bad_grid_in_a_real_process(tmp_path):
    proc = run_cli(["--out", str(tmp_path / "s"), "--d", "6", "--p-schedule", "exp:4:8"])
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "outside [0, 1]" in proc.stderr
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- storage and report


def test_load_run_rejects_corrupt_and_foreign_files(tmp_path):
    spec = sweep.build_grid([6], [0.2], [], 1, {}, None)[0]
    key = sweep.run_key(spec)
    pre = {"samples": 200_000, "greedy_accuracy": 0.5, "greedy_length": 1.0, "mean_length": 1.5}
    good = {
        "config": {},
        "pretrain": pre,
        "rl": [],
        "wall_seconds": 0.0,
        "sweep": {"key": key, "spec": spec, "generalised": samples_to_generalise({"pretrain": pre, "rl": []})},
    }
    path = tmp_path / f"{key}.json"
    write_atomic(path, json.dumps(good))
    assert sweep.load_run(path, key) == good
    assert sweep.load_run(path, "0" * 16) is None
    text = path.read_text()
    for bad in (
        text[: len(text) // 2],
        "",
        "[]",
        json.dumps({**good, "rl": None} | {"pretrain": None})[:-1],
        json.dumps({k: v for k, v in good.items() if k != "rl"}),
        json.dumps({**good, "sweep": {**good["sweep"], "spec": {**spec, "budget": 5}}}),
    ):
        path.write_text(bad)
        assert sweep.load_run(path) is None
    renamed = tmp_path / ("f" * 16 + ".json")
    renamed.write_text(json.dumps(good))
    assert sweep.load_run(renamed) is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(sweep.TMP_PREFIX)]


def test_growth_table_counts_unreached_runs_as_infinite():
    def row(schedule, d, p, seed, n):
        return {
            "key": f"{schedule}{d}{seed}",
            "schedule": schedule,
            "d": d,
            "p_long": p,
            "seed": seed,
            "rl": "star",
            "reached": n is not None,
            "samples_to_generalise": n,
        }

    rows = [
        row("poly:1:1", 8, 0.125, 0, 100),
        row("poly:1:1", 8, 0.125, 1, 300),
        row("poly:1:1", 16, 0.0625, 0, 400),
        row("poly:1:1", 16, 0.0625, 1, 400),
        row("exp:1:4", 8, 0.25, 0, 100),
        row("exp:1:4", 8, 0.25, 1, None),
    ]
    lines = sweep.growth_table(rows).splitlines()
    poly16 = next(line for line in lines if line.startswith("poly:1:1") and " 16 " in line)
    assert "400" in poly16 and "x2" in poly16 and f"x{2**16:.3g}" in poly16  # d^(9 + 7 kappa)
    exp8 = next(line for line in lines if line.startswith("exp:1:4"))
    assert "1/2" in exp8 and "not reached" in exp8


class _Tty:
    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_progress_bar_shows_runs_and_eta_on_a_tty_only():
    spec = {"config": {"d": 6, "p_long": 0.2, "seed": 0}, "schedule": "p=0.2"}
    tty = _Tty()
    bar = RunsProgress(16, 3, quiet=False, stream=tty)
    bar.finished(spec, "ok")
    assert "4/16" in tty.text and "3 resumed" in tty.text and "\r" in tty.text
    quiet = _Tty()
    bar = RunsProgress(16, 3, quiet=True, stream=quiet)
    bar.finished(spec, "ok")
    assert quiet.text == ""
    bar.finished(spec, "failed: RuntimeError: boom", failed=True)  # errors are shown even with --quiet
    assert quiet.text.count("\n") == 1 and "boom" in quiet.text


# --------------------------------------------------------------------------- real Dask runs


@pytest.mark.slow
def test_local_cluster_sweep_then_resume_redoes_only_missing_and_corrupt(tmp_path):
    out = tmp_path / "sweep"
    args = [
        "--out",
        str(out),
        "--d",
        "6",
        "8",
        "--p-long",
        "0.2",
        "--p-schedule",
        "poly:1:1",
        "--seeds",
        "2",
        "--workers",
        "2",
        "--quiet",
        *SMALL,
    ]
    assert sweep.main(args) == 0
    files = run_files(out)
    keys = expected_keys([6, 8], [0.2], ["poly:1:1"], 2)
    assert {f.stem for f in files} == keys and len(files) == 8
    first = {f.name: f.read_text() for f in files}
    results = [json.loads(t) for t in first.values()]
    assert all(r["sweep"]["numba_threads"] == 1 for r in results)
    assert all(r["sweep"]["generalised"]["reached"] for r in results)  # d <= 8, p >= 1/8: a few rounds
    rows = summary(out)
    assert len(rows) == 8 and {r["key"] for r in rows} == keys
    assert all(int(r["samples_to_generalise"]) >= int(r["pretrain_samples_used"]) for r in rows)

    deleted, corrupted = files[0], files[1]
    deleted.unlink()
    corrupted.write_text(first[corrupted.name][:100])
    (out / (sweep.TMP_PREFIX + "leftover")).write_text("{")
    assert sweep.main(args) == 0
    after = {f.name: f.read_text() for f in run_files(out)}
    assert set(after) == set(first)
    for name, text in after.items():
        if name in (deleted.name, corrupted.name):  # redone: the same numbers (deterministic given the seed)
            assert without_timings(json.loads(text)) == without_timings(json.loads(first[name]))
        else:  # skipped: untouched
            assert text == first[name]
    assert not [p for p in out.iterdir() if p.name.startswith(sweep.TMP_PREFIX)]
    assert len(summary(out)) == 8


@pytest.mark.slow
def test_a_failing_run_is_reported_and_the_others_are_kept(tmp_path, capsys):
    good = sweep.build_grid([6], [0.2], [], 1, {"long_target": [5000], "eval_prompts": [2000]}, None)[0]
    bad = {**good, "config": {**good["config"], "no_such_field": 1}}  # SimulationConfig(**config) raises
    assert sweep.run_sweep([good, bad], str(tmp_path), workers=1, quiet=True) == (1, 0, 1)
    assert [f.stem for f in run_files(tmp_path)] == [sweep.run_key(good)]
    err = capsys.readouterr().err
    assert "failed: TypeError" in err and err.count("\n") == 1


@pytest.mark.slow
def test_sigkill_mid_sweep_then_resume(tmp_path):
    out = tmp_path / "sweep"
    args = [
        "--out",
        str(out),
        "--d",
        "6",
        "7",
        "8",
        "9",
        "--p-long",
        "0.2",
        "0.1",
        "--seeds",
        "2",
        "--workers",
        "1",
        "--quiet",
        *SMALL,
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "linparity.sweep", *args],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while not (out.exists() and run_files(out)) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)  # the sweep process only: its workers must not outlive it for long
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the process group
        except ProcessLookupError:
            pass
    survivors = run_files(out)
    assert 1 <= len(survivors) < 16
    assert all(sweep.load_run(p) is not None for p in survivors), "a killed sweep left a corrupt run file"

    resumed = run_cli(args)
    assert resumed.returncode == 0, resumed.stderr
    files = run_files(out)
    assert {f.stem for f in files} == expected_keys([6, 7, 8, 9], [0.2, 0.1], [], 2)
    assert all(sweep.load_run(f) is not None for f in files)
    rows = summary(out)
    assert len(rows) == 16 and len({r["key"] for r in rows}) == 16
    assert not [p for p in out.iterdir() if p.name.startswith(sweep.TMP_PREFIX)]


@pytest.mark.slow
def test_sigkill_of_a_local_worker_loses_nothing(tmp_path):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "sweep"
    args = [
        "--out",
        str(out),
        "--d",
        "6",
        "7",
        "8",
        "9",
        "--p-long",
        "0.2",
        "--seeds",
        "2",
        "--workers",
        "2",
        "--quiet",
        *SMALL,
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "linparity.sweep", *args],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while not (out.exists() and run_files(out)) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep ended before a worker could be killed"
        workers = [c for c in psutil.Process(proc.pid).children() if "spawn_main" in " ".join(c.cmdline())]
        assert workers, "no worker process to kill"
        workers[0].kill()
        assert proc.wait(timeout=240) == 0  # Dask restarts the worker and reruns its run
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert {f.stem for f in run_files(out)} == expected_keys([6, 7, 8, 9], [0.2], [], 2)
    assert len(summary(out)) == 8


def _start(command, env=None):
    return subprocess.Popen(
        command,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def _stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@pytest.mark.slow
def test_sweep_on_dask_scheduler_and_worker_processes(tmp_path):
    dask = [sys.executable, "-m", "dask"]  # the `dask` command of this interpreter
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = _start(
        [
            *dask,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
        ]
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            assert scheduler.poll() is None, "dask scheduler exited"
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker = _start(
            [
                *dask,
                "worker",
                "--scheduler-file",
                str(scheduler_file),
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            ],
            env={"NUMBA_NUM_THREADS": "1"},
        )
        out = tmp_path / "sweep"
        assert (
            sweep.main(
                ["--out", str(out), "--d", "6", "--p-long", "0.2", "0.4", "--scheduler", address, "--quiet", *SMALL]
            )
            == 0
        )
        files = run_files(out)
        assert {f.stem for f in files} == expected_keys([6], [0.2, 0.4], [], 1)
        assert all(json.loads(f.read_text())["sweep"]["numba_threads"] == 1 for f in files)
        assert len(summary(out)) == 2
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                _stop(proc)
