"""The task: parity of d bits with a rare chain of thought (docs/theory.md section 1).

Encoding used throughout the package
------------------------------------
* prompts ``x``: int8 array (n, d) of +-1;
* responses: ``y`` int8 array (n, d) of value tokens, +-1 up to the response's
  length and 0 after it (the EOS that ends a response is implicit in its length),
  and ``lengths`` int64 array (n,) with the number of value tokens, 1 or d.

The correct long response is the prefix parities ``(c_1, ..., c_d)``, the correct
short one is ``(chi(x))``. Randomness is counter-based: a draw is a pure function of
a 64-bit stream key (:func:`stream_key`) and the sample's index in the stream.
"""

from typing import NamedTuple

import numpy as np

from . import validation
from ._kernels._task import _draw_demonstrations, _draw_prompts, _rewards


class Batch(NamedTuple):
    """Prompts with one response each (see the module docstring for the encoding)."""

    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray


def stream_key(seed, *path):
    """The 64-bit key of the random stream named ``path`` under ``seed``.

    Streams are independent children of ``numpy.random.SeedSequence(seed)``; the
    path (small non-negative integers) names the stream, e.g. ``(STREAM_EVAL,)`` or
    ``(STREAM_RL_SAMPLES, round)``.
    """
    seed = validation.check_count(seed, "seed")
    path = tuple(validation.check_count(p, "stream path entry") for p in path)
    seq = np.random.SeedSequence(seed, spawn_key=path)
    return int(seq.generate_state(1, np.uint64)[0])


# Names of the streams a simulation uses; a new stream gets a new number.
STREAM_PRETRAIN = 0
STREAM_EVAL = 1
STREAM_RL_PROMPTS = 2
STREAM_RL_SAMPLES = 3
STREAM_SHUFFLE = 4
STREAM_PG_PROMPTS = 5
STREAM_PG_SAMPLES = 6


def draw_prompts(n, d, *, key, start=0, out=None):
    """Uniform prompts ``x`` in {-1, +1}^d: the samples ``start .. start + n - 1`` of a stream.

    Parameters
    ----------
    n, d : int
        Number of prompts and of bits (d >= 2).
    key : int
        Stream key from :func:`stream_key`.
    start : int
        Index of the first prompt in the stream.
    out : ndarray of int8, optional
        An array with at least n rows of d bits to fill (its first n rows are returned).

    Returns
    -------
    x : ndarray of int8, shape (n, d)
    """
    n = validation.check_count(n, "n")
    d = validation.check_d(d)
    if out is None:
        x = np.empty((n, d), dtype=np.int8)
    else:
        x = out[:n]
        if x.shape != (n, d) or x.dtype != np.int8 or not x.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous int8 array of at least ({n}, {d})")
    _draw_prompts(np.uint64(key), validation.check_count(start, "start"), x)
    return x


def _buffers(out, n, d):
    """Reuse caller-provided arrays (hot loops: fresh pages cost more than the draw)."""
    if out is None:
        return Batch(np.empty((n, d), np.int8), np.empty((n, d), np.int8), np.empty(n, np.int64))
    x, y, lengths = (a[:n] for a in out)
    if (
        x.shape != (n, d)
        or y.shape != (n, d)
        or lengths.shape != (n,)
        or x.dtype != np.int8
        or y.dtype != np.int8
        or lengths.dtype != np.int64
        or not x.flags.c_contiguous
    ):
        raise ValueError(f"out must hold int8 arrays of at least ({n}, {d}) and int64 lengths")
    return Batch(x, y, lengths)


def draw_demonstrations(n, d, p_long, *, key, start=0, out=None):
    """Demonstrations from the mixture D(p_long) (docs/theory.md section 1).

    With probability ``p_long`` a demonstration is long, ``(c_1, ..., c_d, EOS)``;
    otherwise short, ``(chi(x), EOS)``.

    Parameters
    ----------
    n, d, p_long
        Number of samples, bits (>= 2), share of long demonstrations in [0, 1].
    key, start
        Stream key (:func:`stream_key`) and index of the first sample.
    out : Batch, optional
        Arrays with room for at least n samples, filled (their first n rows) and
        returned as views instead of allocating new ones.

    Returns
    -------
    Batch
        ``x`` (n, d), ``y`` (n, d) and ``lengths`` (n,), see the module docstring.
    """
    n = validation.check_count(n, "n")
    d = validation.check_d(d)
    p_long = validation.check_probability(p_long, "p_long")
    x, y, lengths = _buffers(out, n, d)
    _draw_demonstrations(np.uint64(key), validation.check_count(start, "start"), p_long, x, y, lengths)
    return Batch(x, y, lengths)


def prefix_parities(x):
    """``c_k = x_1 * ... * x_k`` for every prompt: int8 array (n, d)."""
    return np.cumprod(np.asarray(x, dtype=np.int8), axis=1, dtype=np.int8)


def parity(x):
    """``chi(x) = x_1 * ... * x_d``: int8 array (n,)."""
    return np.prod(np.asarray(x, dtype=np.int8), axis=1, dtype=np.int8)


#: Reward names; the value says whether only the last token is checked.
REWARDS = {"cot": False, "e2e": True}


def reward(name, x, y, lengths, *, check=True):
    """The reward ``r_<name>`` of every response (``name`` in :data:`REWARDS`).

    ``check=False`` skips input validation, for internal hot loops whose arrays the
    package made itself.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    validation.check_choice(name, tuple(REWARDS), "reward")
    if check:
        x = validation.check_prompts(x)
        y, lengths = validation.check_responses(y, lengths, x.shape[0], x.shape[1])
    out = np.empty(x.shape[0], dtype=np.bool_)
    _rewards(x, y, lengths, REWARDS[name], out)
    return out


def reward_cot(x, y, lengths):
    """``r_cot``: 1 iff the response is exactly the correct long or the correct short one."""
    return reward("cot", x, y, lengths)


def reward_e2e(x, y, lengths):
    """``r_e2e``: 1 iff the last value token equals ``chi(x)`` (the chain is not checked)."""
    return reward("e2e", x, y, lengths)


def format_response(y_row, length):
    """A response as text, e.g. ``'+ - - EOS'``."""
    return " ".join("+" if v > 0 else "-" for v in y_row[:length]) + " EOS"
