"""Kernels for the linear autoregressive policy (docs/theory.md section 2).

Parameters live in one flat float64 vector with an offsets table (``offsets[k]`` is
where block ``k`` starts), blocks as in the theta layout (:mod:`linparity.layout`):

* block 0, position 1: ``w_1`` over ``x`` (d entries);
* block 1, position 2a: ``w_2a`` over ``phi_2(x, y_1) = [x, y_1, y_1 * x]`` then the
  bias ``b_2a`` (2d + 2 entries);
* block l, chain position l = 2..d: ``w_l`` over
  ``phi_l = [x, y_1..y_{l-1}, y_{l-1} * x]`` (2d + l - 1 entries).

Features are never materialised. The kernels take the parameters in the policy
layout (:func:`linparity.layout.to_policy_layout`): in every context block the two x
parts ``w_x`` (over x) and ``w_lx`` (over last * x) are replaced by
``u+ = w_x + w_lx`` and ``u- = w_x - w_lx``, so ``<w, phi> = <u_s, x> + <w_y, y_<l>``
with s the last token: one pass over x, not two.

Token convention: a logit ``s`` gives ``P(+1) = sigma(s / tau)``; at position 2a the
token +1 means EOS. Greedy decoding takes +1 when ``s >= 0`` (ties go to +1, hence
to EOS at 2a: the zero-initialised model answers ``(+1, EOS)``).
"""

import math

import numpy as np
from numba import njit

from ..threads import run_items
from ..tuning import FAST, LOCKSTEP, RESPONSE_CHUNK
from ._logistic import _log_sigmoid, _sigmoid
from ._rng import _uniform


# Views of theta are made once per position and work item, never per row or token:
# a view costs reference counting on theta, an atomic update that two threads fight
# over (made per token, they took a third of the drawing time). The helpers read row
# ``i`` of 2-d arrays and index views with plain range variables: numba then knows
# every index is non-negative, drops its wrap-around check and vectorises the loop.
@njit(cache=True, inline="always")
def _block(theta, offsets, l, d):
    """Views of the policy-layout block of context position ``l`` (2a is l = 1): u+,
    the weights over y_1..y_m, u- (m = l - 1, or 1 for 2a)."""
    o = offsets[l]
    m = 1 if l == 1 else l - 1
    return theta[o : o + d], theta[o + d : o + d + m], theta[o + d + m : o + 2 * d + m]


@njit(cache=True, inline="always", fastmath=FAST)
def _x_dot(w, x, i):
    s = 0.0
    for j in range(w.shape[0]):
        s += w[j] * x[i, j]
    return s


@njit(cache=True, inline="always", fastmath=FAST)
def _ctx_dot(up, wy, um, x, i, y, r):
    """<w, [x, y_1..y_m, y_m * x]> for row ``i`` of x and row ``r`` of y, from the
    block's views (:func:`_block`): one dot with the u part the last token picks."""
    m = wy.shape[0]
    u = up if y[r, m - 1] > 0 else um
    s = 0.0
    for j in range(u.shape[0]):
        s += u[j] * x[i, j]
    for k in range(m):
        s += wy[k] * y[r, k]
    return s


@njit(cache=True, inline="always", fastmath=FAST)
def _ctx_dot_ahead(up, wy, um, x, i, y, r):
    """:func:`_ctx_dot` when y_m has just been drawn.

    Both u parts are dotted with x and y_m picks a result, not a u part: the dots
    then need not wait for the token (nor for a branch on it, mispredicted half the
    time), which pays for the second dot while drawing (not when scoring).
    """
    m = wy.shape[0]
    sp = 0.0
    sm = 0.0
    for j in range(up.shape[0]):
        sp += up[j] * x[i, j]
        sm += um[j] * x[i, j]
    s = 0.0
    for k in range(m):
        s += wy[k] * y[r, k]
    return s + (sp if y[r, m - 1] > 0 else sm)


@njit(cache=True, inline="always", fastmath=FAST)
def _first_logit(first, w1, x, i, r):
    """Position 1's logit of prompt ``i`` (row ``r`` of ``x``).

    A linear position 1 leaves ``first`` empty and the logit is ``<w_1, x>``; a
    position 1 over other features (the Walsh monomials of docs/theory.md section
    3.12) passes every prompt's logit in ``first``, computed outside the kernels, so
    the 2a and chain positions decode the same way whatever position 1 is.
    """
    if first.shape[0] > 0:
        return first[i]
    return _x_dot(w1, x, r)


@njit(cache=True, inline="always")
def _token(s, inv_tau, greedy, u):
    if greedy:
        return 1 if s >= 0.0 else -1
    return 1 if u < _sigmoid(s * inv_tau) else -1


