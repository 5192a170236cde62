"""One experiment end to end: pre-training, then STaR rounds or policy-gradient steps.

:func:`run` pre-trains the linear autoregressive model with Algorithm 3 on D(p_long)
(docs/theory.md section 3), then post-trains it (section 4) with STaR rounds
(:func:`star_rounds`) or REINFORCE / GRPO steps (:func:`policy_gradient_steps`),
evaluating exactly after every stage.  The result is the JSON record of
``python -m linparity.simulate --json`` (its fields are listed in the README).

Theorem 2's prediction ``p_n`` and the calibrated pre-training predictions are put
*beside* the measurements in the record; nothing computed from :mod:`linparity.theory`
is read back by training or evaluation.
"""

import dataclasses
import math
import time

from . import theory
from .config import PG_FIELDS, SimulationConfig, check_memory
from .evaluate import GENERALISE_ACCURACY, eval_prompts, evaluate
from .ntp import pretrain
from .progress import Progress
from .rl import PG_ALGORITHMS, PolicyGradient, star_round


def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


#: Below this chain success (P(correct chain | y_1 = x_1, go on), see evaluate), pre-training
#: has not learned the chain.
CHAIN_SUCCESS_MIN = 0.5


def lambda_record(lambdas):
    """The ``lambda`` of every block as a stage records it: ``{"1", "2a", "chain": [l = 2..d]}``.

    A stage's own lambdas are what a prediction of that stage needs (docs/theory.md
    section 4.8 computes its finite-lambda map from them).
    """
    return {"1": float(lambdas[0]), "2a": float(lambdas[1]), "chain": [float(v) for v in lambdas[2:]]}


def run(cfg: SimulationConfig, *, on_record=None, on_warning=None, show_progress=True):
    """Run one experiment; return the JSON-ready result (see the README for its fields).

    Parameters
    ----------
    cfg : SimulationConfig
        Not modified: the run works on a validated copy, and the resolved values
        (automatic sizes, lambdas) are recorded in the result's ``config``.
    on_record : callable(stage, record), optional
        Called after pre-training (``stage == "pretrain"``) and after every RL record
        (``stage == "rl"``).
    on_warning : callable(message), optional
        Called with each warning (also recorded in the result's ``warnings``): a run
        that is going nowhere says so and names the flag to change. A chain learned
        poorly in pre-training (below :data:`CHAIN_SUCCESS_MIN`) is only reported;
        STaR rounds whose long fraction falls twice in a row are also stopped, unless
        the config has no target accuracy (``--no-early-stop``).
    show_progress : bool
        Draw a progress bar on a TTY.

    Returns
    -------
    dict
        ``config``, ``pretrain``, ``rl`` (list), ``predicted``, ``warnings`` (list of
        ``{"stage", "message"}``) and ``wall_seconds``.
    """
    cfg = cfg.validate()
    if cfg.rl in PG_ALGORITHMS:
        cfg = cfg.resolve_pg()
    check_memory(cfg)
    wall = time.perf_counter()
    d, p = cfg.d, cfg.p_long
    x_eval = eval_prompts(d, cfg.eval_prompts, cfg.seed)
    n_pre = cfg.pretrain_budget()
    pre_lambdas = cfg.lambdas(n_pre, int(round(p * n_pre)))

    start = time.perf_counter()
    with Progress("pre-training", n_pre, enabled=show_progress) as bar:
        state = pretrain(
            d, p, n_pre, seed=cfg.seed, lambdas=pre_lambdas, position1=cfg.position1_features, progress=bar
        )
    model = state.model()
    metrics = evaluate(model, x_eval)
    pre = {
        "samples": n_pre,
        "long_samples": state.long_samples,
        **metrics,
        "lambdas": lambda_record(pre_lambdas),
        "predicted_p_long": float(theory.star_long_fraction(p, 0)),
        "seconds": time.perf_counter() - start,
    }
    if on_record:
        on_record("pretrain", pre)
    warnings = []

    def warn(stage, message):
        warnings.append({"stage": stage, "message": message})
        if on_warning:
            on_warning(message)

    success = metrics["chain_success"]
    if success is not None and success < CHAIN_SUCCESS_MIN and not _reached(cfg, metrics):
        # A warning, not a stop: RL keeps only correct answers and can still learn the
        # chain from them (the ablations' "start after 10k samples" STaR arm does).
        warn(
            "pretrain",
            f"pre-training learned the chain poorly: {success:.0%} of the long answers that start with x_1 are correct "
            f"at d = {d}; raise --long-target (now {cfg.long_target_used():,}) or --pretrain-samples",
        )

    if cfg.rl in PG_ALGORITHMS:
        records = policy_gradient_steps(cfg, model, metrics, x_eval, n_pre, on_record, show_progress)
    elif cfg.rl == "star":
        records = star_rounds(cfg, state, model, metrics, x_eval, n_pre, on_record, show_progress, warn)
    else:
        records = []

    predicted = {
        "rounds_to_greedy": _finite_or_none(theory.rounds_to_greedy(p)),
        "pretrain_p_long": float(theory.pretrain_long_fraction(p)),
        "pretrain_greedy_accuracy": float(theory.pretrain_greedy_accuracy(p)),
        "pretrain_mean_length": float(theory.pretrain_mean_length(p, d)),
    }
    if cfg.position1_features == "walsh":  # the population optimum of section 3.12 instead
        predicted = {
            "rounds_to_greedy": None,
            "pretrain_p_long": float(theory.walsh_long_fraction(p)),
            "pretrain_greedy_accuracy": float(theory.walsh_greedy_accuracy(p)),
            "pretrain_greedy_length": _finite_or_none(theory.walsh_greedy_length(p, d)),
            "pretrain_sampling_accuracy": float(theory.walsh_sampling_accuracy(p)),
        }
    config = dataclasses.asdict(cfg)
    config["lambda"] = config.pop("lambda_")
    if cfg.rl not in PG_ALGORITHMS:
        for name in PG_FIELDS:
            del config[name]
    config.update(
        pretrain_samples_used=n_pre,
        long_target_used=cfg.long_target_used(),
    )
    return {
        "config": config,
        "pretrain": pre,
        "rl": records,
        "predicted": predicted,
        "warnings": warnings,
        "wall_seconds": time.perf_counter() - wall,
    }


