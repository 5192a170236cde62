"""A parity-capable position 1: the model with position 1 over every Walsh monomial of x.

docs/theory.md section 3.12.  Position 1 of :class:`linparity.model.LinearAR` sees
``x`` alone, and no linear function of ``x`` has the parity's sign, so next-token
prediction alone cannot learn parity below ``p_long = 1/3`` whatever its budget.  Over
all ``2^d`` monomials ``x_S = prod_{i in S} x_i`` (``S = {}`` is the bias) position 1
can express every function of ``x``, the parity among them; positions 2a and the chain
are unchanged.  Algorithm 3 trains it (``linparity.ntp.Algorithm3(position1="walsh")``,
kernel ``_kernels/_walsh.py``); this module holds the model and its evaluation.

Features are indexed by the bitmask of ``S``: bit ``k`` stands for ``x_{k+1}``.  The
cost grows as ``2^d``: per training sample four passes over ``2^d`` doubles, and
``4 * 2^d`` doubles of training state and scratch (:data:`WALSH_MAX_D` bounds it).
"""

import numpy as np

from . import validation
from .model import LinearAR

#: Largest d with a Walsh position 1: 2^20 features, 8 MiB per array of its state and
#: about a millisecond per training sample.  Above it a run would need many times 2^d
#: samples (each prompt must be seen) of 2^d work each: days.
WALSH_MAX_D = 20

#: Logits within this share of ``sum_S |w_S|`` of zero are zero (see :meth:`WalshAR.position1_logits`).
ROUNDING_TIE = 1e-9

#: Position 1's feature sets (``--position1-features``).
POSITION1_FEATURES = ("linear", "walsh")


def check_walsh_d(d):
    """``d`` (an int) if a Walsh position 1 supports it; ValueError in one line otherwise.

    Parameters
    ----------
    d : int

    Returns
    -------
    int
        ``d``, with ``2 <= d <=`` :data:`WALSH_MAX_D`.
    """
    d = validation.check_d(d)
    if d > WALSH_MAX_D:
        raise ValueError(
            f"--position1-features walsh supports d <= {WALSH_MAX_D} (2^d features per position-1 step), got d = {d}"
        )
    return d


def prompt_index(x):
    """Each prompt's index among the ``2^d`` prompts: bit ``k`` set where ``x_{k+1} = -1``.

    With it, ``x_S = (-1)^{|S & index|}``: the Walsh monomials of a prompt are a row of
    the Hadamard matrix.

    Parameters
    ----------
    x : array_like (n, d) of +-1

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    x = np.asarray(x)
    weights = np.left_shift(np.int64(1), np.arange(x.shape[1], dtype=np.int64))
    return (x < 0).astype(np.int64) @ weights


def walsh_table(weights):
    """Position 1's logit ``<w, phi(x)>`` at every one of the ``2^d`` prompts, by prompt index.

    The fast Walsh-Hadamard transform of ``w`` (``d 2^d`` additions): entry ``B`` is
    ``sum_S w_S (-1)^{|S & B|}``, the logit of the prompt of index ``B``
    (:func:`prompt_index`).

    Parameters
    ----------
    weights : array_like, shape (2^d,)
        Position 1's weights by the bitmask of ``S``.

    Returns
    -------
    ndarray, shape (2^d,)
    """
    f = np.array(weights, dtype=np.float64)
    n = f.shape[0]
    half = 1
    while half < n:
        v = f.reshape(-1, 2, half)
        lo, hi = v[:, 0, :].copy(), v[:, 1, :]
        v[:, 0, :] += hi
        v[:, 1, :] = lo - hi
        half *= 2
    return f


class WalshAR(LinearAR):
    """The linear autoregressive model with a Walsh position 1 (docs/theory.md section 3.12).

    Parameters
    ----------
    d : int
        Number of input bits, ``2 <= d <=`` :data:`WALSH_MAX_D`.
    theta : array_like, optional
        Parameters in the theta layout (:mod:`linparity.layout`); its position-1 block
        is unused and must be zero.
    walsh : array_like, shape (2^d,), optional
        Position 1's weights over the monomials, by the bitmask of ``S``; zeros by default.
    """

    position1_features = "walsh"

    def __init__(self, d, theta=None, walsh=None):
        super().__init__(check_walsh_d(d), theta)
        if np.any(self.w1 != 0):
            raise ValueError("a Walsh model's linear position-1 block must be zero (its weights are in walsh)")
        n = 1 << self.d
        walsh = np.zeros(n) if walsh is None else np.array(walsh, dtype=np.float64)
        if walsh.shape != (n,) or not np.all(np.isfinite(walsh)):
            raise ValueError(f"walsh must hold {n} finite weights for d = {self.d}")
        walsh.setflags(write=False)  # read-only: its transform is computed once, below
        self.walsh = walsh
        self._table = None

    def position1_logits(self, x):
        """Position 1's logit ``<w, phi(x)>`` of every prompt of ``x``, zero where it is zero up to rounding.

        The monomials are orthogonal, so an SGD step on one prompt leaves the logit of
        every other prompt unchanged: a prompt that training never saw has logit
        exactly 0, and greedy decoding's tie rule (+1) applies to it.  In floating point
        it is a sum that cancels to about ``1e-13`` instead, of a sign set by rounding,
        and that sign is correlated with the parity through the large weight that
        training puts on the parity monomial (measured at d = 10-14: unseen prompts'
        logits at most 4e-13, seen ones at least 8e-5; the unseen prompts' float
        signs agreed with the parity on 0%, 47%, 94% and 100% of them in four runs).
        So a logit within ``ROUNDING_TIE * sum_S |w_S|`` of zero is set to 0.
        """
        x = validation.check_prompts(x, self.d)
        return self._position1_logits(x)

    def _position1_logits(self, x):
        if self._table is None:
            table = walsh_table(self.walsh)
            table[np.abs(table) <= ROUNDING_TIE * np.abs(self.walsh).sum()] = 0.0
            self._table = table
        return np.ascontiguousarray(self._table[prompt_index(x)])

    def copy(self):
        return WalshAR(self.d, self.theta.copy(), self.walsh)
