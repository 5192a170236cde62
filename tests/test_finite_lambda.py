"""The finite-lambda STaR map (docs/theory.md section 4.8) and the measured decomposition."""

import math

import numpy as np
import pytest

from linparity import task, theory
from linparity.evaluate import evaluate
from linparity.model import LinearAR
from linparity.theory import finite_lambda_map, finite_lambda_star, kept_masses, stage_optimum


def _lambdas(d, lam_1, lam_2a, lam_chain):
    return {"1": lam_1, "2a": lam_2a, "chain": [lam_chain] * (d - 1)}


@pytest.mark.parametrize("p", [0.003, 0.05, 0.2, 0.45])
def test_vanishing_lambdas_give_theorem2(p):
    d, rounds = 8, 12
    stages = finite_lambda_map(d, p, [_lambdas(d, 1e-10, 1e-10, 1e-10)] * (rounds + 1))
    for n, stage in enumerate(stages):
        p_n = float(theory.star_long_fraction(p, n))
        assert stage["p_long"] == pytest.approx(p_n, rel=1e-6, abs=1e-8)
        assert stage["kept_long_share"] == pytest.approx(p_n, rel=1e-6)
        # the calibrated decomposition of section 3: copy (1+p)/2, go on 2p/(1+p), chain 1
        assert stage["p_copy"] == pytest.approx((1 + p_n) / 2, rel=1e-6)
        assert stage["p_go_given_copy"] == pytest.approx(2 * p_n / (1 + p_n), rel=1e-6)
        # sigma(-v) ~ (lambda / (2 S_f)) ln(2 S_f / lambda) -> 0, slowest where the flip
        # mass S_f = (1 - p_n) / 4 is smallest (about 1e-4 after 12 rounds at p = 0.45)
        assert stage["p_go_given_no_copy"] < 1e-4
        assert stage["p_short_correct"] == pytest.approx((1 - p_n) / 2, rel=1e-5)


def test_penalties_make_the_long_fraction_level_off_below_one():
    d = 16
    stages = finite_lambda_map(d, 0.2, [_lambdas(d, 0.0126, 0.007, 2e-4)] * 16)
    p_long = [s["p_long"] for s in stages]
    assert p_long[-1] < 0.95 and abs(p_long[-1] - p_long[-2]) < 1e-3  # a plateau
    assert theory.star_long_fraction(0.2, 15) > 0.999  # where Theorem 2 goes on to 1


def test_stage_optimum_solves_the_sympy_first_order_conditions():
    s, e = theory.symbols, theory.expressions
    masses = (0.6, 0.3, 0.1)
    lam_1, lam_2a = 0.03, 0.05
    opt = stage_optimum(masses, lam_1, lam_2a, [1e-3, 2e-3])
    logit = lambda q: math.log(q / (1 - q))  # noqa: E731
    values = {
        s.mass_long: masses[0],
        s.mass_short_copy: masses[1],
        s.mass_short_flip: masses[2],
        s.logit_1: logit(opt["p_copy"]),
        s.logit_copy: logit(opt["p_eos_copy"]),
        s.logit_flip: logit(opt["p_eos_flip"]),
    }
    for name, lam in (("position1", lam_1), ("copy", lam_2a), ("flip", lam_2a)):
        residual = float(e[f"finite_lambda_foc_{name}"].subs({**values, s.lambda_: lam}))
        assert abs(residual) < 1e-12, name
    expected = (1 - theory.regularised_wrong_probability(1e-3)) * (1 - theory.regularised_wrong_probability(2e-3))
    assert opt["chain_success"] == pytest.approx(expected, rel=1e-12)


def test_kept_masses_match_sympy_and_carry_the_copy_bias():
    s, e = theory.symbols, theory.expressions
    model = {"p_copy": 0.9, "p_eos_copy": 0.2, "p_eos_flip": 0.7, "chain_success": 0.95}
    masses, kept = kept_masses(model)
    values = {s.copy: 0.9, s.eos_copy: 0.2, s.eos_flip: 0.7, s.chain_success: 0.95}
    raw = [float(e[f"finite_lambda_kept_{k}"].subs(values)) for k in ("long", "short_copy", "short_flip")]
    assert kept == pytest.approx(sum(raw), rel=1e-14)
    assert masses == pytest.approx([r / sum(raw) for r in raw], rel=1e-14)
    # kept short answers start with x_1 far more often than half the time
    assert masses[1] / (masses[1] + masses[2]) == pytest.approx(0.18 / (0.18 + 0.07))