def _reached(cfg, metrics):
    return cfg.target_accuracy is not None and metrics["greedy_accuracy"] >= cfg.target_accuracy


def star_rounds(cfg, state, model, metrics, x_eval, total, on_record=None, show_progress=True, warn=None):
    """STaR (Algorithm 1, docs/theory.md section 4.1) until greedy decoding is accurate.

    Parameters
    ----------
    cfg : SimulationConfig
        A validated config (rounds, budgets, lambdas, STaR mode, reward, temperature).
    state : linparity.ntp.Algorithm3
        The pre-training state (warm rounds continue its SGD).
    model : linparity.model.LinearAR
        The pre-trained model (its averaged iterates): the first round's sampler.
    metrics : dict
        The pre-trained model's metrics on ``x_eval`` (they size the first round).
    x_eval : ndarray
        Evaluation prompts.
    total : int
        Samples seen so far (pre-training).
    warn : callable(stage, message), optional
        Told when the long fraction has fallen two rounds in a row before greedy
        success: the rounds are then stopped, unless ``cfg.target_accuracy`` is None.

    Returns
    -------
    list of dict
        One record per round.
    """
    records = []
    history = [metrics["p_long"]]
    warned = False
    for n in range(1, cfg.rounds + 1):
        if _reached(cfg, metrics):
            break
        start = time.perf_counter()
        n_prompts = cfg.round_budget(metrics["p_long"])
        if cfg.max_samples is not None and total + n_prompts > cfg.max_samples:
            break  # the next round would not fit in the sample budget
        # Fresh rounds stream the kept pairs into the SGD, so lambda is set before
        # the round, from the kept counts that the model's measured probabilities
        # imply (sampling accuracy and long probability, both under r_cot).
        lambdas = cfg.lambdas(int(n_prompts * metrics["sampling_accuracy"]), int(n_prompts * metrics["p_long"]))
        with Progress(f"STaR round {n}", n_prompts, unit="prompts", enabled=show_progress) as bar:
            state, counts = star_round(
                model,
                n_prompts,
                lambdas,
                seed=cfg.seed,
                round_index=n,
                state=state if cfg.star_mode == "warm" else None,
                reward=cfg.reward,
                temperature=cfg.temperature,
                epochs=cfg.epochs,
                progress=bar,
            )
        model = state.model()
        metrics = evaluate(model, x_eval)
        total += n_prompts
        record = {
            "round": n,
            **counts,
            "cumulative_samples": total,
            **metrics,
            # The lambdas the round's SGD used: a warm round continues the state, so
            # it keeps the pre-training's (docs/theory.md section 4.1).
            "lambdas": lambda_record(state.lambdas),
            "warm_start": cfg.star_mode == "warm",
            "predicted_p_long": float(theory.star_long_fraction(cfg.p_long, n)),
            "seconds": time.perf_counter() - start,
        }
        records.append(record)
        if on_record:
            on_record("rl", record)
        history.append(metrics["p_long"])
        falling = len(history) >= 3 and history[-1] < history[-2] < history[-3]
        if falling and not warned and not _reached(cfg, metrics) and metrics["greedy_accuracy"] < GENERALISE_ACCURACY:
            warned = True  # once: with --no-early-stop the fall can go on for many rounds
            trend = " -> ".join(f"{q:.3f}" for q in history[-3:])
            if warn:
                warn(
                    f"round {n}",
                    f"STaR's long fraction fell two rounds in a row ({trend}): the rounds keep too few long "
                    f"samples to learn the chain at d = {cfg.d}; raise --long-target (now {cfg.long_target_used():,})",
                )
            if cfg.target_accuracy is not None:
                break
    return records


