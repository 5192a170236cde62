"""Hostile and extreme input to the commands: one line on stderr, the right exit code, no damage.

Each test here failed on the code before the fix it guards (see the commit that adds it).
"""

import errno
import json
import math
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from linparity import config as config_module
from linparity import output, simulate

ROOT = pathlib.Path(__file__).resolve().parent.parent

SMALL = ["--d", "6", "--p-long", "0.2", "--long-target", "5000", "--eval-prompts", "2000", "--quiet"]


def _main(args):
    try:
        return simulate.main(args)
    except SystemExit as exc:  # argparse's own errors
        return exc.code


def _one_error_line(err):
    lines = err.strip().splitlines()
    return len(lines) == 1 and "error" in lines[0] and "Traceback" not in err


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--d", "100000"], "d must be <="),
        (["--d", "100000000000000000000"], "d must be <="),
        (["--eval-prompts", "100000000000000000000"], "--eval-prompts"),
        (["--rl", "grpo", "--batch-size", "100000000000000000000"], "--batch-size"),
        (["--rl", "grpo", "--group-size", "100000000000000000000"], "--group-size"),
        (["--pretrain-samples", "100000000000"], "--pretrain-samples"),
        (["--samples-per-round", "100000000000"], "--samples-per-round"),
        (["--samples-per-round", "0"], "--samples-per-round"),
        (["--epochs", "100000"], "--epochs"),
        (["--rounds", "100000000"], "--rounds"),
        (["--long-target", "100000000000"], "--long-target"),
        (["--seed", str(2**64)], "--seed"),
        (["--lambda", "1e-320"], "--lambda"),
        (["--lambda-chain", "1e-13"], "--lambda-chain"),
    ],
)
def test_counts_out_of_range_are_refused_up_front(args, flag, capsys, tmp_path):
    out = tmp_path / "r.json"
    code = _main([*args, "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and _one_error_line(err) and flag in err, err
    assert not out.exists()


def test_a_run_that_does_not_fit_in_memory_is_refused_naming_the_flag(monkeypatch, capsys):
    monkeypatch.setattr(config_module, "available_memory", lambda: 2 * 2**30)
    code = _main(["--eval-prompts", "20000000", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and _one_error_line(err) and "--eval-prompts" in err and "GiB" in err
    code = _main(["--rl", "grpo", "--batch-size", "5000000", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and _one_error_line(err) and "--batch-size" in err


def test_memory_is_judged_where_the_run_runs_not_by_validate(monkeypatch):
    from linparity import experiment

    monkeypatch.setattr(config_module, "available_memory", lambda: 2 * 2**30)
    big = config_module.SimulationConfig(eval_prompts=20_000_000)
    big.validate()  # a sweep's driver validates every point: its own memory is not the workers'
    with pytest.raises(ValueError, match="--eval-prompts"):
        experiment.run(big, show_progress=False)


def test_memory_estimate_grows_with_each_dominant_flag():
    base, _ = config_module.memory_needed(config_module.SimulationConfig().validate())
    bigger_eval, flag = config_module.memory_needed(config_module.SimulationConfig(eval_prompts=10**8))
    assert flag == "--eval-prompts" and bigger_eval > 50 * base
    bigger_d, flag = config_module.memory_needed(config_module.SimulationConfig(d=4096, eval_prompts=10))
    assert flag == "--d" and bigger_d > 2 * 2**30
    # The default run plans far less than a gigabyte: the check cannot refuse it anywhere.
    assert base < 2**30 and math.isfinite(base)


# --------------------------------------------------------------------------- output files


def _strict(path):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    with open(path) as f:
        return json.load(f, parse_constant=refuse)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--json", "{same}", "--csv", "{same}"], "name the same file"),
        (["--json", ""], "empty path"),
        (["--csv", ""], "empty path"),
        (["--json", "{tmp}/missing/"], "is a directory"),
        (["--json", "{tmp}/" + "x" * 300 + ".json"], "longer than"),
        (["--json", "/dev/stdout"], "device or process file"),
        (["--json", "/dev/null"], "device or process file"),
    ],
)
def test_bad_output_paths_are_refused_before_running(args, words, capsys, tmp_path):
    same = tmp_path / "r.json"
    args = [a.format(same=same, tmp=tmp_path) for a in args]
    code = _main([*SMALL, *args])
    err = capsys.readouterr().err
    assert code == 2 and _one_error_line(err) and words in err, err
    assert not same.exists()


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("old\n")
    link.symlink_to(real)
    assert _main([*SMALL, "--json", str(link)]) == 0
    assert link.is_symlink() and _strict(real)["config"]["d"] == 6


def test_a_symlink_to_a_device_is_refused(tmp_path, capsys):
    link = tmp_path / "link.json"
    link.symlink_to("/dev/stdout")
    assert _main([*SMALL, "--json", str(link)]) == 2
    assert "device" in capsys.readouterr().err and link.is_symlink()


def test_a_failed_write_is_one_line_exit_1_and_the_old_file_intact(monkeypatch, tmp_path, capsys):
    out = tmp_path / "r.json"
    out.write_text("old\n")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output.os, "fsync", full_disk)
    code = _main([*SMALL, "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and _one_error_line(err) and "No space left" in err
    assert out.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.slow
@pytest.mark.parametrize("redirect", ["| head -c 10", ">&-", ">/dev/full"])
def test_a_broken_stdout_never_loses_the_results_file(redirect, tmp_path):
    out = tmp_path / "r.json"
    small = " ".join(a for a in SMALL if a != "--quiet")
    proc = subprocess.run(
        f"{sys.executable} -m linparity.simulate {small} --json {out} {redirect}",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert _strict(out)["config"]["d"] == 6


@pytest.mark.parametrize("algorithm", ["reinforce", "grpo"])
def test_a_strong_anchor_stays_finite_and_the_json_is_strict(algorithm, tmp_path, capsys, recwarn):
    out, table = tmp_path / "r.json", tmp_path / "r.csv"
    args = [*SMALL, "--rl", algorithm, "--rl-steps", "10", "--anchor", "1000", "--json", str(out), "--csv", str(table)]
    assert _main(args) == 0
    result = _strict(out)
    assert all(math.isfinite(r["p_long"]) for r in result["rl"])
    # The anchor holds the policy at the pre-trained one.
    assert abs(result["rl"][-1]["p_long"] - result["pretrain"]["p_long"]) < 0.02
    assert "nan" not in table.read_text().lower()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert capsys.readouterr().err == ""


def test_the_table_prints_a_dash_where_there_is_no_prediction(capsys):
    args = [a for a in SMALL if a != "--quiet"]
    assert _main([*args, "--rl", "grpo", "--rl-steps", "5"]) == 0
    table = capsys.readouterr().out
    assert "nan" not in table and " - " in table


# --------------------------------------------------------------------------- the other commands


def _figures(args):
    from linparity.figures.cli import main

    return main(args)


def test_figures_where_a_png_is_a_directory_is_one_line_exit_1(tmp_path, capsys):
    shutil.copytree(ROOT / "figures" / "data", tmp_path / "data")
    (tmp_path / "star_recursion.png").mkdir()
    code = _figures(["star_recursion", "--replot", "--quiet", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and _one_error_line(err) and "star_recursion.png" in err


@pytest.mark.parametrize("out", ["", "/proc/x", "{tmp}/file/sub"])
def test_figures_bad_out_is_one_line_exit_2(out, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    code = _figures(["--replot", "--quiet", "--out", out.format(tmp=tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and _one_error_line(err) and "--out" in err


def test_ablations_where_a_run_file_is_a_directory_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    from linparity import ablations

    arm = next(iter(ablations.arms(quick=True, seed=0, groups=ablations.GROUPS)))
    (tmp_path / f"{arm.group}__{arm.name}.json").mkdir()
    # One arm is enough to reach the write; the others would only take time.
    monkeypatch.setattr(ablations, "arms", lambda **kw: [arm])
    code = ablations.main(["--out", str(tmp_path), "--quick", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and _one_error_line(err) and "directory" in err


@pytest.mark.parametrize("path", ["", "{tmp}", "/proc/x.json", "{tmp}/missing/"])
def test_proofs_check_bad_json_is_refused_before_the_checks(path, tmp_path, capsys, monkeypatch):
    import proofs_check
    from proofs_check.__main__ import main

    monkeypatch.setattr(proofs_check, "run_all", lambda ids=None: pytest.fail("the checks ran"))
    code = main(["--only", "lemma1", "--json", path.format(tmp=tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and _one_error_line(err) and "--json" in err


@pytest.mark.parametrize("argv", [["--bogus"], ["--json"]])
def test_proofs_check_bad_arguments_are_one_line(argv, capsys):
    from proofs_check.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and _one_error_line(capsys.readouterr().err)


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ["linparity.simulate", "--d", "32", "--p-long", "0.01", "--quiet"],
        ["linparity.figures", "--quick", "--quiet", "--out", "{tmp}"],
        ["proofs_check", "--quiet"],
        ["linparity.ablations", "--quick", "--quiet", "--out", "{tmp}"],
    ],
)
@pytest.mark.parametrize("delay", [0.3, 1.5])
def test_ctrl_c_at_any_moment_is_one_line_exit_130(command, delay, tmp_path):
    args = [a.format(tmp=tmp_path) for a in command]
    proc = subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # finished before the signal: nothing to check
        pytest.skip(f"{args[0]} finished within {delay} s")
    assert proc.returncode == 130 and err.count("\n") == 1 and "interrupted" in err, err


# A Ctrl-C raised into library code does not always come back out as itself. Seen
# 0.03-0.6 s into linparity.simulate: numpy's C import turned it into an ImportError,
# llvmlite's ctypes callback swallowed it (the run went on and exited 0), and a
# dataclass's __set_name__ turned it into a RuntimeError (CI). The timing test above
# meets those windows only by luck, so these tests make them happen on purpose: a real
# SIGINT, delivered inside code that converts or swallows the KeyboardInterrupt.
_INTERRUPT_IN_AN_IMPORT = """
import os, runpy, signal, sys, time
module, dependency, sys.argv = sys.argv[1], sys.argv[2], [sys.argv[1], *sys.argv[3:]]
class Finder:  # imports of `dependency` meet a Ctrl-C, which they turn into another error
    def find_spec(self, name, path=None, target=None):
        if name == dependency:
            lost = False
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)
            except KeyboardInterrupt:
                lost = True  # as in C code, the interrupt is gone: no cause, no context
            if lost:
                raise ImportError("PyCapsule_Import could not import module")
sys.meta_path.insert(0, Finder())
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize(
    "module, dependency",
    [
        ("linparity.simulate", "linparity.experiment"),
        ("linparity.ablations", "linparity.experiment"),
        ("proofs_check", "proofs_check.checks_pretrain"),
        ("linparity.figures", "linparity.figures.cli"),
    ],
)
def test_a_ctrl_c_that_an_import_turns_into_another_error_is_one_line_exit_130(module, dependency, tmp_path):
    argv = (
        ["--quiet", "--out", str(tmp_path)] if module in ("linparity.ablations", "linparity.figures") else ["--quiet"]
    )
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_IN_AN_IMPORT, module, dependency, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    detail = "" if module == "linparity.figures" else "; nothing written"
    assert proc.returncode == 130 and proc.stderr == f"{module}: interrupted{detail}\n", proc.stderr


@pytest.mark.parametrize(
    "module, argv, detail",
    [
        ("simulate", ["--d", "6", "--quiet"], "nothing written"),
        ("ablations", ["--quick", "--quiet", "--out", "{tmp}"], "arms finished so far are written"),
    ],
)
def test_a_ctrl_c_swallowed_by_a_callback_during_the_run_still_stops_it(module, argv, detail, tmp_path):
    # As llvmlite's object-cache callback does while numba loads a kernel: ctypes
    # prints "Exception ignored" and returns, and without a handler that exits the
    # run carries on (to exit 0 here; in the ablations, once, to a lock never released).
    args = [a.format(tmp=tmp_path) for a in argv]
    script = (
        "import ctypes, os, signal, sys, time\n"
        f"from linparity import {module} as command\n"
        "def run(*args, **kwargs):\n"
        "    @ctypes.CFUNCTYPE(None)\n"
        "    def callback():\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        time.sleep(5)\n"
        "    callback()\n"
        "    sys.exit(0)\n"
        "command.run = run\n"
        f"sys.exit(command.run_main('linparity.{module}', lambda: command.main({args!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130 and proc.stderr == f"linparity.{module}: interrupted; {detail}\n", proc.stderr


def test_an_interrupt_wrapped_inside_main_is_one_line_exit_130():
    script = (
        "from linparity.cli import run_main\n"
        "def main():\n"
        "    raise RuntimeError('wrapped') from KeyboardInterrupt()\n"
        "run_main('prog', main)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 130 and proc.stderr == "prog: interrupted\n", proc.stderr


def test_other_errors_are_not_taken_for_interrupts():
    from linparity.cli import is_interrupt

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ValueError("during the handling") from None  # cause suppressed, context kept
    except ValueError as exc:
        assert is_interrupt(exc), "the context chain is followed"
    assert not is_interrupt(RuntimeError("plain"))
    assert not is_interrupt(SystemExit(2))
    assert not is_interrupt(ValueError("x").with_traceback(None))


# --------------------------------------------------------------------------- runs that go nowhere


def test_a_poorly_learned_chain_is_reported_and_recorded(tmp_path, capsys):
    # d = 128 with 20k long samples: about a seventh of the long answers are right.
    out = tmp_path / "r.json"
    args = ["--d", "128", "--p-long", "0.1", "--long-target", "2000", "--eval-prompts", "2000", "--rounds", "1"]
    assert _main([*args, "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning" in err and "--long-target" in err
    result = _strict(out)
    assert [w["stage"] for w in result["warnings"]] == ["pretrain"]
    assert len(result["rl"]) == 1, "a warning only: the rounds still run"


def test_a_good_run_has_no_warnings(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _main([*SMALL, "--json", str(out)]) == 0
    assert _strict(out)["warnings"] == [] and capsys.readouterr().err == ""


def _falling_star(monkeypatch, long_fractions):
    """STaR whose measured long fraction follows ``long_fractions`` round by round."""
    from linparity import experiment

    fractions = iter(long_fractions)

    def evaluate(model, x):
        q = next(fractions)
        return {
            "p_long": q,
            "p_go": q,
            "p_short_correct": 0.5 * (1 - q),
            "sampling_accuracy": 0.5 + 0.5 * q,
            "greedy_accuracy": 0.5,
            "greedy_length": 1.0,
            "mean_length": 1.0,
            "chain_success": 1.0,
        }

    monkeypatch.setattr(experiment, "evaluate", evaluate)

    class State:  # what a round returns: something whose model() is the next sampler
        def __init__(self, model):
            self._model = model
            self.lambdas = np.full(model.d + 1, 0.01)

        def model(self):
            return self._model

    monkeypatch.setattr(experiment, "star_round", lambda model, n, lambdas, **kw: (State(model), {"kept": 0}))
    return experiment


@pytest.mark.parametrize("early_stop", [True, False])
def test_star_whose_long_fraction_falls_twice_warns_and_stops(monkeypatch, early_stop):
    experiment = _falling_star(monkeypatch, [0.2, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05])
    cfg = config_module.SimulationConfig(d=6, p_long=0.2, rounds=6, long_target=5000, eval_prompts=100)
    if not early_stop:
        cfg.target_accuracy = None
    messages = []
    result = experiment.run(cfg, on_warning=messages.append, show_progress=False)
    rounds = [r["round"] for r in result["rl"]]
    assert rounds == ([1, 2, 3] if early_stop else [1, 2, 3, 4, 5, 6])
    assert [w["stage"] for w in result["warnings"]] == ["round 3"] and "--long-target" in messages[0]
    assert "0.300 -> 0.250 -> 0.200" in messages[0]


def test_star_whose_long_fraction_rises_is_not_stopped(monkeypatch):
    experiment = _falling_star(monkeypatch, [0.2, 0.3, 0.25, 0.3, 0.28, 0.35, 0.4])
    cfg = config_module.SimulationConfig(d=6, p_long=0.2, rounds=6, long_target=5000, eval_prompts=100)
    result = experiment.run(cfg, show_progress=False)
    assert len(result["rl"]) == 6 and result["warnings"] == []


# --------------------------------------------------------------------------- defaults at larger d


def test_the_default_budgets_are_unchanged_up_to_d_64():
    from linparity import ntp

    for d in (2, 8, 32, 64):
        for p in (0.0, 0.001, 0.01, 0.1, 0.5, 1.0):
            cfg = config_module.SimulationConfig(d=d, p_long=p).validate()
            assert cfg.long_target_used() == 100_000
            assert cfg.pretrain_budget() == ntp.default_pretrain_samples(p, 100_000)
            for q in (0.0, 1e-4, 0.01, 0.5):
                old = 20_000_000 if q == 0 else int(min(20_000_000, max(50_000, math.ceil(100_000 / q))))
                assert cfg.round_budget(q) == old


@pytest.mark.parametrize("d", [128, 256, 512, 1024])
@pytest.mark.parametrize("p", [0.01, 0.1, 0.25])
def test_above_d_64_every_stage_aims_for_more_long_samples(d, p):
    cfg = config_module.SimulationConfig(d=d, p_long=p).validate()
    wanted = 100_000 * (d / 64) ** 1.5
    assert cfg.long_target_used() >= wanted
    # The caps grow with it: pre-training and a round at the pre-trained long fraction
    # both hold about the wanted long samples (20M samples would not at d = 256, p = 0.01).
    assert cfg.pretrain_budget() * p >= 0.99 * wanted
    assert cfg.round_budget(p) * p >= 0.99 * wanted


def test_an_explicit_long_target_is_kept(tmp_path):
    cfg = config_module.SimulationConfig(d=256, p_long=0.1, long_target=5000).validate()
    assert cfg.long_target_used() == 5000 and cfg.pretrain_budget() == 200_000


# --------------------------------------------------------------------------- numba's cache

_NO_LOCATOR = """
import sys
from numba.core import caching

# What a read-only install run by a user without a home looks like to numba: of its
# places to cache, only NUMBA_CACHE_DIR is left, and it is not set.
caching.CacheImpl._locator_classes = [caching.UserProvidedCacheLocator]
from linparity import simulate

sys.exit(simulate.main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_kernels_run_uncached_with_one_warning_where_numba_cannot_cache(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-c", _NO_LOCATOR, *SMALL, "--rl", "none", "--json", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1 and "warning: numba cannot cache" in proc.stderr
    assert _strict(out)["pretrain"]["samples"] > 0
