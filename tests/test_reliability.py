"""Hostile and extreme input to the commands: one line on stderr, the right exit code, no damage.

Each test here failed on the code before the fix it guards (see the commit that adds it).
"""

import math

import pytest

from linparity import config as config_module
from linparity import simulate

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


def test_memory_estimate_grows_with_each_dominant_flag():
    base, _ = config_module.memory_needed(config_module.SimulationConfig().validate())
    bigger_eval, flag = config_module.memory_needed(config_module.SimulationConfig(eval_prompts=10**8))
    assert flag == "--eval-prompts" and bigger_eval > 50 * base
    bigger_d, flag = config_module.memory_needed(config_module.SimulationConfig(d=4096, eval_prompts=10))
    assert flag == "--d" and bigger_d > 2 * 2**30
    # The default run plans far less than a gigabyte: the check cannot refuse it anywhere.
    assert base < 2**30 and math.isfinite(base)
