"""Kernel for Algorithm 3 (docs/theory.md section 3): Pegasos SGD, one position at a time.

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
from numba import njit

from ..threads import run_items
from ..tuning import COEFFICIENT_FLOOR, FAST
from ._logistic import _sigmoid

# The running sums are in the NTP state layout (linparity.layout). Theta's context
# block [x part (d), prefix (m), last * x part (d)] becomes [u+ (d), u- (d), prefix (m)]
# with u+- = (x part) +- (last * x part); position 2a ends with [y_1 weight, bias]
# instead of a prefix. A sample whose last token is s only reads and moves u_s (by
# 2 c x): half the work of touching both x parts. linparity.layout.NTPStateLayout
# converts back.
#
# The two u parts are viewed as the rows of a (2, d) array and a sample picks its row
# by index: no array view is chosen per sample (that costs reference counting), and a
# row index that does not change inside the loop over j leaves that loop free to use
# SIMD (an offset added to j would not: numba tests signed indices for wrap-around).


@njit(cache=True, inline="always")
def _coefficient(dot, target, t_prev, lam):
    """Loss-gradient coefficient at the current iterate w_{t-1} = -G / (lambda (t-1)).

    With s = -dot / (lambda t_prev), c = -target sigma(-target s). The reciprocal
    does not depend on earlier samples, so the processor computes it ahead: only a
    multiply, the exponential and one division wait on the previous step.
    """
    inv = 0.0 if t_prev == 0 else 1.0 / (lam * t_prev)
    c = -target * _sigmoid(target * dot * inv)
    # Dropped when tiny: subnormal arithmetic is ~100x slower (tuning.COEFFICIENT_FLOOR).
    return c if abs(c) > COEFFICIENT_FLOOR else 0.0


@njit(cache=True, inline="always", fastmath=FAST)
def _block_dot(u, row, gy, x, y, i, d, m):
    """<G, phi> for sample i; ``row`` is its u part (0: last token +1, 1: -1)."""
    s = 0.0
    for j in range(d):
        s += u[row, j] * x[i, j]
    for k in range(m):
        s += gy[k] * y[i, k]
    return s


@njit(cache=True, inline="always", fastmath=FAST)
def _block_axpy(u, au, row, gy, ay, x, y, i, d, m, c, ch):
    c2 = 2.0 * c
    ch2 = 2.0 * ch
    for j in range(d):
        v = x[i, j]
        u[row, j] += c2 * v
        au[row, j] += ch2 * v
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
def _position2a(g, a, x, y, lengths, samples, state, lam, horizon):
    """Steps of position 2a: EOS (+1) after a short sample, go on (-1) after a long one.

    Its block is a context block over m = 1 token followed by the bias.
    """
    d = x.shape[1]
    u, gy = g[0 : 2 * d].reshape((2, d)), g[2 * d : 2 * d + 1]
    au, ay = a[0 : 2 * d].reshape((2, d)), a[2 * d : 2 * d + 1]
    t = int(state[0])
    h = state[1]
    for r in range(samples.shape[0]):
        if t >= horizon:
            break
        i = samples[r]
        row = 0 if y[i, 0] > 0 else 1
        s = _block_dot(u, row, gy, x, y, i, d, 1) + g[2 * d + 1]
        c = _coefficient(s, 1.0 if lengths[i] == 1 else -1.0, t, lam)
        if c != 0.0:
            ch = c * h
            _block_axpy(u, au, row, gy, ay, x, y, i, d, 1, c, ch)
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
    u1, y1 = g1[0 : 2 * d].reshape((2, d)), g1[2 * d : 2 * d + m1]
    v1, z1 = a1[0 : 2 * d].reshape((2, d)), a1[2 * d : 2 * d + m1]
    u2, y2 = g2[0 : 2 * d].reshape((2, d)), g2[2 * d : 2 * d + m2]
    v2, z2 = a2[0 : 2 * d].reshape((2, d)), a2[2 * d : 2 * d + m2]
    t1, h1, t2, h2 = int(s1[0]), s1[1], int(s2[0]), s2[1]
    for i in range(x.shape[0]):
        on1 = t1 < hz1
        on2 = t2 < hz2
        if not (on1 or on2):
            break
        r1 = 0 if y[i, m1 - 1] > 0 else 1
        r2 = 0 if y[i, m2 - 1] > 0 else 1
        c1 = _coefficient(_block_dot(u1, r1, y1, x, y, i, d, m1), y[i, m1], t1, lam1) if on1 else 0.0
        c2 = _coefficient(_block_dot(u2, r2, y2, x, y, i, d, m2), y[i, m2], t2, lam2) if on2 else 0.0
        if c1 != 0.0:
            _block_axpy(u1, v1, r1, y1, z1, x, y, i, d, m1, c1, c1 * h1)
        if c2 != 0.0:
            _block_axpy(u2, v2, r2, y2, z2, x, y, i, d, m2, c2, c2 * h2)
        if on1:
            t1 += 1
            h1 += 1.0 / t1
        if on2:
            t2 += 1
            h2 += 1.0 / t2
    s1[0], s1[1], s2[0], s2[1] = t1, h1, t2, h2


@njit(cache=True, nogil=True)
def _ntp_items(
    grad_sum, weighted_sum, steps, horizon, lam, harmonic, offsets, x, y, lengths, order, x_long, y_long, it_lo, it_hi
):
    """Work items ``it_lo .. it_hi - 1`` of :func:`_ntp_steps` (see there)."""
    d = x.shape[1]
    n_pairs = d // 2
    n_it = n_pairs + 2
    for it in range(it_lo, it_hi):
        state = np.empty(4)
        if it == 0 or it == n_it - 1:  # block 0 first, block 1 last
            k = 0 if it == 0 else 1
            g = grad_sum[offsets[k] : offsets[k + 1]]
            a = weighted_sum[offsets[k] : offsets[k + 1]]
            state[0] = steps[k]
            state[1] = harmonic[k]
            if k == 0:
                _position1(g, a, x, y, order, state, lam[k], horizon[k])
            else:
                _position2a(g, a, x, y, lengths, order, state, lam[k], horizon[k])
            steps[k] = int(state[0])
            harmonic[k] = state[1]
            continue
        q = it - 1
        pair = q // 2 if q % 2 == 0 else n_pairs - 1 - q // 2
        k1 = 2 * pair + 2
        k2 = min(k1 + 1, d)  # == k1 when the chain has an odd number of blocks
        s1 = state[0:2]
        s2 = state[2:4]
        s1[0], s1[1] = steps[k1], harmonic[k1]
        s2[0], s2[1] = steps[k2], harmonic[k2]
        g1 = grad_sum[offsets[k1] : offsets[k1 + 1]]
        a1 = weighted_sum[offsets[k1] : offsets[k1 + 1]]
        g2 = grad_sum[offsets[k2] : offsets[k2 + 1]]
        a2 = weighted_sum[offsets[k2] : offsets[k2 + 1]]
        # A block left alone (k2 == k1) is paired with itself at horizon 0: the second
        # copy never steps, and one kernel is compiled instead of two (0.6 s of a first run).
        hz2 = 0 if k2 == k1 else horizon[k2]
        _chain_pair(g1, a1, s1, lam[k1], horizon[k1], k1 - 1, g2, a2, s2, lam[k2], hz2, k2 - 1, x_long, y_long)
        if k2 != k1:
            steps[k2] = int(s2[0])
            harmonic[k2] = s2[1]
        steps[k1] = int(s1[0])
        harmonic[k1] = s1[1]


def _ntp_steps(grad_sum, weighted_sum, steps, horizon, lam, harmonic, offsets, x, y, lengths, order, x_long, y_long):
    """Run Algorithm 3 over the samples ``order[0], order[1], ...``.

    Every sample steps position 1 and position 2a (while their step counts are
    below their horizons); a long sample (length d) also steps every chain position
    l = 2..d, whose counter is the number of long samples seen. ``x_long`` and
    ``y_long`` are the long samples of ``order``, in order, gathered contiguously so
    that 63 chain blocks stream them from cache instead of hunting them in ``x``.

    Positions never read each other's weights, so the loop runs block by block
    (blocks on threads, :mod:`linparity.threads`) with the samples inside: a block then stays in the L1
    cache for the whole batch and threads never synchronise within it, and every
    block still sees its samples in order, which gives the same numbers as a
    sample-by-sample loop, for any thread count. Iteration 0 handles block 0, the
    last iteration block 1 (they see every sample; at the two ends of the range a
    contiguous split gives them to different threads), and the iterations in between
    pairs of chain blocks, cheap and dear in turn (a pair over prefix length m costs
    about 2d + 2m per sample), so that any contiguous split of the range gets its
    share of the work: in order, the first half of the range held 42% of it.
    """
    n_it = x.shape[1] // 2 + 2  # blocks 0 and 1, and chain blocks 2..d two at a time (the last alone if d - 1 is odd)
    args = (grad_sum, weighted_sum, steps, horizon, lam, harmonic, offsets, x, y, lengths, order, x_long, y_long)
    run_items(_ntp_items, n_it, *args)
