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

import numpy as np
from numba import njit, prange

from ._logistic import _sigmoid
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
    """Loss-gradient coefficient at the current iterate w_{t-1} = -G / (lambda (t-1)).

    With s = -dot / (lambda t_prev), c = -target sigma(-target s). The reciprocal
    does not depend on earlier samples, so the processor computes it ahead: only a
    multiply, the exponential and one division wait on the previous step.
    """
    inv = 0.0 if t_prev == 0 else 1.0 / (lam * t_prev)
    c = -target * _sigmoid(target * dot * inv)
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


@njit(cache=True, fastmath=FAST)
def _chain_pair(g1, a1, s1, lam1, hz1, m1, g2, a2, s2, lam2, hz2, m2, x, y):
    """Two chain blocks over the same long samples in one loop.

    Each step waits on its exponential and on the previous step's update; two
    independent blocks in one loop give the processor two such chains to overlap.
    Each block still sees its samples in order: the numbers are those of two
    separate loops.
    """
    d = x.shape[1]
    p1, y1, n1 = g1[0:d], g1[d:d + m1], g1[d + m1:2 * d + m1]
    q1, z1, r1 = a1[0:d], a1[d:d + m1], a1[d + m1:2 * d + m1]
    p2, y2, n2 = g2[0:d], g2[d:d + m2], g2[d + m2:2 * d + m2]
    q2, z2, r2 = a2[0:d], a2[d:d + m2], a2[d + m2:2 * d + m2]
    t1, h1, t2, h2 = int(s1[0]), s1[1], int(s2[0]), s2[1]
    for i in range(x.shape[0]):
        on1 = t1 < hz1
        on2 = t2 < hz2
        if not (on1 or on2):
            break
        plus1 = y[i, m1 - 1] > 0
        plus2 = y[i, m2 - 1] > 0
        u1 = p1 if plus1 else n1
        u2 = p2 if plus2 else n2
        c1 = _coefficient(_block_dot(u1, y1, x, y, i, d, m1), y[i, m1], t1, lam1) if on1 else 0.0
        c2 = _coefficient(_block_dot(u2, y2, x, y, i, d, m2), y[i, m2], t2, lam2) if on2 else 0.0
        if c1 != 0.0:
            _block_axpy(u1, y1, q1 if plus1 else r1, z1, x, y, i, d, m1, c1, c1 * h1)
        if c2 != 0.0:
            _block_axpy(u2, y2, q2 if plus2 else r2, z2, x, y, i, d, m2, c2, c2 * h2)
        if on1:
            t1 += 1
            h1 += 1.0 / t1
        if on2:
            t2 += 1
            h2 += 1.0 / t2
    s1[0], s1[1], s2[0], s2[1] = t1, h1, t2, h2


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
    Iteration 0 handles block 0, the last iteration block 1 (they see every sample;
    at the two ends of the range a static split gives them to different threads),
    and iteration ``it`` in between the chain blocks 2 it and 2 it + 1 together.
    """
    d = x.shape[1]
    n_pairs = d // 2  # chain blocks 2..d taken two at a time (the last alone if d - 1 is odd)
    n_it = n_pairs + 2
    for it in prange(n_it):
        state = np.empty(4)
        if it == 0 or it == n_it - 1:  # block 0 first, block 1 last
            k = 0 if it == 0 else 1
            g = grad_sum[offsets[k]:offsets[k + 1]]
            a = weighted_sum[offsets[k]:offsets[k + 1]]
            state[0] = steps[k]
            state[1] = harmonic[k]
            if k == 0:
                _position1(g, a, x, y, order, state, lam[k], horizon[k])
            else:
                _context_block(g, a, x, y, lengths, order, state, lam[k], horizon[k], 1, True)
            steps[k] = int(state[0])
            harmonic[k] = state[1]
            continue
        k1 = 2 * it
        k2 = min(k1 + 1, d)  # == k1 when the chain has an odd number of blocks
        s1 = state[0:2]
        s2 = state[2:4]
        s1[0], s1[1] = steps[k1], harmonic[k1]
        s2[0], s2[1] = steps[k2], harmonic[k2]
        g1 = grad_sum[offsets[k1]:offsets[k1 + 1]]
        a1 = weighted_sum[offsets[k1]:offsets[k1 + 1]]
        if k2 == k1:
            long_rows = np.arange(x_long.shape[0])
            _context_block(g1, a1, x_long, y_long, lengths, long_rows, s1, lam[k1], horizon[k1], k1 - 1, False)
        else:
            g2 = grad_sum[offsets[k2]:offsets[k2 + 1]]
            a2 = weighted_sum[offsets[k2]:offsets[k2 + 1]]
            _chain_pair(g1, a1, s1, lam[k1], horizon[k1], k1 - 1, g2, a2, s2, lam[k2], horizon[k2], k2 - 1,
                        x_long, y_long)
            steps[k2] = int(s2[0])
            harmonic[k2] = s2[1]
        steps[k1] = int(s1[0])
        harmonic[k1] = s1[1]
