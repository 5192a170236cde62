"""``python -m linparity.simulate``: the JSON contract, bad input, determinism across threads."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from linparity import config as config_module
from linparity import simulate

ROOT = pathlib.Path(__file__).resolve().parent.parent
SMALL = ["--d", "6", "--p-long", "0.2", "--long-target", "5000", "--eval-prompts", "2000", "--quiet"]


def run_cli(args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "linparity.simulate", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--d", "1"],
        ["--d", "-3"],
        ["--p-long", "1.5"],
        ["--p-long", "nan"],
        ["--p-long", "-0.1"],
        ["--rounds", "-1"],
        ["--pretrain-samples", "-5"],
        ["--eval-prompts", "0"],
        ["--lambda", "0"],
        ["--rl", "ppo"],
        ["--star-mode", "lukewarm"],
        ["--reward", "length"],
        ["--temperature", "0"],
        ["--d", "four"],
        ["--no-such-flag"],
        ["--rl", "grpo", "--rl-steps", "-1"],
        ["--rl", "reinforce", "--lr", "0"],
        ["--lr", "inf"],
        ["--rl", "grpo", "--batch-size", "0"],
        ["--rl", "grpo", "--group-size", "0"],
        ["--rl", "reinforce", "--group-size", "4"],
        ["--anchor", "-1"],
        ["--anchor", "nan"],
        ["--eval-every", "0"],
        ["--baseline", "median"],
        ["--rl-steps", "many"],
        ["--position1-features", "quadratic"],
        ["--position1-features", "walsh", "--rl", "none", "--d", "21"],
        ["--position1-features", "walsh", "--rl", "star", "--d", "8"],
        ["--position1-features", "walsh", "--rl", "grpo", "--d", "8"],
    ],
)
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
    assert {
        "d",
        "p_long",
        "seed",
        "rl",
        "rounds",
        "star_mode",
        "pretrain_samples",
        "samples_per_round",
        "lambda",
        "eval_prompts",
    } <= set(result["config"])
    assert {
        "samples",
        "long_samples",
        "p_long",
        "p_short_correct",
        "sampling_accuracy",
        "greedy_accuracy",
        "greedy_length",
        "mean_length",
        "seconds",
    } <= set(result["pretrain"])
    assert result["rl"], "p_long = 0.2 < 1/3 needs STaR rounds"
    for i, r in enumerate(result["rl"], 1):
        assert r["round"] == i
        assert {
            "round",
            "samples",
            "p_long",
            "predicted_p_long",
            "p_short_correct",
            "sampling_accuracy",
            "greedy_accuracy",
            "greedy_length",
            "mean_length",
            "seconds",
        } <= set(r)
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


@pytest.mark.slow
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
    assert command in readme
    # CI installs the same extra, lints, then runs the same test command.
    install, test = command.split(" && ")
    lines = [line.strip() for line in ci.splitlines()]
    assert install in lines and test in lines and lines.index(install) < lines.index(test)


PG_FIELDS = {"rl_steps", "lr", "batch_size", "group_size", "baseline", "anchor", "eval_every"}


def test_star_json_has_no_policy_gradient_fields(tmp_path):
    out = tmp_path / "r.json"
    assert simulate.main([*SMALL, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert not PG_FIELDS & set(result["config"])
    assert all("step" not in r and "kept_long_wrong" not in r for r in result["rl"])


@pytest.mark.parametrize("algorithm", ["reinforce", "grpo"])
def test_policy_gradient_json_contract(algorithm, tmp_path):
    out, csv = tmp_path / "r.json", tmp_path / "r.csv"
    args = [
        *SMALL,
        "--rl",
        algorithm,
        "--eval-every",
        "2",
        "--rl-steps",
        "7",
        "--no-early-stop",
        "--reward",
        "e2e",
        "--json",
        str(out),
        "--csv",
        str(csv),
    ]
    assert simulate.main(args) == 0
    result = json.loads(out.read_text())
    config = result["config"]
    assert PG_FIELDS <= set(config) and config["rl"] == algorithm
    assert config["group_size"] == (8 if algorithm == "grpo" else 1)
    assert config["batch_size"] * config["group_size"] == config_module.PG_RESPONSES_PER_STEP
    assert [r["step"] for r in result["rl"]] == [2, 4, 6, 7]
    total = result["pretrain"]["samples"]
    for i, r in enumerate(result["rl"], 1):
        assert r["round"] == i and r["predicted_p_long"] is None
        assert {
            "round",
            "step",
            "samples",
            "kept",
            "kept_long",
            "sampled_long",
            "kept_long_wrong",
            "cumulative_samples",
            "p_long",
            "p_short_correct",
            "sampling_accuracy",
            "greedy_accuracy",
            "greedy_length",
            "mean_length",
            "seconds",
        } <= set(r)
        steps = r["step"] - (result["rl"][i - 2]["step"] if i > 1 else 0)
        assert r["samples"] == steps * config_module.PG_RESPONSES_PER_STEP
        total += r["samples"]
        assert r["cumulative_samples"] == total
        assert 0 <= r["kept_long_wrong"] <= r["kept_long"] <= r["kept"] <= r["samples"]
    rows = csv.read_text().splitlines()
    assert rows[0].endswith(",step") and len(rows) == 2 + len(result["rl"])


def test_policy_gradient_stops_at_the_target(tmp_path):
    out = tmp_path / "r.json"
    assert simulate.main([*SMALL, "--rl", "reinforce", "--eval-every", "1", "--json", str(out)]) == 0
    rl = json.loads(out.read_text())["rl"]
    assert rl[-1]["greedy_accuracy"] >= 0.99 and all(r["greedy_accuracy"] < 0.99 for r in rl[:-1])


@pytest.mark.slow
def test_grpo_json_does_not_depend_on_the_thread_count(tmp_path):
    results = []
    for threads in ("1", "2"):
        out = tmp_path / f"t{threads}.json"
        proc = run_cli(
            [
                *SMALL,
                "--rl",
                "grpo",
                "--rl-steps",
                "4",
                "--no-early-stop",
                "--group-size",
                "4",
                "--temperature",
                "1.5",
                "--anchor",
                "0.1",
                "--seed",
                "3",
                "--json",
                str(out),
            ],
            env={"NUMBA_NUM_THREADS": threads},
        )
        assert proc.returncode == 0, proc.stderr
        results.append(_without_timings(json.loads(out.read_text())))
    assert results[0] == results[1]


@pytest.mark.parametrize("rl", ["star", "grpo"])
def test_max_samples_caps_the_samples_a_run_uses(rl):
    from linparity.config import SimulationConfig
    from linparity.experiment import run

    cap = 250_000
    cfg = SimulationConfig(
        d=6,
        p_long=0.05,
        rl=rl,
        pretrain_samples=50_000,
        long_target=5_000,
        eval_prompts=1_000,
        target_accuracy=None,
        rounds=10,
        rl_steps=200,
        eval_every=7,
        max_samples=cap,
    )
    result = run(cfg, show_progress=False)
    assert result["rl"], "the cap leaves room for some RL"
    assert all(r["cumulative_samples"] <= cap for r in result["rl"])
    # Without the cap the same run goes further.
    cfg.max_samples = None
    assert run(cfg, show_progress=False)["rl"][-1]["cumulative_samples"] > cap


def test_run_leaves_its_config_as_it_was():
    # A reused config must not carry one run's resolved values into the next.
    import dataclasses

    from linparity.config import SimulationConfig
    from linparity.experiment import run

    for rl in ("star", "grpo"):
        cfg = SimulationConfig(
            d=6,
            p_long=0.2,
            rl=rl,
            pretrain_samples=20_000,
            long_target=2_000,
            eval_prompts=500,
            rounds=1,
            rl_steps=2,
            eval_every=1,
        )
        before = dataclasses.asdict(cfg)
        result = run(cfg, show_progress=False)
        assert dataclasses.asdict(cfg) == before
        assert result["config"]["pretrain_samples_used"] == 20_000
        if rl == "grpo":
            assert cfg.group_size is None and result["config"]["group_size"] == 8


def test_parser_defaults_are_the_config_defaults():
    import dataclasses

    from linparity.config import SimulationConfig

    args = simulate.parser().parse_args([])
    assert simulate.config_from_args(args) == SimulationConfig()
    for field in dataclasses.fields(SimulationConfig):
        assert getattr(args, field.name) == field.default