def policy_gradient_steps(cfg, model, metrics, x_eval, total, on_record=None, show_progress=True):
    """REINFORCE or GRPO steps (docs/theory.md section 4.3) with an exact evaluation every ``eval_every`` steps.

    Each record sums the counts of the steps since the previous one; ``round`` numbers
    the evaluation points and ``step`` is the number of steps taken.  Stops at the
    first evaluation point where greedy accuracy reaches the target.

    Parameters
    ----------
    cfg : SimulationConfig
        A validated config with resolved batch and group sizes
        (:meth:`SimulationConfig.resolve_pg`).
    model : linparity.model.LinearAR
        The pre-trained model (not modified).
    metrics, x_eval, total
        As in :func:`star_rounds`.

    Returns
    -------
    list of dict
        One record per evaluation point.
    """
    records = []
    if _reached(cfg, metrics):
        return records
    pg = PolicyGradient(
        model,
        cfg.rl,
        seed=cfg.seed,
        lr=cfg.lr,
        batch_size=cfg.batch_size,
        group_size=cfg.group_size,
        reward=cfg.reward,
        temperature=cfg.temperature,
        baseline=cfg.baseline,
        anchor=cfg.anchor,
    )
    counts, start = {}, time.perf_counter()

    def evaluation_point(step):
        nonlocal total, counts, start
        metrics = evaluate(pg.model, x_eval)
        total += counts["samples"]
        prompts = counts.pop("prompts")
        record = {
            "round": len(records) + 1,
            **counts,
            "cumulative_samples": total,
            **metrics,
            "predicted_p_long": None,
            "seconds": time.perf_counter() - start,
            "step": step,
            "prompts": prompts,
        }
        records.append(record)
        if on_record:
            on_record("rl", record)
        counts, start = {}, time.perf_counter()
        return metrics

    with Progress(cfg.rl, cfg.rl_steps, unit="steps", enabled=show_progress) as bar:
        for step in range(1, cfg.rl_steps + 1):
            pending = counts.get("samples", 0)
            if cfg.max_samples is not None and total + pending + pg.responses_per_step > cfg.max_samples:
                if counts:  # the steps taken since the last evaluation still count
                    evaluation_point(step - 1)
                break
            for k, v in pg.step().items():
                counts[k] = counts.get(k, 0) + v
            bar(step)
            if step % cfg.eval_every and step != cfg.rl_steps:
                continue
            metrics = evaluation_point(step)
            if _reached(cfg, metrics):
                break
    return records
