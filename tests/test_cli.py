"""``python -m linparity.simulate``: the JSON contract, bad input, determinism across threads."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from linparity import simulate

ROOT = pathlib.Path(__file__).resolve().parent.parent
SMALL = ["--d", "6", "--p-long", "0.2", "--long-target", "5000", "--eval-prompts", "2000", "--quiet"]


def run_cli(args, env=None):
    return subprocess.run([sys.executable, "-m", "linparity.simulate", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=300)


@pytest.mark.parametrize("args", [
    ["--d", "1"], ["--d", "-3"], ["--p-long", "1.5"], ["--p-long", "nan"], ["--p-long", "-0.1"],
    ["--rounds", "-1"], ["--pretrain-samples", "-5"], ["--eval-prompts", "0"], ["--lambda", "0"],
    ["--rl", "ppo"], ["--star-mode", "lukewarm"], ["--reward", "length"], ["--temperature", "0"],
    ["--d", "four"], ["--no-such-flag"],
])
def test_bad_input_gives_one_line_and_exit_code_2(args, capsys, tmp_path):
    out = tmp_path / "r.json"
    try:
        code = simulate.main([*args, "--json", str(out)])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "error" in err and "Traceback" not in err
    assert not out.exists()


def test_unwritable_json_path_fails_before_running(capsys, tmp_path):
    code = simulate.main([*SMALL, "--json", str(tmp_path / "missing-dir" / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--json" in err
    assert not list(tmp_path.iterdir())


def test_bad_input_in_a_real_process_has_no_traceback():
    proc = run_cli(["--p-long", "1.5"])
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "p-long" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_json_contract(tmp_path):
    out, csv = tmp_path / "r.json", tmp_path / "r.csv"
    assert simulate.main([*SMALL, "--json", str(out), "--csv", str(csv)]) == 0
    result = json.loads(out.read_text())
    assert set(result) >= {"config", "pretrain", "rl", "wall_seconds", "predicted"}
    assert {"d", "p_long", "seed", "rl", "rounds", "star_mode", "pretrain_samples", "samples_per_round",
            "lambda", "eval_prompts"} <= set(result["config"])
    assert {"samples", "long_samples", "p_long", "p_short_correct", "sampling_accuracy", "greedy_accuracy",
            "greedy_length", "mean_length", "seconds"} <= set(result["pretrain"])
    assert result["rl"], "p_long = 0.2 < 1/3 needs STaR rounds"
    for i, r in enumerate(result["rl"], 1):
        assert r["round"] == i
        assert {"round", "samples", "p_long", "predicted_p_long", "p_short_correct", "sampling_accuracy",
                "greedy_accuracy", "greedy_length", "mean_length", "seconds"} <= set(r)
        assert 1 <= r["greedy_length"] <= 6 and 1 <= r["mean_length"] <= 6
    assert result["predicted"]["rounds_to_greedy"] == 1
    rows = csv.read_text().splitlines()
    assert rows[0].startswith("stage,round") and len(rows) == 2 + len(result["rl"])


def _without_timings(obj):
    if isinstance(obj, dict):
        return {k: _without_timings(v) for k, v in obj.items() if k not in ("seconds", "wall_seconds")}
    if isinstance(obj, list):
        return [_without_timings(v) for v in obj]
    return obj


def test_same_seed_same_json_whatever_the_thread_count(tmp_path):
    results = []
    for threads in ("1", "2"):
        out = tmp_path / f"t{threads}.json"
        proc = run_cli([*SMALL, "--seed", "7", "--json", str(out)], env={"NUMBA_NUM_THREADS": threads})
        assert proc.returncode == 0, proc.stderr
        results.append(_without_timings(json.loads(out.read_text())))
    assert results[0] == results[1]


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = 'pip install -e ".[test]" && python -m pytest'
    assert command in readme and command in ci
