"""The hostile command lines of the reliability review, each run as a user would run it.

Every line must give exit code 2 and exactly one line on stderr, with no traceback,
before any work, and must leave the output path untouched. The first few run in the
fast loop; the whole list runs in the default (CI) run. In-process tests of the same
behaviours, with the reasons, are in ``test_reliability.py`` and
``test_sweep_reliability.py``.
"""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LONG = "x" * 300

# (module, arguments); {out} is a file path, {dir} a fresh directory.
FAST = [
    ("linparity.simulate", ["--d", "1e20"]),
    ("linparity.simulate", ["--d", "100000000000000000000"]),
    ("linparity.simulate", ["--json", "{out}", "--csv", "{out}"]),
    ("proofs_check", ["--bogus"]),
    ("linparity.sweep", ["--out", "{dir}/s", "--d", "8", "--p-long", "0.1", "--scheduler", "notaurl"]),
]
FULL = [
    ("linparity.simulate", ["--eval-prompts", "100000000000000000000"]),
    ("linparity.simulate", ["--rl", "grpo", "--batch-size", "1000000000"]),
    ("linparity.simulate", ["--rl", "grpo", "--group-size", "100000000000000000000"]),
    ("linparity.simulate", ["--samples-per-round", "0"]),
    ("linparity.simulate", ["--pretrain-samples", "100000000000"]),
    ("linparity.simulate", ["--epochs", "1000000"]),
    ("linparity.simulate", ["--lambda", "1e-320"]),
    ("linparity.simulate", ["--json", ""]),
    ("linparity.simulate", ["--csv", ""]),
    ("linparity.simulate", ["--json", "{dir}/missing/"]),
    ("linparity.simulate", ["--json", "{dir}/" + LONG + ".json"]),
    ("linparity.simulate", ["--json", "/dev/stdout"]),
    ("linparity.simulate", ["--p-long", "nan"]),
    ("linparity.simulate", ["--rl", "ppo"]),
    ("proofs_check", ["--json"]),
    ("proofs_check", ["--json", "{dir}"]),
    ("proofs_check", ["--json", "/proc/x.json"]),
    ("proofs_check", ["--json", ""]),
    ("proofs_check", ["--only", "no_such_claim"]),
    ("benchmarks", ["--json", ""]),
    ("benchmarks", ["--json", "{out}", "--markdown", "{out}"]),
    ("linparity.figures", ["--out", ""]),
    ("linparity.figures", ["--out", "/proc/x"]),
    ("linparity.figures", ["no_such_figure"]),
    ("linparity.ablations", ["--out", "/proc/x"]),
    ("linparity.sweep", ["--out", "", "--d", "8", "--p-long", "0.1"]),
    ("linparity.sweep", ["--out", "{dir}/s", "--d", "8", "--p-long", "0.1", "--workers", "100000000000"]),
    ("linparity.sweep", ["--out", "{dir}/s", "--d", "8", "--p-long", "0.1", "--seeds", "1000000000000"]),
    ("linparity.sweep", ["--out", "{dir}/s", "--d", "8", "--p-long", "1.5"]),
]


def _run(module, args, tmp_path):
    out = tmp_path / "out.json"
    out.write_text("old\n")
    args = [a.format(out=out, dir=tmp_path) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NUMBA_NUM_THREADS": "1"},
        timeout=120,
    )
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-1000:])
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert out.read_text() == "old\n", "the output file was touched"
    assert not (tmp_path / "s").exists(), "the sweep created its directory"


@pytest.mark.parametrize("module, args", FAST)
def test_hostile_command_line_fast(module, args, tmp_path):
    _run(module, args, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("module, args", FULL)
def test_hostile_command_line(module, args, tmp_path):
    _run(module, args, tmp_path)
