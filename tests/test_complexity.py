"""The minimal-budget search (linparity.complexity, docs/theory.md section 4.13)."""

import json
import os
import shlex
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linparity import complexity, simulate
from linparity.complexity import Point, PointDriver, PointSearch, grid_index, grid_value, run_serially
from linparity.complexity.cli import main
from linparity.evaluate import samples_to_generalise
from linparity.experiment import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_grid_is_geometric_with_ratio_at_most_1_5():
    values = [grid_value(k) for k in range(40)]
    assert values[0] == 10 and all(b > a for a, b in zip(values, values[1:]))
    assert max(b / a for a, b in zip(values, values[1:])) <= 1.5 + 1e-9
    for v in (1, 10, 11, 256, 257, 1000, 123_456):
        k = grid_index(v)
        assert grid_value(k) >= v and (k == 0 or grid_value(k - 1) < v)


def _drive(search, outcome):
    asked = []
    while not search.done:
        for k in search.wanted():
            assert k not in search.outcomes, "an index was asked for twice"
            asked.append(k)
            search.tell(k, outcome(k))
    return asked


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 30), st.integers(0, 40), st.integers(0, 30))
def test_search_finds_the_threshold_of_any_monotone_outcome(k_max, threshold, start):
    start = min(start, k_max)
    search = PointSearch(start, k_max)
    asked = _drive(search, lambda k: k >= threshold)
    if threshold > k_max:
        assert not search.reached and search.answer is None
    else:
        assert search.answer == threshold
        # the check: the steps just below and above the answer were run
        assert threshold == 0 or threshold - 1 in search.outcomes
        assert threshold == k_max or threshold + 1 in search.outcomes
    assert search.violations() == []
    assert len(asked) <= 2 * max(1, k_max).bit_length() + 4


def test_a_success_below_a_failure_is_reported():
    # fails at 5 only: the answer is 4, and its check (one step above) runs 5 and sees the failure
    search = PointSearch(4, 12)
    _drive(search, lambda k: k >= 4 and k != 5)
    assert search.violations() == [(5, 4)] and search.answer == 4


@pytest.mark.parametrize("p", [0.3, 0.15])
def test_search_on_a_tiny_case_agrees_with_a_brute_force_scan(p):
    point, l_max = Point(4, p, 0, "star", f"p={p:g}"), 400
    k_max = grid_index(l_max)
    brute = {}
    for k in range(k_max + 1):
        result = run(complexity.trial_config(point, grid_value(k)), show_progress=False)
        brute[k] = samples_to_generalise(result)
    driver = run_serially(PointDriver([point], 10, l_max))
    record = driver.records[point]
    for trial in record["trials"]:  # every trial is the run the scan made (same seed, same L)
        g = brute[trial["k"]]
        assert trial["reached"] == g["reached"]
        assert trial["samples"] == (g["samples"] if g["reached"] else g["samples_used"])
    wins = [k for k in brute if brute[k]["reached"]]
    monotone = all(brute[k]["reached"] for k in range(min(wins), k_max + 1)) if wins else True
    if monotone:
        assert record["reached"] == bool(wins)
        if wins:
            assert record["l_min"] == grid_value(min(wins))
            assert record["n_min"] == brute[min(wins)]["samples"]
    else:  # the answer is still a success just above a failure, as the scan has it
        k = grid_index(record["l_min"])
        assert brute[k]["reached"] and (k == 0 or not brute[k - 1]["reached"])


def test_the_recorded_command_reproduces_n_min(tmp_path):
    point = Point(4, 0.3, 1, "star", "p=0.3")
    record = run_serially(PointDriver([point], 40, 400)).records[point]
    assert record["reached"]
    args = shlex.split(record["command"])
    assert args[:3] == ["python", "-m", "linparity.simulate"]
    out = tmp_path / "min.json"
    assert simulate.main([*args[3:], "--json", str(out), "--quiet"]) == 0
    result = json.loads(out.read_text())
    g = samples_to_generalise(result)
    assert g["reached"] and g["samples"] == record["n_min"]
    last = result["rl"][-1] if result["rl"] else result["pretrain"]
    assert last["greedy_accuracy"] >= 0.99


def test_no_budget_floors_sizes_stages_by_the_long_target_alone():
    from linparity.config import SimulationConfig

    cfg = SimulationConfig(d=8, p_long=0.1, long_target=300, budget_floors=False).validate()
    assert cfg.pretrain_budget() == 3000 and cfg.round_budget(0.2) == 1500
    floored = SimulationConfig(d=8, p_long=0.1, long_target=300).validate()
    assert floored.pretrain_budget() == 200_000 and floored.round_budget(0.2) == 50_000


