"""``python -m linparity.ablations``: the arms, the files it writes, bad input."""

import json

import pytest

from linparity import ablations


def test_arms_cover_the_issue_grid():
    names = {(a.group, a.name) for a in ablations.arms()}
    for algorithm in ("star", "reinforce", "grpo"):
        for reward in ("cot", "e2e"):
            assert ("algorithms", f"{algorithm}-{reward}") in names
    for tau in ("1", "2", "4"):
        for reward in ("cot", "e2e"):
            assert ("temperature", f"star-{reward}-tau{tau}") in names
    full = ablations.arms()
    assert all(a.config.d == 50 and a.config.p_long == 0.25 for a in full)
    assert {a.config.pretrain_samples for a in full if a.group == "start"} >= {2_000, None}
    for arm in full:
        arm.config.validate()


@pytest.mark.slow
def test_quick_run_writes_one_json_per_arm_and_a_summary(tmp_path):
    assert ablations.main(["--out", str(tmp_path), "--quick", "--quiet"]) == 0
    arms = ablations.arms(quick=True)
    for arm in arms:
        result = json.loads((tmp_path / f"{arm.group}__{arm.name}.json").read_text())
        assert result["arm"] == {"group": arm.group, "name": arm.name}
        assert result["config"]["rl"] == arm.config.rl and result["rl"]
    rows = (tmp_path / "summary.csv").read_text().splitlines()
    assert rows[0].split(",") == list(ablations.SUMMARY_FIELDS) and len(rows) == 1 + len(arms)
    markdown = (tmp_path / "summary.md").read_text()
    assert all(f"| {arm.name} |" in markdown for arm in arms)
    by_name = {r.split(",")[1]: dict(zip(ablations.SUMMARY_FIELDS, r.split(","))) for r in rows[1:]}
    # Under r_cot no kept long response can be wrong.
    assert all(float(r["kept_long_wrong_share"] or 0) == 0 for r in by_name.values() if r["reward"] == "cot")
    # Well pre-trained, every algorithm reaches greedy success with r_cot (d = 8).
    for algorithm in ("star", "reinforce", "grpo"):
        row = by_name[f"{algorithm}-cot"]
        assert float(row["final_greedy_accuracy"]) >= 0.99 and float(row["final_greedy_length"]) == 8


@pytest.mark.parametrize(
    "args", [["--groups", "bogus"], ["--groups", ""], ["--seed", "-1"], ["--seed", "x"], [], ["--no-such-flag"]]
)
def test_bad_input_gives_one_line_and_exit_code_2(args, tmp_path, capsys):
    argv = args if args in ([], ["--no-such-flag"]) else ["--out", str(tmp_path / "o"), *args]
    try:
        code = ablations.main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "error" in err


def test_out_must_be_a_directory(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("x")
    assert ablations.main(["--out", str(path), "--quick"]) == 2
    assert "--out" in capsys.readouterr().err
