"""Policy-gradient kernel: weighted sums of ``grad log pi(y | x)`` (docs/theory.md sections 2 and 4).

For a token with target ``t`` (+-1; at 2a +1 is EOS) and logit ``s``, sampled at
temperature ``tau`` (``P(t) = sigma(t s / tau)``),

    d/dw ln sigma(t <w, phi> / tau) = (t / tau) * sigma(-t s / tau) * phi,

and ``grad log pi(y | x)`` is the sum of these terms over the positions that
produced ``y``: 1, 2a, and the chain positions 2..d when the response went on.

Parameters are read in the policy layout (:mod:`linparity.layout`: a context
block's x parts as ``u+- = w_x +- w_lx``) and the gradient is accumulated in the same
layout: a token whose context ends in ``last`` only touches ``u_last``. The caller
converts it to the theta layout (:func:`linparity.layout.gradient_to_theta_layout`).

Determinism: the prompts are cut into fixed chunks of ``chunk`` rows (the cut
depends on n only, never on the thread count); a chunk's gradient goes to its own
buffer row, and the rows are summed in chunk order, coordinate by coordinate. The
result is bit-identical for any ``NUMBA_NUM_THREADS``.
"""

from numba import njit

from ..threads import run_items
from ..tuning import FAST
from ._logistic import _sigmoid


@njit(cache=True, inline="always", fastmath=FAST)
def _grad_position1(v, g, x, y, weight, lo, hi, inv_tau):
    d = x.shape[1]
    for i in range(lo, hi):
        a = weight[i]
        if a == 0.0:
            continue
        s = 0.0
        for j in range(d):
            s += v[j] * x[i, j]
        t = 1.0 if y[i, 0] > 0 else -1.0
        coef = a * t * inv_tau * _sigmoid(-t * s * inv_tau)
        for j in range(d):
            g[j] += coef * x[i, j]


@njit(cache=True, inline="always", fastmath=FAST)
def _grad_context(v, g, x, y, lengths, weight, lo, hi, inv_tau, m, is_2a):
    """Block over the context ``[x, y_1..y_m, y_m * x]`` (2a: m = 1 with the bias last)."""
    d = x.shape[1]
    v_plus, vy, v_minus = v[0:d], v[d : d + m], v[d + m : 2 * d + m]
    g_plus, gy, g_minus = g[0:d], g[d : d + m], g[d + m : 2 * d + m]
    for i in range(lo, hi):
        a = weight[i]
        if a == 0.0:
            continue
        if is_2a:
            t = 1.0 if lengths[i] == 1 else -1.0
        else:
            if lengths[i] == 1:
                continue
            t = 1.0 if y[i, m] > 0 else -1.0
        plus = y[i, m - 1] > 0
        u = v_plus if plus else v_minus
        s = 0.0
        for j in range(d):
            s += u[j] * x[i, j]
        for k in range(m):
            s += vy[k] * y[i, k]
        if is_2a:
            s += v[2 * d + 1]
        coef = a * t * inv_tau * _sigmoid(-t * s * inv_tau)
        gu = g_plus if plus else g_minus
        for j in range(d):
            gu[j] += coef * x[i, j]
        for k in range(m):
            gy[k] += coef * y[i, k]
        if is_2a:
            g[2 * d + 1] += coef


@njit(cache=True, nogil=True, fastmath=FAST, error_model="numpy")
def _pg_chunks(theta, offsets, x, y, lengths, weight, inv_tau, chunk, buffers, c_lo, c_hi):
    """The gradients of chunks ``c_lo .. c_hi - 1``, each into its row of ``buffers``."""
    n, d = x.shape
    size = theta.shape[0]
    for c in range(c_lo, c_hi):
        lo = c * chunk
        hi = min(n, lo + chunk)
        g = buffers[c]
        for j in range(size):
            g[j] = 0.0
        # Block by block inside the chunk: a block's weights stay in cache, and every
        # coordinate still sums the chunk's samples in order.
        for k in range(d + 1):
            v = theta[offsets[k] : offsets[k + 1]]
            gk = g[offsets[k] : offsets[k + 1]]
            if k == 0:
                _grad_position1(v, gk, x, y, weight, lo, hi, inv_tau)
            elif k == 1:
                _grad_context(v, gk, x, y, lengths, weight, lo, hi, inv_tau, 1, True)
            else:
                _grad_context(v, gk, x, y, lengths, weight, lo, hi, inv_tau, k - 1, False)


@njit(cache=True, nogil=True)
def _sum_rows(buffers, n_rows, out, lo, hi):
    """``out[j] = buffers[0, j] + ... + buffers[n_rows - 1, j]`` in row order, for ``lo <= j < hi``."""
    for j in range(lo, hi):
        total = 0.0
        for c in range(n_rows):
            total += buffers[c, j]
        out[j] = total


def _pg_gradient(theta, offsets, x, y, lengths, weight, inv_tau, chunk, buffers, out):
    """``out = sum_i weight[i] * grad log pi_tau(y_i | x_i)``, in the policy layout.

    ``theta`` is in the policy layout; ``buffers`` has one row per chunk of ``chunk`` prompts
    (``ceil(n / chunk)`` rows of ``len(theta)``). Rows with ``weight == 0`` are skipped.
    Chunks, then coordinates of the sum, on threads (:mod:`linparity.threads`).
    """
    n_chunks = (x.shape[0] + chunk - 1) // chunk
    run_items(_pg_chunks, n_chunks, theta, offsets, x, y, lengths, weight, inv_tau, chunk, buffers)
    run_items(_sum_rows, theta.shape[0], buffers, n_chunks, out)
