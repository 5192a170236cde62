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
from ._kernels._rollout import _compact_rows, _rollout

STAR_MODES = ("fresh", "warm")


def sample_and_filter(model: LinearAR, n_prompts, *, seed, round_index, reward="cot",
                      temperature=1.0, chunk=1 << 16, progress=None, concatenate=True):
    """Draw prompts, sample one response each, keep those with reward 1.

    Prompts and samples of round ``n`` come from their own streams of ``seed``, so a
    round's data does not depend on other rounds' sizes. The draw is the one of
    :func:`linparity.task.draw_prompts`, :meth:`LinearAR.generate` and
    :func:`linparity.task.reward` in turn, fused into one kernel.

    Returns
    -------
    kept : Batch or list of Batch
        The kept (prompt, response) pairs, in drawing order; with
        ``concatenate=False``, one Batch per chunk (no copy of the whole set).
    counts : dict
        ``samples`` (prompts drawn), ``kept``, ``kept_long`` and ``sampled_long``
        (responses that went on after ``y_1``, right or wrong).
    """
    parts = []

    def store(x, y, lengths, rewarded):
        parts.append(_compact(x, y, lengths, rewarded))
        return len(parts[-1].lengths), int(np.count_nonzero(parts[-1].lengths != 1))

    counts = _rollouts(model, n_prompts, seed, round_index, reward, temperature, chunk, progress, store)
    return (_concatenate(parts, model.d) if concatenate else parts), counts


def _concatenate(parts, d):
    if not parts:
        return Batch(np.empty((0, d), np.int8), np.empty((0, d), np.int8), np.empty(0, np.int64))
    return Batch(*(np.concatenate(arrays) for arrays in zip(*parts)))


def star_round(model: LinearAR, n_prompts, lambdas, *, seed, round_index, state=None, reward="cot",
               temperature=1.0, epochs=1, chunk=1 << 16, progress=None):
    """One STaR round (Algorithm 1): sample, keep the rewarded pairs, train on them.

    With one epoch the kept pairs go to the SGD chunk by chunk as they are drawn,
    so the kept set is never stored (a fresh round needs ``lambdas`` up front, not
    the kept counts). The result equals :func:`sample_and_filter` followed by
    :func:`train_on_kept`.

    Parameters
    ----------
    model : LinearAR
        The policy that samples this round's responses.
    n_prompts : int
    lambdas : ndarray, shape (d + 1,)
        Regularisation of a fresh state (ignored when ``state`` is given).
    seed, round_index : int
        Name this round's random streams.
    state : Algorithm3, optional
        Warm start: continue this state (its average restarts) instead of a fresh one.
    reward : {"cot", "e2e"}
    temperature : float
        Sampling temperature of the rollouts.
    epochs : int
        Passes over the kept set (more than one stores it).

    Returns
    -------
    state : Algorithm3
    counts : dict
        As in :func:`sample_and_filter`.
    """
    if epochs != 1:
        kept, counts = sample_and_filter(model, n_prompts, seed=seed, round_index=round_index,
                                         reward=reward, temperature=temperature, chunk=chunk,
                                         progress=progress, concatenate=False)
        return train_on_kept(kept, lambdas, state=state, epochs=epochs, seed=seed,
                             round_index=round_index), counts
    if state is None:
        state = Algorithm3(model.d, lambdas)
    else:
        state.restart_average()

    def train(x, y, lengths, rewarded):
        state.partial_fit(x, y, lengths, np.flatnonzero(rewarded), check=False)
        return int(np.count_nonzero(rewarded)), int(np.count_nonzero(rewarded & (lengths != 1)))

    counts = _rollouts(model, n_prompts, seed, round_index, reward, temperature, chunk, progress, train)
    return state, counts


def _rollouts(model, n_prompts, seed, round_index, reward, temperature, chunk, progress, consume):
    """Run the round's rollouts chunk by chunk; ``consume(x, y, lengths, rewarded)`` returns
    the chunk's (kept, kept_long) counts."""
    n_prompts = _validate.check_count(n_prompts, "n_prompts")
    if reward not in REWARDS:
        raise ValueError(f"unknown reward {reward!r}; choose one of {', '.join(REWARDS)}")
    key_x = np.uint64(stream_key(seed, STREAM_RL_PROMPTS, round_index))
    key_y = np.uint64(stream_key(seed, STREAM_RL_SAMPLES, round_index))
    inv_tau = 1.0 / _validate.check_positive(temperature, "temperature")
    size = max(1, min(chunk, n_prompts))
    x, y = np.empty((size, model.d), np.int8), np.empty((size, model.d), np.int8)
    lengths, rewarded = np.empty(size, np.int64), np.empty(size, np.bool_)
    counts = {"samples": n_prompts, "kept": 0, "kept_long": 0, "sampled_long": 0}
    params = model.kernel_params()
    for start in range(0, n_prompts, chunk):
        n = min(chunk, n_prompts - start)
        _rollout(params, model.offsets, key_x, key_y, start, inv_tau, REWARDS[reward],
                 x[:n], y[:n], lengths[:n], rewarded[:n])
        kept, kept_long = consume(x[:n], y[:n], lengths[:n], rewarded[:n])
        counts["kept"] += kept
        counts["kept_long"] += kept_long
        counts["sampled_long"] += int(np.count_nonzero(lengths[:n] != 1))
        if progress is not None:
            progress(start + n, n_prompts)
    return counts


def _compact(x, y, lengths, keep):
    """The rows with ``keep`` set, in order, as new arrays (a kernel: numpy's boolean
    indexing of 2-d rows costs more than the rollout that made them)."""
    n_kept = int(np.count_nonzero(keep))
    out = Batch(np.empty((n_kept, x.shape[1]), np.int8), np.empty((n_kept, x.shape[1]), np.int8),
                np.empty(n_kept, np.int64))
    _compact_rows(x, y, lengths, keep, *out)
    return out


def train_on_kept(kept: Batch, lambdas, *, state=None, epochs=1, seed=0, round_index=0):
    """Next-token prediction on the kept set: Algorithm 3, ``epochs`` passes.

    Parameters
    ----------
    kept : Batch or list of Batch
        The kept set, whole or in consecutive parts (the result is the same).
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
    parts = [kept] if isinstance(kept, Batch) else list(kept)
    if state is None:
        if not parts:
            raise ValueError("a fresh round needs a kept set with its d (got no parts)")
        state = Algorithm3(parts[0].x.shape[1], lambdas)
    else:
        state.restart_average()
    for part in parts:  # first epoch: drawing order, part by part
        state.partial_fit(*part, check=False)
    if epochs > 1:
        whole = _concatenate(parts, state.d)
        rng = np.random.default_rng(stream_key(seed, STREAM_SHUFFLE, round_index))
        for _ in range(epochs - 1):
            state.partial_fit(*whole, rng.permutation(len(whole.lengths)), check=False)
    return state
