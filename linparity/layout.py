"""The three layouts of the model's parameters, and every conversion between them.

**Theta layout** (:class:`linparity.model.LinearAR`'s ``theta``, the public one). One
flat vector, block ``k`` from ``offsets[k]`` (:func:`position_offsets`):

==========  ======================  =========================================
block       position                entries
==========  ======================  =========================================
0           1                       ``w_x`` (d)
1           2a                      ``w_x`` (d), ``w_y`` (1), ``w_lx`` (d), bias
l = 2..d    chain position l        ``w_x`` (d), ``w_y`` (l - 1), ``w_lx`` (d)
==========  ======================  =========================================

``w_x`` weighs ``x``, ``w_y`` the tokens ``y_1..y_m`` so far and ``w_lx`` the product
``y_m * x`` of the last token with ``x`` (docs/theory.md section 2). The "x parts" of
a context block (2a and chain) are its ``w_x`` and ``w_lx``.

**Policy layout** (read by the policy kernels ``_kernels/_policy.py``, ``_pg.py``
and ``_rollout.py``). The theta layout's order and size, with every context block's
x parts replaced by ``u+ = w_x + w_lx`` (at ``w_x``'s place) and ``u- = w_x - w_lx``
(at ``w_lx``'s): ``[u+, w_y, u-]``. A logit is then ``<u_s, x> + <w_y, y_<l>`` with
``s`` the last token, one pass over ``x`` instead of two. :func:`to_policy_layout`
converts parameters; a gradient accumulated in this layout goes back with
:func:`gradient_to_theta_layout` (the chain rule, not the inverse map).

**NTP state layout** (the running sums of :class:`linparity.ntp.Algorithm3`, read by
``_kernels/_ntp.py``). Blocks in the theta layout's order, but each starts on a
``tuning.NTP_PAD``-double boundary and is followed by at least ``tuning.NTP_GAP``
empty doubles, so threads writing different blocks never share a cache line.
Inside a block: ``[u+ (d), u- (d), rest]`` with ``rest`` = ``w_y`` for a chain block
and ``[w_y, bias]`` for 2a (position 1 is ``[w_x]`` alone): the two u parts side by
side, so the kernel picks one as a row of a ``(2, d)`` view. :class:`NTPStateLayout`
holds the offsets and the conversion back to the theta layout.
"""

import functools

import numpy as np

from . import validation
from .tuning import NTP_GAP, NTP_PAD

# --------------------------------------------------------------------------- theta layout


def position_offsets(d):
    """Start of every parameter block in the theta layout, plus its total size at the end.

    Returns
    -------
    ndarray of int64, shape (d + 2,)
        ``offsets[k]`` for blocks k = 0 (position 1), 1 (2a), 2..d (chain), and
        ``offsets[d + 1] = len(theta)``.
    """
    d = validation.check_d(d)
    sizes = [d, 2 * d + 2] + [2 * d + l - 1 for l in range(2, d + 1)]
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


@functools.lru_cache(maxsize=None)
def x_part_indices(d):
    """Where, in the theta layout, the two x parts of every context block (2a and chain) sit.

    Returns
    -------
    over_x, over_last_x : ndarray of int64
        Indices of the weights ``w_x`` over ``x`` and, at the same places in the same
        order, of the weights ``w_lx`` over ``last token * x``. In the policy layout
        the same indices hold ``u+`` and ``u-``. Read-only (shared between callers).
    """
    offsets = position_offsets(d)
    over_x, over_last = [], []
    for k in range(1, d + 1):
        m = 1 if k == 1 else k - 1
        o = int(offsets[k])
        over_x.append(np.arange(o, o + d))
        over_last.append(np.arange(o + d + m, o + 2 * d + m))
    out = np.concatenate(over_x), np.concatenate(over_last)
    for a in out:
        a.setflags(write=False)
    return out


# --------------------------------------------------------------------------- policy layout


def to_policy_layout(theta, d):
    """Parameters in the theta layout as a new vector in the policy layout (``u+- = w_x +- w_lx``)."""
    over_x, over_last = x_part_indices(d)
    w_x, w_lx = theta[over_x], theta[over_last]
    params = theta.copy()
    params[over_x] = w_x + w_lx
    params[over_last] = w_x - w_lx
    return params


def gradient_to_theta_layout(grad, d):
    """A gradient over policy-layout parameters as a gradient over theta, in place.

    Chain rule: ``u+- = w_x +- w_lx`` gives ``g_wx = g_u+ + g_u-`` and
    ``g_wl = g_u+ - g_u-``. Returns ``grad``.
    """
    plus, minus = x_part_indices(d)
    gp, gm = grad[plus], grad[minus]
    grad[plus] = gp + gm
    grad[minus] = gp - gm
    return grad


# --------------------------------------------------------------------------- NTP state layout


def _ntp_block_order(d, k):
    """Where theta's entries of block ``k`` sit inside the block in the NTP state layout.

    Theta: [w_x (d)] for position 1; [w_x (d), w_y (1), w_lx (d), bias] for 2a;
    [w_x (d), w_y (m), w_lx (d)] for a chain block. NTP state: [u+ (d), u- (d), rest].
    """
    x_part = np.arange(d)
    if k == 0:
        return x_part
    if k == 1:
        return np.concatenate([x_part, [2 * d], d + x_part, [2 * d + 1]])
    return np.concatenate([x_part, 2 * d + np.arange(k - 1), d + x_part])


class NTPStateLayout:
    """The NTP state layout for one ``d`` (see the module docstring).

    Attributes
    ----------
    d : int
    offsets : ndarray of int64, shape (d + 2,)
        Start of every block in the state, plus the state's size at the end.
    order : ndarray of int64, shape (len(theta),)
        ``order[i]``: where theta's entry ``i`` sits in the state (its ``w_x``
        entries at ``u+``, its ``w_lx`` entries at ``u-``).
    """

    def __init__(self, d):
        self.d = validation.check_d(d)
        sizes = np.diff(position_offsets(self.d))
        padded = -(-sizes // NTP_PAD) * NTP_PAD + NTP_GAP
        self.offsets = np.concatenate([[0], np.cumsum(padded)]).astype(np.int64)
        self.order = np.concatenate([s0 + _ntp_block_order(self.d, k) for k, s0 in enumerate(self.offsets[:-1])])

    def zeros(self):
        """A zero state whose first element sits on an ``NTP_PAD``-double (128-byte) boundary."""
        n = int(self.offsets[-1])
        raw = np.zeros(n + NTP_PAD)
        shift = (-raw.ctypes.data % (8 * NTP_PAD)) // 8
        return raw[shift : shift + n]

    def to_theta_layout(self, state):
        """Sums over the u parts in the NTP state layout as a new vector in the theta layout.

        The kernel moves ``u+- = g_x +- g_lx`` (the sums over ``x`` and over
        ``last * x``), so ``g_x = (u+ + u-) / 2`` and ``g_lx = (u+ - u-) / 2``.
        """
        plus, minus = x_part_indices(self.d)
        out = state[self.order]
        u_plus, u_minus = out[plus], out[minus]
        out[plus] = 0.5 * (u_plus + u_minus)
        out[minus] = 0.5 * (u_plus - u_minus)
        return out
