"""Kernel for a Walsh position 1 (docs/theory.md section 3.12): Algorithm 3's steps over all monomials.

Position 1 over the ``2^d`` features ``x_S = prod_{i in S} x_i``, one per subset ``S`` of
the input bits, indexed by the bitmask of ``S`` (bit ``k`` is ``x_{k+1}``; ``S = 0`` is
the empty set, the bias).  A sample's monomials are built in place by doubling,
``x_{S + 2^k} = x_S x_{k+1}`` for ``S < 2^k`` (``2^d`` multiplies, no ``2^d x n``
matrix), then dotted and added exactly as ``_ntp._position1`` does with ``x``: the
same Pegasos running sums (``w_t = -G_t / (lambda t)``) and the same closed form of
the averaged iterate (``_kernels/_ntp.py``).  Per sample that is 4 passes over
``2^d`` doubles (build, dot, two updates); the sums and the scratch hold ``3 * 2^d``.
"""

from numba import njit

from ..tuning import FAST
from ._ntp import _coefficient


@njit(cache=True, inline="always")
def _monomials(x, i, phi):
    """Write every monomial of row ``i`` of ``x`` to ``phi`` (length ``2^d``)."""
    phi[0] = 1.0
    size = 1
    for k in range(x.shape[1]):
        xk = float(x[i, k])
        for s in range(size):
            phi[size + s] = phi[s] * xk
        size *= 2


@njit(cache=True, fastmath=FAST)
def _walsh_steps(g, a, x, y, samples, state, lam, horizon, phi):
    """Steps of Walsh position 1 (y_1 from every monomial of x) over samples ``samples``.

    Parameters
    ----------
    g, a : ndarray of float64, shape (2^d,)
        The running sums ``G`` and ``sum_s H_{s-1} g_s`` over the monomials (updated).
    x, y : ndarray of int8, shape (n, d)
        Prompts and responses; the target is ``y[i, 0]``.
    samples : ndarray of int64
        Rows of ``x`` to step on, in order.
    state : ndarray of float64, shape (2,)
        ``[steps, harmonic number]`` of the block (updated).
    lam : float
        The block's lambda.
    horizon : int
        No step once ``steps`` reaches it.
    phi : ndarray of float64, shape (2^d,)
        Scratch for one sample's monomials.
    """
    n_feat = g.shape[0]
    t = int(state[0])
    h = state[1]
    for r in range(samples.shape[0]):
        if t >= horizon:
            break
        i = samples[r]
        _monomials(x, i, phi)
        s = 0.0
        for f in range(n_feat):
            s += g[f] * phi[f]
        c = _coefficient(s, y[i, 0], t, lam)
        if c != 0.0:
            ch = c * h
            for f in range(n_feat):
                v = phi[f]
                g[f] += c * v
                a[f] += ch * v
        t += 1
        h += 1.0 / t
    state[0] = t
    state[1] = h