# Work items of RESPONSE_CHUNK rows (linparity.tuning) are fixed whatever the number
# of threads, and every row's numbers depend on the row alone.
#
# Not inlined: sampling and the STaR rollout call it, and one compiled copy instead of
# one inside each caller took 2.0 s off the headline command's first run. A call per
# work item costs nothing beside a work item's 256 responses. error_model="numpy" as
# in its callers (see linparity.threads): a callee is compiled with its own options.


@njit(cache=True, fastmath=FAST, error_model="numpy")
def _respond_rows(theta, offsets, first, x, y, lengths, lo, hi, inv_tau, greedy, key, start, longs):
    """Write the responses of rows ``lo .. hi - 1`` to ``y`` and ``lengths``.

    ``first``: position 1's logit of every row, or empty for ``<w_1, x>`` (see :func:`_first_logit`).

    Uniform ``(start + i) * (d + 1) + k`` of stream ``key`` drives token k of row i:
    0 for y_1, 1 for the 2a decision, l for chain position l. Every row's y_1 and 2a
    decision come first; the rows that go on are then drawn ``LOCKSTEP`` at a time.
    ``longs`` is scratch for at least ``hi - lo`` row indices.
    """
    d = x.shape[1]
    w1 = theta[offsets[0] : offsets[0] + d]
    up, wy, um = _block(theta, offsets, 1, d)
    bias = theta[offsets[1] + 2 * d + 1]
    n_long = 0
    for i in range(lo, hi):
        base = (start + i) * (d + 1)
        for j in range(d):
            y[i, j] = 0
        y[i, 0] = _token(_first_logit(first, w1, x, i, i), inv_tau, greedy, _uniform(key, base))
        if _token(_ctx_dot_ahead(up, wy, um, x, i, y, i) + bias, inv_tau, greedy, _uniform(key, base + 1)) > 0:
            lengths[i] = 1
        else:
            lengths[i] = d
            longs[n_long] = i
            n_long += 1
    # The rows that go on, LOCKSTEP at a time, with their x and y in float64 scratch:
    # every token reads x again and the prefix so far.
    xf = np.empty((LOCKSTEP, d))
    yf = np.empty((LOCKSTEP, d))
    for g0 in range(0, n_long, LOCKSTEP):
        g = min(n_long - g0, LOCKSTEP)
        for r in range(g):
            for j in range(d):
                xf[r, j] = x[longs[g0 + r], j]
            yf[r, 0] = y[longs[g0 + r], 0]
        for l in range(2, d + 1):
            up, wy, um = _block(theta, offsets, l, d)
            for r in range(g):
                i = longs[g0 + r]
                s = _ctx_dot_ahead(up, wy, um, xf, r, yf, r)
                token = _token(s, inv_tau, greedy, _uniform(key, (start + i) * (d + 1) + l))
                y[i, l - 1] = token
                yf[r, l - 1] = token


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _generate_items(theta, offsets, first, x, inv_tau, greedy, key, start, y_out, len_out, c_lo, c_hi):
    """Work items ``c_lo .. c_hi - 1`` (RESPONSE_CHUNK rows each) of :func:`_generate`."""
    n = x.shape[0]
    for c in range(c_lo, c_hi):
        lo = c * RESPONSE_CHUNK
        hi = min(n, lo + RESPONSE_CHUNK)
        longs = np.empty(hi - lo, np.int64)
        _respond_rows(theta, offsets, first, x, y_out, len_out, lo, hi, inv_tau, greedy, key, start, longs)


def _generate(theta, offsets, first, x, inv_tau, greedy, key, start, y_out, len_out):
    """Sample (or greedily decode) one response per prompt; prompt i uses the
    uniforms ``(start + i) * (d + 1) + k`` of stream ``key``; ``first`` as in
    :func:`_respond_rows`.  Work items on threads (:mod:`linparity.threads`)."""
    n_items = (x.shape[0] + RESPONSE_CHUNK - 1) // RESPONSE_CHUNK
    run_items(_generate_items, n_items, theta, offsets, first, x, inv_tau, greedy, key, start, y_out, len_out)


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _log_prob_items(theta, offsets, first, x, y, lengths, inv_tau, out, c_lo, c_hi):
    """Exact ln pi(y | x) at temperature 1 / inv_tau, including the 2a decision
    (``first`` as in :func:`_respond_rows`)."""
    n, d = x.shape
    for c in range(c_lo, c_hi):
        lo = c * RESPONSE_CHUNK
        hi = min(n, lo + RESPONSE_CHUNK)
        w1 = theta[offsets[0] : offsets[0] + d]
        up, wy, um = _block(theta, offsets, 1, d)
        bias = theta[offsets[1] + 2 * d + 1]
        for i in range(lo, hi):
            stop = 1.0 if lengths[i] == 1 else -1.0
            out[i] = _log_sigmoid(y[i, 0] * _first_logit(first, w1, x, i, i) * inv_tau) + _log_sigmoid(
                stop * (_ctx_dot(up, wy, um, x, i, y, i) + bias) * inv_tau
            )
        for l in range(2, d + 1):  # position by position, each row's terms in order
            up, wy, um = _block(theta, offsets, l, d)
            for i in range(lo, hi):
                if lengths[i] != 1:
                    out[i] += _log_sigmoid(y[i, l - 1] * _ctx_dot(up, wy, um, x, i, y, i) * inv_tau)