def test_fit_recovers_known_exponents_from_synthetic_data():
    rng = np.random.default_rng(1)
    ds, ps, seeds = np.meshgrid([8, 12, 16, 24, 32, 48, 64], [0.3, 0.1, 0.03, 0.01], range(5), indexing="ij")
    ds, ps, seeds = ds.ravel(), ps.ravel(), seeds.ravel()
    seed_effect = rng.normal(0, 0.05, 5)[seeds]  # correlated within a seed, as real runs are
    ns = 50 * ds**2.5 * ps**-1.2 * np.exp(seed_effect + rng.normal(0, 0.1, len(ds)))
    fit = complexity.fit_law(ds, ps, ns, seeds, rng=np.random.default_rng(0))
    assert fit["a"] == pytest.approx(2.5, abs=0.1) and fit["beta"] == pytest.approx(1.2, abs=0.1)
    assert fit["a_ci"][0] < 2.5 < fit["a_ci"][1] and fit["beta_ci"][0] < 1.2 < fit["beta_ci"][1]
    assert fit["points"] == 28 and fit["seeds"] == 5 and fit["observations"] == 140
    # a law that is not there is not found: beta ~ 0 when N does not depend on p
    flat = complexity.fit_law(ds, ps, 50 * ds**2.5 * np.exp(rng.normal(0, 0.1, len(ds))), seeds, rng=rng)
    assert abs(flat["beta"]) < 0.05
    rate = complexity.fit_rate(
        ds, 3 * 2.0 ** (0.5 * ds) * np.exp(rng.normal(0, 0.1, len(ds))), seeds, kind="exp", rng=rng
    )
    assert rate["ci"][0] < 0.5 < rate["ci"][1]
    # the per-seed Student-t intervals beside the bootstrap's
    assert rate["ci_seed_t"][0] < 0.5 < rate["ci_seed_t"][1]
    assert (
        fit["a_ci_seed_t"][0] < 2.5 < fit["a_ci_seed_t"][1]
        and fit["beta_ci_seed_t"][0] < 1.2 < fit["beta_ci_seed_t"][1]
    )


