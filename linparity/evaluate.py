"""Evaluation of a model on fixed prompts: exact probabilities and greedy decoding.

Implements the metrics that docs/theory.md sections 3-4 make predictions about. All
sampling quantities are exact (products of token probabilities), not Monte Carlo.
"""

import numpy as np

from .model import LinearAR
from .task import STREAM_EVAL, draw_prompts, reward, stream_key


def eval_prompts(d, n, seed):
    """The evaluation prompts of a run: ``n`` prompts from its own stream of ``seed``."""
    return draw_prompts(n, d, key=stream_key(seed, STREAM_EVAL))


def evaluate(model: LinearAR, x):
    """Metrics of ``model`` on the prompts ``x`` (means over prompts).

    Returns
    -------
    dict
        ``p_long``: pi(correct long response), the measured long fraction;
        ``p_short_correct``: pi(correct short response);
        ``sampling_accuracy``: expected ``r_cot`` at temperature 1 (their sum);
        ``p_go``: probability of a long response, right or wrong;
        ``mean_length``: expected number of value tokens at temperature 1,
        ``1 + (d - 1) p_go``;
        ``greedy_accuracy`` and ``greedy_length``: ``r_cot`` and length of the
        greedy response, averaged;
        and the decomposition ``p_long = p_copy * p_go_given_copy * chain_success``
        (docs/theory.md section 4.8), each a probability under the prompts' uniform
        mixture: ``p_copy`` = P(y_1 = x_1), ``p_go_given_copy`` = P(go on | y_1 = x_1),
        ``p_go_given_no_copy`` = P(go on | y_1 != x_1) and ``chain_success`` =
        P(correct chain | y_1 = x_1, go on) (None where its condition has probability 0).
    """
    stats = model.response_stats(x)
    p_long, p_short, p_go = (float(v) for v in stats[:, :3].mean(axis=0))
    copy, go_copy, go_flip = stats[:, 3], stats[:, 4], stats[:, 5]
    p_copy = float(copy.mean())
    copy_go = float(np.mean(copy * go_copy))
    y, lengths = model.greedy(x)
    return {
        "p_long": p_long,
        "p_short_correct": p_short,
        "sampling_accuracy": p_long + p_short,
        "p_go": p_go,
        "mean_length": 1.0 + (model.d - 1) * p_go,
        "p_copy": p_copy,
        "p_go_given_copy": _ratio(copy_go, p_copy),
        "p_go_given_no_copy": _ratio(float(np.mean((1.0 - copy) * go_flip)), 1.0 - p_copy),
        "chain_success": _ratio(p_long, copy_go),
        "greedy_accuracy": float(np.mean(reward("cot", x, y, lengths, check=False))),
        "greedy_length": float(np.mean(lengths)),
    }


def _ratio(num, den):
    # A conditional probability whose condition never happens is undefined, not 0 or nan
    # (the JSON record stays strict).
    return num / den if den > 0 else None


# The sweep, the figures and the ablations all ask the same question of a run: when did
# greedy decoding first generalise?  They answer it here, with one threshold.
GENERALISE_ACCURACY = 0.99
"""Greedy accuracy at which a run counts as having learned parity (docs/theory.md section 5)."""


def stages(result):
    """The evaluation points of a run, in order: pre-training, then every RL record.

    Parameters
    ----------
    result : dict
        A run record as written by ``python -m linparity.simulate --json``.

    Returns
    -------
    list of dict
        ``name`` ("pretrain", "round n" or "step n"), ``samples`` (cumulative samples
        seen: pre-training plus RL prompts), ``rl`` (False for pre-training) and
        ``record`` (the stage's metrics).
    """
    pre = result["pretrain"]
    out = [{"name": "pretrain", "samples": pre["samples"], "rl": False, "record": pre}]
    for i, r in enumerate(result["rl"], start=1):
        name = f"step {r['step']}" if "step" in r else f"round {r.get('round', i)}"
        out.append({"name": name, "samples": r["cumulative_samples"], "rl": True, "record": r})
    return out


def first_generalising(result, *, threshold=GENERALISE_ACCURACY, budget=None, rl_only=False, length=None):
    """The first stage whose greedy accuracy reaches ``threshold``, or None.

    Parameters
    ----------
    result : dict
        A run record (see :func:`stages`).
    threshold : float
        Greedy accuracy to reach; :data:`GENERALISE_ACCURACY` by default.
    budget : int, optional
        Stages that have seen more than this many samples are not considered.
    rl_only : bool
        Skip the pre-training stage (for "how many RL rounds or steps").
    length : float, optional
        Also require this greedy length (``d`` asks for the full chain).

    Returns
    -------
    dict or None
        The stage, as in :func:`stages`.
    """
    for stage in stages(result):
        if budget is not None and stage["samples"] > budget:
            break
        if rl_only and not stage["rl"]:
            continue
        r = stage["record"]
        if r["greedy_accuracy"] >= threshold and (length is None or r["greedy_length"] == length):
            return stage
    return None


def samples_to_generalise(result, budget=None, threshold=GENERALISE_ACCURACY):
    """Samples consumed until greedy accuracy first reaches ``threshold``.

    Pre-training is stage 0 (its ``samples``); an RL record counts its
    ``cumulative_samples``.  Stages past ``budget`` are ignored.

    Returns
    -------
    dict
        ``reached`` (bool), ``samples`` (int or None), ``stage`` ("pretrain", "round n",
        "step n" or None) and ``samples_used`` (total of the whole run).
    """
    hit = first_generalising(result, threshold=threshold, budget=budget)
    return {
        "reached": hit is not None,
        "samples": hit["samples"] if hit else None,
        "stage": hit["name"] if hit else None,
        "samples_used": stages(result)[-1]["samples"],
    }