def test_pretraining_stage_is_the_regularised_optima_of_section_3():
    d, p = 10, 0.15
    lam = _lambdas(d, 0.02, 0.01, 5e-4)
    stage = finite_lambda_map(d, p, [lam])[0]
    a = theory.regularised_position1_weight(p, 0.02)
    u, v = theory.regularised_2a_logits(p, 0.01)
    assert stage["p_copy"] == pytest.approx(1 / (1 + math.exp(-a)), rel=1e-12)
    assert stage["p_go_given_copy"] == pytest.approx(1 / (1 + math.exp(u)), rel=1e-12)
    assert stage["p_go_given_no_copy"] == pytest.approx(1 / (1 + math.exp(v)), rel=1e-12)


def _record(**config):
    base = {"d": 8, "p_long": 0.2, "rl": "star", "star_mode": "fresh", "reward": "cot", "temperature": 1.0}
    stage = {"lambdas": _lambdas(8, 0.01, 0.01, 1e-3), "chain_success": 0.99}
    return {"config": {**base, **config}, "pretrain": stage, "rl": [stage, stage]}


def test_finite_lambda_star_reads_a_record_and_refuses_what_it_does_not_cover():
    assert len(finite_lambda_star(_record())) == 3
    measured = finite_lambda_star(_record(), chain="measured")
    assert all(s["chain_success"] == 0.99 for s in measured)
    for bad in ({"star_mode": "warm"}, {"reward": "e2e"}, {"temperature": 0.5}, {"rl": "grpo"}, {"d": 2}):
        with pytest.raises(ValueError):
            finite_lambda_star(_record(**bad))
    old = _record()
    del old["rl"][0]["lambdas"]
    with pytest.raises(ValueError, match="lambdas"):
        finite_lambda_star(old)
    with pytest.raises(ValueError):
        finite_lambda_star(_record(), chain="guess")


def test_measured_decomposition_multiplies_to_the_long_fraction(rng):
    d = 7
    theta = rng.normal(scale=0.5, size=LinearAR(d).theta.size)
    model = LinearAR(d, theta)
    x = task.draw_prompts(500, d, key=11)
    m = evaluate(model, x)
    assert m["p_copy"] * m["p_go_given_copy"] * m["chain_success"] == pytest.approx(m["p_long"], rel=1e-12)
    go = m["p_copy"] * m["p_go_given_copy"] + (1 - m["p_copy"]) * m["p_go_given_no_copy"]
    assert go == pytest.approx(m["p_go"], rel=1e-12)
    # the copy rate is the mean of P(y_1 = x_1 | x) = sigma(x_1 <w_1, x>)
    s1 = x @ model.w1
    assert m["p_copy"] == pytest.approx(np.mean(1 / (1 + np.exp(-x[:, 0] * s1))), rel=1e-12)


def test_zero_model_decomposition():
    m = evaluate(LinearAR(5), task.draw_prompts(20, 5, key=1))
    assert m["p_copy"] == m["p_go_given_copy"] == m["p_go_given_no_copy"] == 0.5
    assert m["chain_success"] == pytest.approx(0.5**4)


@pytest.mark.parametrize("mode", ["fresh", "warm"])
def test_rounds_record_the_lambdas_they_ran_with(mode):
    # docs/theory.md section 4.1: a warm round continues pre-training's state, so it
    # runs with pre-training's lambdas; a fresh round sets its own from its kept set
    from linparity import config as config_module
    from linparity import experiment

    cfg = config_module.SimulationConfig(
        d=6, p_long=0.2, rounds=2, long_target=3000, eval_prompts=200, star_mode=mode, target_accuracy=None
    )
    result = experiment.run(cfg, show_progress=False)
    pre = result["pretrain"]["lambdas"]
    assert [r["warm_start"] for r in result["rl"]] == [mode == "warm"] * 2
    for r in result["rl"]:
        assert (r["lambdas"] == pre) == (mode == "warm")
    if mode == "warm":
        with pytest.raises(ValueError, match="star_mode"):
            finite_lambda_star(result)
    else:
        assert len(finite_lambda_star(result)) == 3
