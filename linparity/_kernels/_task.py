"""Kernels for the task D(p_long) (docs/theory.md section 1): prompts and demonstrations.

Sample ``i`` of a stream owns the counters ``i * stride .. i * stride + stride - 1``;
bit ``j`` of word ``w`` gives input bit ``x_{64 w + j + 1}`` (set: +1, clear: -1).
"""

import numpy as np
from numba import njit

from ..threads import run_items
from ._rng import _hash64, _uniform

_ONE = np.uint64(1)


@njit(cache=True, inline="always")
def _fill_prompt(key, first_counter, row):
    d = row.shape[0]
    n_words = (d + 63) // 64
    for w in range(n_words):
        bits = _hash64(key, first_counter + w)
        base = 64 * w
        # Branch-free, with the shift counted from 0 per word: this form vectorises (5x).
        for jj in range(min(64, d - base)):
            row[base + jj] = 2 * np.int8((bits >> np.uint64(jj)) & _ONE) - 1


@njit(cache=True, nogil=True)
def _draw_prompts_items(key, start, x_out, lo, hi):
    stride = (x_out.shape[1] + 63) // 64
    for i in range(lo, hi):
        _fill_prompt(key, (start + i) * stride, x_out[i])


def _draw_prompts(key, start, x_out):
    """Fill ``x_out`` (n, d) int8 with uniform +-1 prompts ``start .. start + n - 1``
    (rows on threads, :mod:`linparity.threads`)."""
    run_items(_draw_prompts_items, x_out.shape[0], key, start, x_out)


@njit(cache=True, nogil=True)
def _draw_demonstrations_items(key, start, p_long, x_out, y_out, len_out, lo, hi):
    d = x_out.shape[1]
    n_words = (d + 63) // 64
    stride = n_words + 1
    for i in range(lo, hi):
        first = (start + i) * stride
        _fill_prompt(key, first, x_out[i])
        is_long = _uniform(key, first + n_words) < p_long
        c = 1
        for j in range(d):
            c *= x_out[i, j]
            if is_long:
                y_out[i, j] = c
            else:
                y_out[i, j] = 0
        if is_long:
            len_out[i] = d
        else:
            y_out[i, 0] = c
            len_out[i] = 1


def _draw_demonstrations(key, start, p_long, x_out, y_out, len_out):
    """Fill demonstrations of D(p_long): x, the value tokens y (0 after the end), lengths
    (rows on threads, :mod:`linparity.threads`).

    Long (probability ``p_long``): y = prefix parities c_1..c_d, length d.
    Short: y = (chi(x)), length 1.
    """
    run_items(_draw_demonstrations_items, x_out.shape[0], key, start, p_long, x_out, y_out, len_out)


@njit(cache=True, inline="always")
def _reward_row(xr, yr, length, end_to_end):
    """r_cot (the exact long or short answer) or, with ``end_to_end``, r_e2e (the last
    value token is the parity) of one response."""
    d = xr.shape[0]
    # The parity from a count of -1 bits: a vectorisable sum, not a chain of products.
    negatives = 0
    for j in range(d):
        negatives += xr[j] < 0
    chi = 1 - 2 * (negatives & 1)
    if end_to_end:
        return yr[length - 1] == chi
    if length == 1:
        return yr[0] == chi
    if length != d:
        return False
    c = 1
    for j in range(d):
        c *= xr[j]
        if yr[j] != c:
            return False
    return True


@njit(cache=True, nogil=True)
def _rewards_items(x, y, lengths, end_to_end, out, lo, hi):
    for i in range(lo, hi):
        out[i] = _reward_row(x[i], y[i], lengths[i], end_to_end)


def _rewards(x, y, lengths, end_to_end, out):
    """The reward of every response, into ``out`` (rows on threads, :mod:`linparity.threads`)."""
    run_items(_rewards_items, x.shape[0], x, y, lengths, end_to_end, out)
