"""LinearAR: the linear autoregressive predictor of docs/theory.md section 2.

One linear predictor per output position over a fixed feature map:

==============  =======================  ==================================
position        features                 parameters
==============  =======================  ==================================
1               ``x``                    ``w_1`` (d), no bias
2a (stop/go)    ``[x, y_1, y_1 * x]``    ``w_2a`` (2d + 1) and bias ``b_2a``
l = 2..d        ``[x, y_<l, y_{l-1} x]`` ``w_l`` (2d + l - 1), no bias
==============  =======================  ==================================

All parameters sit in one flat vector ``theta``, in the theta layout of
:mod:`linparity.layout` (block k starts at ``offsets[k]``; block 0 is position 1,
block 1 is 2a with its bias last, block l is chain position l). Decoding:
``P(+1) = sigma(s / tau)``; at 2a, +1 means EOS. Greedy ties (``s == 0``) go to
+1, i.e. to EOS at 2a.
"""

import numpy as np

from . import validation
from ._kernels._policy import _generate, _log_prob, _response_stats
from .layout import position_offsets, to_policy_layout

_LINEAR_POSITION1 = np.empty(0)


class LinearAR:
    """Weights of every position of the linear autoregressive model.

    Parameters
    ----------
    d : int
        Number of input bits (>= 2).
    theta : array_like, optional
        Flat parameter vector in the theta layout; zeros by default,
        the paper's initialisation (every token starts at probability 1/2).
    """

    #: Position 1's features (``--position1-features``): ``x`` here.
    position1_features = "linear"

    def __init__(self, d, theta=None):
        self.d = validation.check_d(d)
        self.offsets = position_offsets(self.d)
        size = int(self.offsets[-1])
        if theta is None:
            theta = np.zeros(size)
        theta = np.ascontiguousarray(theta, dtype=np.float64)
        if theta.shape != (size,):
            raise ValueError(f"theta must have {size} entries for d = {self.d}, got {theta.shape}")
        if not np.all(np.isfinite(theta)):
            raise ValueError("theta must be finite")
        self.theta = theta

    def block(self, k):
        """View of parameter block k (0: position 1, 1: 2a with bias last, l: chain position l)."""
        return self.theta[self.offsets[k] : self.offsets[k + 1]]

    @property
    def w1(self):
        """Position-1 weights over ``x``."""
        return self.block(0)

    @property
    def w2a(self):
        """Position-2a weights over ``[x, y_1, y_1 * x]`` (bias excluded)."""
        return self.block(1)[:-1]

    @property
    def b2a(self):
        """Position-2a bias (positive favours EOS)."""
        return float(self.block(1)[-1])

    def chain_weights(self, l):
        """Weights of chain position ``l`` (2 <= l <= d) over ``[x, y_1..y_{l-1}, y_{l-1} * x]``."""
        if not 2 <= l <= self.d:
            raise ValueError(f"chain positions run from 2 to d = {self.d}, got {l}")
        return self.block(l)

    def _position1_logits(self, x):
        """Position 1's logits for the kernels: empty, so that they compute ``<w_1, x>``.

        A model whose position 1 has other features (:class:`linparity.walsh.WalshAR`)
        returns every prompt's logit here instead.
        """
        return _LINEAR_POSITION1

    def policy_params(self):
        """A copy of ``theta`` in the policy layout, the one the policy kernels read
        (:mod:`linparity.layout`)."""
        return to_policy_layout(self.theta, self.d)

    def copy(self):
        return LinearAR(self.d, self.theta.copy())

    def generate(self, x, *, key, start=0, temperature=1.0, out=None):
        """Sample one response per prompt at temperature ``tau``: ``P(+1) = sigma(s / tau)``.

        Parameters
        ----------
        x : array_like (n, d) of +-1
        key : int
            Stream key (:func:`linparity.task.stream_key`); prompt i uses the
            uniforms of index ``start + i`` of that stream, so the result does not
            depend on the number of threads or on how a batch is split.
        start : int
        temperature : float > 0
        out : (y, lengths), optional
            Arrays with room for n responses to fill instead of allocating.

        Returns
        -------
        y, lengths : see :mod:`linparity.task`
        """
        x = validation.check_prompts(x, self.d)
        tau = validation.check_positive(temperature, "temperature")
        return self._decode(x, 1.0 / tau, False, key, validation.check_count(start, "start"), out)

    def greedy(self, x):
        """Greedy decoding: each token is the sign of its logit (ties to +1 / EOS)."""
        return self._decode(validation.check_prompts(x, self.d), 1.0, True, 0, 0, None)

    def _decode(self, x, inv_tau, greedy, key, start, out):
        n = x.shape[0]
        if out is None:
            y = np.empty((n, self.d), dtype=np.int8)
            lengths = np.empty(n, dtype=np.int64)
        else:
            y, lengths = out[0][:n], out[1][:n]
            if y.shape != (n, self.d) or y.dtype != np.int8 or lengths.dtype != np.int64 or not y.flags.c_contiguous:
                raise ValueError(f"out must hold an int8 array of at least ({n}, {self.d}) and int64 lengths")
        _generate(
            self.policy_params(),
            self.offsets,
            self._position1_logits(x),
            x,
            inv_tau,
            greedy,
            np.uint64(key),
            start,
            y,
            lengths,
        )
        return y, lengths

    def log_prob(self, x, y, lengths, temperature=1.0):
        """Exact ``ln pi(y | x)``: the sum of token log-probabilities, the 2a decision included."""
        x = validation.check_prompts(x, self.d)
        y, lengths = validation.check_responses(y, lengths, x.shape[0], self.d)
        out = np.empty(x.shape[0])
        tau = validation.check_positive(temperature, "temperature")
        _log_prob(self.policy_params(), self.offsets, self._position1_logits(x), x, y, lengths, 1.0 / tau, out)
        return out

    def response_stats(self, x):
        """Exact per-prompt probabilities at temperature 1.

        Returns
        -------
        ndarray, shape (n, 6)
            Columns: ``pi(correct long | x)``, ``pi(correct short | x)``, the
            probability of going on after ``y_1`` (a long response, right or wrong),
            ``P(y_1 = x_1 | x)`` (the copy), ``P(go on | x, y_1 = x_1)`` and
            ``P(go on | x, y_1 = -x_1)`` (docs/theory.md section 4.8).
        """
        x = validation.check_prompts(x, self.d)
        out = np.empty((x.shape[0], 6))
        _response_stats(self.policy_params(), self.offsets, self._position1_logits(x), x, out)
        return out