@pytest.mark.parametrize(
    "args, words",
    [
        (["--d", "1", "--p-long", "0.1"], "--d"),
        (["--d", "8", "--p-long", "0"], "p_long in (0, 1]"),
        (["--d", "8", "--p-long", "1.5"], "--p-long"),
        (["--d", "8", "--p-long", "0.1", "--seeds", "0"], "--seeds"),
        (["--d", "8", "--p-long", "0.1", "--rl", "grpo"], "--rl"),
        (["--d", "8", "--p-long", "0.1", "--l-start", "100", "--l-max", "50"], "--l-start"),
        (["--d", "8", "--p-long", "0.1", "--l-max", "-3"], "--l-max"),
        (["--d", "8", "--p-schedule", "exp:1:0"], "--p-schedule"),
        (["--d", "8"], "--p-long or --p-schedule"),
        (["--d", "8", "--p-long", "0.1", "--workers", "0"], "--workers"),
        (["--d", "8", "--p-long", "nan"], "--p-long"),
        (["--d", "8", "--p-long", "0.1", "--budget", "rounds"], "--budget"),
        (["--d", "8", "--p-long", "0", "--budget", "round", "--rl", "none"], "--rl star"),
        (["--d", "8", "--p-long", "0", "--budget", "pretrain"], "--rl none"),
        (["--d", "8", "--p-long", "0.1", "--rl", "none", "--position1-features", "walsh"], "--budget pretrain"),
        (
            ["--d", "21", "--p-long", "0", "--rl", "none", "--budget", "pretrain", "--position1-features", "walsh"],
            "d <= 20",
        ),
        (
            ["--d", "8", "--p-long", "0", "--rl", "none", "--budget", "pretrain", "--position1-features", "cubic"],
            "--position1",
        ),
    ],
)
def test_bad_grid_exits_2_in_one_line(args, words, tmp_path, capsys):
    out = tmp_path / "cx"
    assert main(["--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert not out.exists()


SMALL = ["--d", "4", "5", "--p-long", "0.3", "--seeds", "2", "--l-start", "20", "--l-max", "400", "--workers", "1"]


def _rows(out):
    """summary.csv without its timing columns (the only fields that differ from run to run)."""
    import csv

    with open(out / "summary.csv") as f:
        return [
            {k: v for k, v in row.items() if k not in ("wall_seconds", "n_min_seconds")} for row in csv.DictReader(f)
        ]


def _cli(out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "linparity.complexity", "--out", str(out), *SMALL, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_sigkill_then_resume_loses_nothing_and_gives_the_uninterrupted_answer(tmp_path):
    whole = tmp_path / "whole"
    done = _cli(whole)
    assert done.returncode == 0, done.stderr
    expected = _rows(whole)
    assert len(expected) == 4 and all(r["command"].startswith("python -m linparity.simulate") for r in expected)

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "linparity.complexity", "--out", str(out), *SMALL, "--quiet"],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runs = out / "runs"
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if runs.exists() and len([p for p in runs.iterdir() if p.suffix == ".json"]) >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the search ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    kept = {p.name for p in runs.iterdir() if p.suffix == ".json"}
    resumed = _cli(out)
    assert resumed.returncode == 0, resumed.stderr
    assert _rows(out) == expected
    assert kept <= {p.name for p in runs.iterdir()}
    # a third run computes nothing: every trial is on disk, and no run file is rewritten
    stamps = {p.name: p.stat().st_mtime_ns for p in runs.iterdir()}
    again = _cli(out)
    assert again.returncode == 0 and _rows(out) == expected
    assert {p.name: p.stat().st_mtime_ns for p in runs.iterdir()} == stamps
    fit = json.loads((out / "fit.json").read_text())
    assert fit["points"] == 4


def test_two_schedules_that_meet_at_a_point_keep_a_record_each():
    # poly:1:1 and exp:1:4 both give p_long = 1/16 at d = 16; each schedule's fit needs the point
    a, b = Point(16, 1 / 16, 0, "star", "poly:1:1"), Point(16, 2.0**-4, 0, "star", "exp:1:4")
    assert a.p_long == b.p_long and a.name != b.name


def test_the_control_reruns_exactly_and_its_round_1_sees_one_wait(tmp_path):
    """Budget ``round`` (docs/theory.md 4.14): the fixed pre-training does not scale with 1/p_long."""
    from linparity.complexity.points import CONTROL_PRETRAIN

    point = Point(5, 0.0, 0, "star", "p=0", "round")
    record = run_serially(PointDriver([point], 30, 20_000)).records[point]
    assert record["reached"] and record["monotone"] and record["budget"] == "round"
    trials = record["trials"]
    assert all(t["pretrain_samples"] == CONTROL_PRETRAIN for t in trials)
    # every trial's round 1 draws from the same pre-trained model with the same streams:
    # those long enough to see the first chain all see it at the same prompt
    seen = [t["first_chain_round1"] for t in trials if t["first_chain_round1"] is not None]
    assert len(seen) >= 2 and len(set(seen)) == 1 and record["pretrained_wait"] == seen[0]
    assert all(t["first_chain_round1"] is None for t in trials if t["l"] < seen[0])
    assert record["n_rl_min"] == record["n_min"] - CONTROL_PRETRAIN > 0
    args = shlex.split(record["command"])
    assert "--samples-per-round" in args and "--long-target" not in args
    out = tmp_path / "control.json"
    assert simulate.main([*args[3:], "--json", str(out), "--quiet"]) == 0
    result = json.loads(out.read_text())
    assert samples_to_generalise(result)["samples"] == record["n_min"]
    assert result["pretrain"]["samples"] == CONTROL_PRETRAIN
    # at p_long = 0 the pre-trained chain is untrained: a correct long answer is chance
    pre = result["pretrain"]
    assert pre["p_long"] == pytest.approx(pre["p_copy"] * pre["p_go_given_copy"] * 2.0 ** (1 - point.d), rel=1e-9)


def test_trials_that_disagree_on_round_1_are_a_bug():
    from linparity.complexity.points import round1_wait

    assert round1_wait([{"first_chain_round1": None}, {"first_chain_round1": 7}]) == 7
    assert round1_wait([{"first_chain_round1": None}]) is None
    with pytest.raises(RuntimeError, match="disagrees"):
        round1_wait([{"first_chain_round1": 5}, {"first_chain_round1": 7}])


def test_the_control_is_reported_apart_from_the_law():
    """Control rows at p_long = 2^-d (p > 0, an exp schedule) must stay out of the law and of
    the schedules, which they would enter if they were read as the main search's."""
    from linparity.complexity.report import fit_report

    def record(d, p, seed, budget, schedule, n):
        return {
            "d": d, "p_long": p, "seed": seed, "rl": "star", "schedule": schedule, "budget": budget,
            "reached": True, "l_min": 100, "l_max": 10**6, "n_min": n, "stage": "round 3", "trials": [{}],
            "monotone": True, "violations": [], "wall_seconds": 1.0, "error": None, "command": "x",
            "n_rl_min": n - 100_000 if budget == "round" else None, "first_chain": None,
            "pretrained_wait": 3 * 2**d if budget == "round" else None, "pretrain_p_copy_go": 0.08,
        }  # fmt: skip

    rng = np.random.default_rng(3)
    law = [
        record(d, p, s, "long", f"p={p:g}", int(40 * d**2 * p**-0.9 * rng.uniform(0.95, 1.05)))
        for d in (8, 16, 32)
        for p in (0.3, 0.1, 0.03)
        for s in range(3)
    ]
    control = [
        record(d, 2.0**-d, s, "round", "exp:1:1", 100_000 + int(2 ** (0.9 * d) * rng.uniform(1, 1.3)))
        for d in range(4, 13)
        for s in range(3)
    ]
    alone = fit_report(law)
    fit = fit_report(law + control)
    assert fit["n_min"] == alone["n_min"] and fit["schedules"] == {} == alone["schedules"]
    c = fit["control"]["exp:1:1"]
    assert c["n_rl_min_bits_per_d_ci"][0] < 0.9 < c["n_rl_min_bits_per_d_ci"][1]
    assert c["pretrained_wait_bits_per_d"] == pytest.approx(1.0) and c["wait_censored"] == 0
    # read as the main search's rows, the control would change the law: the check can fail
    relabelled = [{**r, "budget": "long"} for r in control]
    assert fit_report(law + relabelled)["schedules"] != {}


def test_ntp_alone_gets_its_own_law_in_the_distance_to_one_third():
    from linparity.complexity.report import fit_report

    def record(d, p, seed, rl, n):
        return {
            "d": d, "p_long": p, "seed": seed, "rl": rl, "schedule": f"p={p:g}", "reached": True,
            "l_min": 10, "n_min": n, "stage": "pretrain", "trials": [{}], "monotone": True,
            "violations": [], "wall_seconds": 1.0, "error": None, "command": "x",
        }  # fmt: skip

    rng = np.random.default_rng(5)
    ntp = [
        record(d, p, s, "none", 5 * d**1.5 * (p - 1 / 3) ** -1.5 * rng.uniform(0.95, 1.05))
        for d in (8, 16, 32)
        for p in (0.35, 0.4, 0.5)
        for s in range(4)
    ]
    star = [record(d, p, s, "star", 40 * d**2 * p**-0.9) for d in (8, 16) for p in (0.1, 0.3) for s in range(2)]
    fit = fit_report(ntp + star)
    margin = fit["ntp_alone"]["n_min_vs_margin"]
    assert margin["a"] == pytest.approx(1.5, abs=0.05) and margin["beta"] == pytest.approx(1.5, abs=0.05)
    # NTP alone never enters NTP then STaR's law
    assert fit["n_min"]["a"] == pytest.approx(2.0) and fit["n_min"]["beta"] == pytest.approx(0.9)


def test_walsh_pretrain_search_reruns_exactly_and_keeps_its_own_records(tmp_path):
    """NTP alone with a Walsh position 1, searched over its pre-training count (docs/theory.md 4.15)."""
    import json

    from linparity import simulate

    out = tmp_path / "w"
    args = ["--d", "5", "--p-long", "0", "0.1", "--seeds", "2", "--rl", "none", "--budget", "pretrain"]
    args += ["--position1-features", "walsh", "--l-start", "20", "--l-max", "100000", "--workers", "1", "--quiet"]
    assert main(["--out", str(out), *args]) == 0
    rows = _rows(out)
    assert len(rows) == 4 and all(r["reached"] == "True" and r["position1"] == "walsh" for r in rows)
    assert all(r["budget"] == "pretrain" and r["command"].endswith("--position1-features walsh") for r in rows)
    names = sorted(p.name for p in (out / "points").iterdir())
    assert all(n.endswith("_none_pretrain_walsh.json") for n in names)
    # the recorded command reruns the minimal run, which generalises, and one grid step below it did not
    row = rows[0]
    record = json.loads(next((out / "points").glob(f"p0_d5_p0_s{row['seed']}_*")).read_text())
    below = [t for t in record["trials"] if t["l"] < int(row["n_min"])]
    assert below and not max(below, key=lambda t: t["l"])["reached"]
    target = tmp_path / "r.json"
    assert simulate.main([*row["command"].split()[3:], "--json", str(target), "--quiet"]) == 0
    result = json.loads(target.read_text())
    assert result["pretrain"]["samples"] == int(row["n_min"]) and result["pretrain"]["greedy_accuracy"] >= 0.99
    assert result["predicted"]["pretrain_greedy_accuracy"] == 1.0
    fit = json.loads((out / "fit.json").read_text())
    sep = fit["separation"]
    assert set(sep["ntp_alone_walsh"]) == {"p=0", "p=0.1"} and sep["ntp_alone_walsh"]["p=0"]["coverage_bits_per_d"] == 1
    assert fit["n_min"] is None and fit["ntp_alone"]["points"] == 0  # apart from every other law