def _log_prob(theta, offsets, first, x, y, lengths, inv_tau, out):
    """Exact ln pi(y | x) at temperature 1 / inv_tau, including the 2a decision
    (``first`` as in :func:`_respond_rows`).  Work items on threads (:mod:`linparity.threads`)."""
    n_items = (x.shape[0] + RESPONSE_CHUNK - 1) // RESPONSE_CHUNK
    run_items(_log_prob_items, n_items, theta, offsets, first, x, y, lengths, inv_tau, out)


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _response_stats_items(theta, offsets, first, x, out, c_lo, c_hi):
    """Exact per-prompt probabilities at temperature 1 (``first`` as in :func:`_respond_rows`).

    ``out[i] = (pi(correct long | x), pi(correct short | x), P(go on after y_1 | x),
    P(y_1 = x_1 | x), P(go on | x, y_1 = x_1), P(go on | x, y_1 = -x_1))``.
    """
    n, d = x.shape
    for c in range(c_lo, c_hi):
        lo = c * RESPONSE_CHUNK
        hi = min(n, lo + RESPONSE_CHUNK)
        # Scratch per work item, not per row (allocation is shared state): the rows of
        # x in float64, read by 2d + 1 dots each, the long answers' tokens (the prefix
        # parities) and ln pi(correct long).
        xf = np.empty((hi - lo, d))
        cf = np.empty((hi - lo, d))
        logp_long = np.empty(hi - lo)
        w1 = theta[offsets[0] : offsets[0] + d]
        up, wy, um = _block(theta, offsets, 1, d)
        bias = theta[offsets[1] + 2 * d + 1]
        for r in range(hi - lo):
            i = lo + r
            prod = 1.0
            for j in range(d):
                xf[r, j] = x[i, j]
                prod *= xf[r, j]
                cf[r, j] = prod
            chi = cf[r, d - 1]
            x1 = xf[r, 0]
            s1 = _first_logit(first, w1, xf, i, r)
            # After y_1 = x_1 (the first token of the long answer).
            s2_copy = _ctx_dot(up, wy, um, xf, r, cf, r) + bias
            # After y_1 = -x_1: the 2a context differs only in its first output token.
            cf[r, 0] = -x1
            s2_flip = _ctx_dot(up, wy, um, xf, r, cf, r) + bias
            cf[r, 0] = x1
            if chi == x1:
                p_short = _sigmoid(s1 * chi) * _sigmoid(s2_copy)
            else:
                p_short = _sigmoid(s1 * chi) * _sigmoid(s2_flip)
            out[i, 1] = p_short
            out[i, 2] = _sigmoid(x1 * s1) * _sigmoid(-s2_copy) + _sigmoid(-x1 * s1) * _sigmoid(-s2_flip)
            out[i, 3] = _sigmoid(x1 * s1)
            out[i, 4] = _sigmoid(-s2_copy)
            out[i, 5] = _sigmoid(-s2_flip)
            logp_long[r] = _log_sigmoid(x1 * s1) + _log_sigmoid(-s2_copy)
        for l in range(2, d + 1):  # position by position, each row's terms in order
            up, wy, um = _block(theta, offsets, l, d)
            for r in range(hi - lo):
                logp_long[r] += _log_sigmoid(cf[r, l - 1] * _ctx_dot(up, wy, um, xf, r, cf, r))
        for r in range(hi - lo):
            out[lo + r, 0] = math.exp(logp_long[r])


def _response_stats(theta, offsets, first, x, out):
    """Exact per-prompt probabilities at temperature 1 (``first`` as in :func:`_respond_rows`):
    ``out[i] = (pi(correct long | x), pi(correct short | x), P(go on after y_1 | x),
    P(y_1 = x_1 | x), P(go on | x, y_1 = x_1), P(go on | x, y_1 = -x_1))``.  Work items on
    threads (:mod:`linparity.threads`)."""
    n_items = (x.shape[0] + RESPONSE_CHUNK - 1) // RESPONSE_CHUNK
    run_items(_response_stats_items, n_items, theta, offsets, first, x, out)
