"""Evaluation of a model on fixed prompts: exact probabilities and greedy decoding.

Implements the metrics that THEORY.md sections 3-4 make predictions about. All
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
        greedy response, averaged.
    """
    stats = model.response_stats(x)
    p_long, p_short, p_go = (float(v) for v in stats.mean(axis=0))
    y, lengths = model.greedy(x)
    return {
        "p_long": p_long,
        "p_short_correct": p_short,
        "sampling_accuracy": p_long + p_short,
        "p_go": p_go,
        "mean_length": 1.0 + (model.d - 1) * p_go,
        "greedy_accuracy": float(np.mean(reward("cot", x, y, lengths, check=False))),
        "greedy_length": float(np.mean(lengths)),
    }
