"""The fused STaR rollout: draw a prompt, sample a response, score it (docs/theory.md section 4).

One pass per prompt instead of three kernels and two intermediate arrays; the
numbers are those of ``_draw_prompts``, ``_generate`` and ``_rewards`` in turn.
"""

import numpy as np
from numba import njit

from ..threads import run_items
from ..tuning import FAST, RESPONSE_CHUNK
from ._policy import _respond_rows
from ._task import _fill_prompt, _reward_row


def _rollout(theta, offsets, key_x, key_y, start, inv_tau, end_to_end, x_out, y_out, len_out, reward_out):
    """The STaR rollout: :func:`_group_rollout` with one response per prompt."""
    _group_rollout(theta, offsets, key_x, key_y, start, 1, inv_tau, end_to_end, x_out, y_out, len_out, reward_out)


@njit(cache=True)
def _compact_rows(x, y, lengths, keep, x_out, y_out, len_out):
    """Copy the rows with ``keep`` set to the front of the outputs, in order."""
    d = x.shape[1]
    r = 0
    for i in range(x.shape[0]):
        if keep[i]:
            for j in range(d):  # element loops: row-slice assignment is far slower here
                x_out[r, j] = x[i, j]
                y_out[r, j] = y[i, j]
            len_out[r] = lengths[i]
            r += 1


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _group_rollout_items(
    theta,
    offsets,
    key_x,
    key_y,
    start,
    group,
    inv_tau,
    greedy,
    end_to_end,
    x_out,
    y_out,
    len_out,
    reward_out,
    c_lo,
    c_hi,
):
    """Work items ``c_lo .. c_hi - 1`` (RESPONSE_CHUNK rows each) of :func:`_group_rollout`.

    ``greedy`` is always False, passed from Python so that it is typed as a plain
    boolean: a literal False in this body would compile ``_respond_rows`` a second time.
    """
    n, d = x_out.shape
    stride = (d + 63) // 64
    for c in range(c_lo, c_hi):
        lo = c * RESPONSE_CHUNK
        hi = min(n, lo + RESPONSE_CHUNK)
        for i in range(lo, hi):
            _fill_prompt(key_x, ((start + i) // group) * stride, x_out[i])
        longs = np.empty(hi - lo, np.int64)
        linear_first = np.empty(0)  # a linear position 1: the kernel computes <w_1, x>
        _respond_rows(theta, offsets, linear_first, x_out, y_out, len_out, lo, hi, inv_tau, greedy, key_y, start, longs)
        for i in range(lo, hi):
            reward_out[i] = _reward_row(x_out[i], y_out[i], len_out[i], end_to_end)


def _group_rollout(theta, offsets, key_x, key_y, start, group, inv_tau, end_to_end, x_out, y_out, len_out, reward_out):
    """Rollouts in groups of ``group`` responses to the same prompt (GRPO; REINFORCE is
    ``group == 1``, which is :func:`_rollout`).

    Row r is response ``start + r`` of stream ``key_y`` and answers prompt
    ``(start + r) // group`` of stream ``key_x`` (``start`` a multiple of ``group``).
    Each row redraws its prompt from the counter-based stream: rows are independent,
    so work items run on threads (:mod:`linparity.threads`) and the result does not depend
    on their number.
    """
    n_items = (x_out.shape[0] + RESPONSE_CHUNK - 1) // RESPONSE_CHUNK
    args = (theta, offsets, key_x, key_y, start, group, inv_tau, False, end_to_end, x_out, y_out, len_out, reward_out)
    run_items(_group_rollout_items, n_items, *args)
