"""Kernel for Algorithm 3 (THEORY.md section 3): Pegasos SGD, one position at a time.

With the step ``eta_t = 1 / (lambda t)`` the Pegasos iterate is a scaled running sum
of loss gradients, ``w_t = -G_t / (lambda t)`` with ``G_t = g_1 + ... + g_t``, so a
step never rescales the weights. The average of the iterates ``t0+1 .. T`` is, with
``H_t`` the harmonic numbers,

    w_bar = -(H_T G_T - H_t0 G_t0 - sum_{s > t0} H_{s-1} g_s) / (lambda (T - t0)),

so the kernel keeps two running sums per coordinate (``grad_sum`` = G and
``weighted_sum`` = the last sum) and the average costs nothing per step.
A gradient is ``c * phi`` with ``c = -target * sigma(-target * s)``.
"""

import math

import numpy as np
from numba import njit, prange

from ._policy import FAST

# Layout of a context block in the kernel: theta's block [x part (d), prefix (m),
# last * x part (d)] becomes [u+ (d), prefix (m), u- (d)] with u+- = (x part) +- (last
# * x part). A sample whose last token is s only reads and moves u_s (by 2 c x): half
# the work of touching both x parts. The state converts back (ntp.Algorithm3).
#
# The kernel slices a block's views once per batch and indexes samples as x[i, j]:
# views made per sample cost reference counting, and offset arithmetic on signed
# indices costs a wrap-around test that blocks SIMD.


@njit(cache=True, inline="always")
def _coefficient(dot, target, t_prev, lam):
    """Loss-gradient coefficient at the current iterate w_{t-1} = -G / (lambda (t-1))."""
    s = 0.0 if t_prev == 0 else -dot / (lam * t_prev)
    z = -target * s
    sig = 1.0 / (1.0 + math.exp(-z)) if z >= 0.0 else math.exp(z) / (1.0 + math.exp(z))
    c = -target * sig
    # A confident position's coefficient underflows towards subnormal numbers, whose
    # arithmetic is ~100x slower; below 1e-200 its contribution is invisible next to
    # any coordinate of G anyway, so it is dropped.
    return c if abs(c) > 1e-200 else 0.0


@njit(cache=True, inline="always", fastmath=FAST)
def _block_dot(u, gy, x, y, i, d, m):
    """<G, phi> for sample i, with ``u`` the u+ or u- part that its last token selects."""
    s = 0.0
    for j in range(d):
        s += u[j] * x[i, j]
    for k in range(m):
        s += gy[k] * y[i, k]
    return s


@njit(cache=True, inline="always", fastmath=FAST)
def _block_axpy(u, gy, au, ay, x, y, i, d, m, c, ch):
    c2 = 2.0 * c
    ch2 = 2.0 * ch
    for j in range(d):
        v = x[i, j]
        u[j] += c2 * v
        au[j] += ch2 * v
    for k in range(m):
        v = y[i, k]
        gy[k] += c * v
        ay[k] += ch * v


@njit(cache=True, fastmath=FAST)
def _position1(g, a, x, y, samples, state, lam, horizon):
    """Steps of position 1 (y_1 from x); ``state`` = [steps, harmonic] of the block."""
    d = x.shape[1]
    t = int(state[0])
    h = state[1]
    for r in range(samples.shape[0]):
        if t >= horizon:
            break
        i = samples[r]
        s = 0.0
        for j in range(d):
            s += g[j] * x[i, j]
        c = _coefficient(s, y[i, 0], t, lam)
        if c != 0.0:
            ch = c * h
            for j in range(d):
                v = x[i, j]
                g[j] += c * v
                a[j] += ch * v
        t += 1
        h += 1.0 / t
    state[0] = t
    state[1] = h


@njit(cache=True, fastmath=FAST)
def _context_block(g, a, x, y, lengths, samples, state, lam, horizon, m, with_bias):
    """Steps of a block over the context [x, y_1..y_m, y_m * x] (2a: m = 1, with bias).

    The target is y_{m+1} for a chain position, and EOS (+1) after a short sample or
    go on (-1) after a long one at 2a.
    """
    d = x.shape[1]
    g_plus, gy, g_minus = g[0:d], g[d:d + m], g[d + m:2 * d + m]
    a_plus, ay, a_minus = a[0:d], a[d:d + m], a[d + m:2 * d + m]
    t = int(state[0])
    h = state[1]
    for r in range(samples.shape[0]):
        if t >= horizon:
            break
        i = samples[r]
        plus = y[i, m - 1] > 0
        u = g_plus if plus else g_minus
        s = _block_dot(u, gy, x, y, i, d, m)
        if with_bias:
            s += g[2 * d + 1]
            target = 1.0 if lengths[i] == 1 else -1.0
        else:
            target = y[i, m]
        c = _coefficient(s, target, t, lam)
        if c != 0.0:
            ch = c * h
            _block_axpy(u, gy, a_plus if plus else a_minus, ay, x, y, i, d, m, c, ch)
            if with_bias:
                g[2 * d + 1] += c
                a[2 * d + 1] += ch
        t += 1
        h += 1.0 / t
    state[0] = t
    state[1] = h


@njit(cache=True, parallel=True)
def _ntp_steps(grad_sum, weighted_sum, steps, horizon, lam, harmonic, offsets,
               x, y, lengths, order, x_long, y_long):
    """Run Algorithm 3 over the samples ``order[0], order[1], ...``.

    Every sample steps position 1 and position 2a (while their step counts are
    below their horizons); a long sample (length d) also steps every chain position
    l = 2..d, whose counter is the number of long samples seen. ``x_long`` and
    ``y_long`` are the long samples of ``order``, in order, gathered contiguously so
    that 63 chain blocks stream them from cache instead of hunting them in ``x``.

    Positions never read each other's weights, so the loop runs block by block
    (in parallel over blocks) with the samples inside: a block then stays in the L1
    cache for the whole batch and threads never synchronise within it, and every block still sees its samples in order,
    which gives the same numbers as a sample-by-sample loop, for any thread count.
    Iteration ``it`` handles block 0 for it = 0, block 1 for the last it, and chain
    block it + 1 otherwise: blocks 0 and 1 see every sample, and at the two ends of
    the range a static split gives them to different threads.
    """
    d = x.shape[1]
    n_blocks = d + 1
    for it in prange(n_blocks):
        k = 0 if it == 0 else (1 if it == n_blocks - 1 else it + 1)
        g = grad_sum[offsets[k]:offsets[k + 1]]
        a = weighted_sum[offsets[k]:offsets[k + 1]]
        state = np.empty(2)
        state[0] = steps[k]
        state[1] = harmonic[k]
        if k == 0:
            _position1(g, a, x, y, order, state, lam[k], horizon[k])
        elif k == 1:
            _context_block(g, a, x, y, lengths, order, state, lam[k], horizon[k], 1, True)
        else:
            long_rows = np.arange(x_long.shape[0])
            _context_block(g, a, x_long, y_long, lengths, long_rows, state, lam[k], horizon[k], k - 1, False)
        steps[k] = int(state[0])
        harmonic[k] = state[1]
