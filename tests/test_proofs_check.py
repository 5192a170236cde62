"""Tests of the proofs_check package: CLI contract, statuses, crash isolation."""

import json
import subprocess
import sys

import pytest

import proofs_check
from proofs_check import _core
from proofs_check.__main__ import main

REQUIRED_IDS = {
    "lemma1",
    "posterior_2a",
    "greedy_threshold",
    "sampling_after_pretrain",
    "walsh_position1",
    "walsh_sgd_counts",
    "sgd_bound",
    "prop1",
    "prop2",
    "prop3",
    "theorem1",
    "star_recursion",
    "finite_lambda_star",
    "star_closed_form",
    "rounds_to_greedy",
    "error_compounding",
    "theorem2_complexity",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("pc") / "claims.json"
    code = main(["--json", str(path), "--quiet"])
    return code, json.loads(path.read_text())["claims"]


@pytest.mark.slow
def test_every_required_claim_runs(report):
    code, claims = report
    assert code == 0
    ids = [c["id"] for c in claims]
    assert REQUIRED_IDS <= set(ids) and len(ids) == len(set(ids))
    for c in claims:
        assert set(c) == {"id", "statement", "status", "method", "detail"}
        assert c["status"] in ("verified", "discrepancy", "unproved")
        assert c["statement"] and c["method"] and c["detail"]


@pytest.mark.slow
def test_known_verdicts(report):
    status = {c["id"]: c for c in report[1]}
    # settled by derivation (see the detail): the published B_1 has lambda_1 upside down
    assert status["prop1"]["status"] == "discrepancy"
    assert "4 lambda_1 ln" in status["prop1"]["detail"]
    # no simulation can separate the two forms (each is trivial where the other informs)
    assert "simulator_support: cannot decide" in status["prop1"]["detail"]
    assert status["theorem1"]["status"] == "verified"
    assert "RANGE SETTLED" in status["theorem1"]["detail"]
    for claim_id in REQUIRED_IDS - {"prop1"}:
        assert status[claim_id]["status"] == "verified", status[claim_id]["detail"]


def test_crash_is_reported_and_exit_code_1(monkeypatch, capsys):
    def boom(ev):
        raise RuntimeError("deliberate")

    broken = _core.Claim("broken_check", "a check that crashes", "raises", boom)
    monkeypatch.setattr(_core, "CLAIMS", _core.CLAIMS + [broken])
    monkeypatch.setattr(proofs_check, "CLAIMS", _core.CLAIMS)
    result = _core.run_claim(broken)
    assert result["status"] == "crashed" and "deliberate" in result["detail"]
    assert main(["--only", "broken_check", "--only", "star_closed_form"]) == 1
    out = capsys.readouterr().out
    assert "broken_check" in out and "crashed" in out and "star_closed_form" in out


def test_failed_requirement_means_unproved():
    ev = _core.Evidence()
    ev.require(True, "fine")
    ev.differs("a", "b", "c")
    assert ev.status() == "discrepancy"
    ev.require(False, "a step that does not hold")
    assert ev.status() == "unproved" and "a step that does not hold" in ev.detail()


def test_bad_arguments_exit_2():
    for args in (["--only", "no_such_claim"], ["--json", "/no/such/dir/x.json"], ["--bogus"]):
        proc = subprocess.run([sys.executable, "-m", "proofs_check", *args], capture_output=True, text=True)
        assert proc.returncode == 2, args
        assert proc.stderr.strip() and "Traceback" not in proc.stderr
