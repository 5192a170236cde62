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

from numba import njit, prange

from ._logistic import _sigmoid
from ._policy import FAST, _ctx_dot, _x_dot


@njit(cache=True, inline="always", fastmath=FAST)
def _axpy2(g, a, o, n, v, c, ch):
    """g[o:o+n] += c v and a[o:o+n] += ch v."""
    gv = g[o:o + n]
    av = a[o:o + n]
    for j in range(n):
        gv[j] += c * v[j]
        av[j] += ch * v[j]


@njit(cache=True, inline="always", fastmath=FAST)
def _ctx_axpy(g, a, o, d, m, xr, yr, c, ch):
    """Add c * phi (and ch * phi) for the context block [x, y_1..y_m, y_m * x]."""
    gx = g[o:o + d]
    ax = a[o:o + d]
    gl = g[o + d + m:o + 2 * d + m]
    al = a[o + d + m:o + 2 * d + m]
    last = yr[m - 1]
    cl = c * last
    chl = ch * last
    for j in range(d):  # the x part and the last-token-times-x part in one pass
        v = xr[j]
        gx[j] += c * v
        ax[j] += ch * v
        gl[j] += cl * v
        al[j] += chl * v
    _axpy2(g, a, o + d, m, yr, c, ch)


@njit(cache=True, inline="always")
def _coefficient(dot, target, k, steps, lam):
    """Loss-gradient coefficient at the current iterate w_{t-1} = -G / (lambda (t-1))."""
    t_prev = steps[k]
    s = 0.0 if t_prev == 0 else -dot / (lam[k] * t_prev)
    c = -target * _sigmoid(-target * s)
    # A confident position's coefficient underflows towards subnormal numbers, whose
    # arithmetic is ~100x slower; below 1e-200 its contribution is invisible next to
    # any coordinate of G anyway, so it is dropped.
    return c if abs(c) > 1e-200 else 0.0


@njit(cache=True, parallel=True, fastmath=FAST)
def _ntp_steps(grad_sum, weighted_sum, steps, horizon, lam, harmonic, offsets,
               x, y, lengths, order):
    """Run Algorithm 3 over the samples ``order[0], order[1], ...``.

    Every sample steps position 1 and position 2a (while their step counts are
    below their horizons); a long sample (length d) also steps every chain position
    l = 2..d, whose counter is the number of long samples seen.

    Positions never read each other's weights, so the loop runs block by block
    (in parallel over blocks) with the samples inside: a block then stays in the L1
    cache for the whole batch, and every block still sees its samples in order,
    which gives the same numbers as a sample-by-sample loop, for any thread count.
    (Iteration ``it`` handles block 0 for it = 0, block 1 for the last it, and
    chain block it + 1 otherwise.)
    """
    d = x.shape[1]
    n_blocks = d + 1
    for it in prange(n_blocks):
        # Blocks 0 and 1 see every sample; put them at the two ends of the range so
        # that a static split across threads gives them to different threads.
        k = 0 if it == 0 else (1 if it == n_blocks - 1 else it + 1)
        o = offsets[k]
        m = max(k - 1, 1)  # output tokens in the context of block k >= 1
        for r in range(order.shape[0]):
            if steps[k] >= horizon[k]:
                break
            i = order[r]
            is_long = lengths[i] != 1
            if k >= 2 and not is_long:
                continue
            xr = x[i]
            yr = y[i]
            if k == 0:  # position 1: y_1 from x
                c = _coefficient(_x_dot(grad_sum, o, d, xr), yr[0], 0, steps, lam)
                if c != 0.0:
                    _axpy2(grad_sum, weighted_sum, o, d, xr, c, c * harmonic[0])
            elif k == 1:  # position 2a: EOS (+1) after a short sample, go on (-1) after a long one
                bias = o + 2 * d + 1
                dot = _ctx_dot(grad_sum, o, d, 1, xr, yr) + grad_sum[bias]
                c = _coefficient(dot, -1.0 if is_long else 1.0, 1, steps, lam)
                if c != 0.0:
                    ch = c * harmonic[1]
                    _ctx_axpy(grad_sum, weighted_sum, o, d, 1, xr, yr, c, ch)
                    grad_sum[bias] += c
                    weighted_sum[bias] += ch
            else:  # chain position l = k: y_l from (x, y_1..y_{l-1})
                c = _coefficient(_ctx_dot(grad_sum, o, d, m, xr, yr), yr[m], k, steps, lam)
                if c != 0.0:
                    _ctx_axpy(grad_sum, weighted_sum, o, d, m, xr, yr, c, c * harmonic[k])
            steps[k] += 1
            harmonic[k] += 1.0 / steps[k]
