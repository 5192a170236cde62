"""Kernels for the task D(p_long) (THEORY.md section 1): prompts and demonstrations.

Sample ``i`` of a stream owns the counters ``i * stride .. i * stride + stride - 1``;
bit ``j`` of word ``w`` gives input bit ``x_{64 w + j + 1}`` (set: +1, clear: -1).
"""

import numpy as np
from numba import njit, prange

from ._rng import _hash64, _uniform


@njit(cache=True, inline="always")
def _fill_prompt(key, first_counter, row):
    d = row.shape[0]
    n_words = (d + 63) // 64
    for w in range(n_words):
        bits = _hash64(key, first_counter + w)
        stop = min(d, 64 * w + 64)
        for j in range(64 * w, stop):
            row[j] = 1 if (bits >> np.uint64(j - 64 * w)) & np.uint64(1) else -1


@njit(cache=True, parallel=True)
def _draw_prompts(key, start, x_out):
    """Fill ``x_out`` (n, d) int8 with uniform +-1 prompts ``start .. start + n - 1``."""
    n, d = x_out.shape
    stride = (d + 63) // 64
    for i in prange(n):
        _fill_prompt(key, (start + i) * stride, x_out[i])


@njit(cache=True, parallel=True)
def _draw_demonstrations(key, start, p_long, x_out, y_out, len_out):
    """Fill demonstrations of D(p_long): x, the value tokens y (0 after the end), lengths.

    Long (probability ``p_long``): y = prefix parities c_1..c_d, length d.
    Short: y = (chi(x)), length 1.
    """
    n, d = x_out.shape
    n_words = (d + 63) // 64
    stride = n_words + 1
    for i in prange(n):
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


@njit(cache=True, parallel=True)
def _rewards(x, y, lengths, end_to_end, out):
    """``r_cot`` (``end_to_end`` false) or ``r_e2e`` (true) of every response, into ``out``.

    r_cot: the response is the correct long one (c_1..c_d) or the correct short one
    (chi(x)). r_e2e: its last value token equals chi(x).
    """
    n, d = x.shape
    for i in prange(n):
        c = 1
        chain_ok = True
        for j in range(d):
            c *= x[i, j]
            if y[i, j] != c:
                chain_ok = False
        length = lengths[i]
        if end_to_end:
            out[i] = y[i, length - 1] == c
        elif length == 1:
            out[i] = y[i, 0] == c
        else:
            out[i] = length == d and chain_ok
