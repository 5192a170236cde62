"""Post-training by reinforcement learning: STaR, Algorithm 1 (THEORY.md section 4).

A STaR round draws prompts, samples one response each from the current model,
keeps the pairs with reward 1 and runs next-token prediction (Algorithm 3) on the
kept set. ``fresh`` re-solves that problem from zero weights (the analysed
variant); ``warm`` continues the previous round's SGD state (counters, step sizes
and running sums carry over; the averaged output covers this round's steps only).
"""

import numpy as np

from . import _validate
from .model import LinearAR
from .ntp import Algorithm3
from .task import (REWARDS, STREAM_RL_PROMPTS, STREAM_RL_SAMPLES, STREAM_SHUFFLE, Batch,
                   draw_prompts, stream_key)
from ._kernels._rollout import _rollout

STAR_MODES = ("fresh", "warm")


def sample_and_filter(model: LinearAR, n_prompts, *, seed, round_index, reward="cot",
                      temperature=1.0, chunk=1 << 16, progress=None):
    """Draw prompts, sample one response each, keep those with reward 1.

    Prompts and samples of round ``n`` come from their own streams of ``seed``, so a
    round's data does not depend on other rounds' sizes. The draw is the one of
    :func:`linparity.task.draw_prompts`, :meth:`LinearAR.generate` and
    :func:`linparity.task.reward` in turn, fused into one kernel.

    Returns
    -------
    kept : Batch
        The kept (prompt, response) pairs, in drawing order.
    counts : dict
        ``samples`` (prompts drawn), ``kept``, ``kept_long`` and ``sampled_long``
        (responses that went on after ``y_1``, right or wrong).
    """
    n_prompts = _validate.check_count(n_prompts, "n_prompts")
    if reward not in REWARDS:
        raise ValueError(f"unknown reward {reward!r}; choose one of {', '.join(REWARDS)}")
    key_x = stream_key(seed, STREAM_RL_PROMPTS, round_index)
    key_y = stream_key(seed, STREAM_RL_SAMPLES, round_index)
    inv_tau = 1.0 / _validate.check_positive(temperature, "temperature")
    parts, sampled_long = [], 0
    size = max(1, min(chunk, n_prompts))
    x, y = np.empty((size, model.d), np.int8), np.empty((size, model.d), np.int8)
    lengths, rewarded = np.empty(size, np.int64), np.empty(size, np.bool_)
    for start in range(0, n_prompts, chunk):
        n = min(chunk, n_prompts - start)
        _rollout(model.theta, model.offsets, np.uint64(key_x), np.uint64(key_y), start, inv_tau,
                 REWARDS[reward], x[:n], y[:n], lengths[:n], rewarded[:n])
        keep = rewarded[:n]
        sampled_long += int(np.count_nonzero(lengths[:n] != 1))
        parts.append((x[:n][keep], y[:n][keep], lengths[:n][keep]))
        if progress is not None:
            progress(start + n, n_prompts)
    d = model.d
    if parts:
        kept = Batch(*(np.concatenate(arrays) for arrays in zip(*parts)))
    else:
        kept = Batch(np.empty((0, d), np.int8), np.empty((0, d), np.int8), np.empty(0, np.int64))
    counts = {"samples": n_prompts, "kept": len(kept.lengths),
              "kept_long": int(np.count_nonzero(kept.lengths != 1)), "sampled_long": sampled_long}
    return kept, counts


def train_on_kept(kept: Batch, lambdas, *, state=None, epochs=1, seed=0, round_index=0):
    """Next-token prediction on the kept set: Algorithm 3, ``epochs`` passes.

    Parameters
    ----------
    kept : Batch
    lambdas : ndarray, shape (d + 1,)
        Per-block regularisation for a fresh state (ignored when ``state`` is given).
    state : Algorithm3, optional
        Continue this state (warm start) instead of starting from zero.
    epochs : int
        Passes over the kept set; the first pass keeps drawing order, later passes
        are shuffled with the round's own stream.

    Returns
    -------
    Algorithm3
    """
    epochs = _validate.check_count(epochs, "epochs", minimum=1)
    d = kept.x.shape[1]
    if state is None:
        state = Algorithm3(d, lambdas)
    else:
        state.restart_average()
    n = len(kept.lengths)
    rng = np.random.default_rng(stream_key(seed, STREAM_SHUFFLE, round_index))
    for epoch in range(epochs):
        order = np.arange(n) if epoch == 0 else rng.permutation(n)
        state.partial_fit(kept.x, kept.y, kept.lengths, order)
    return state
