"""Pre-training by next-token prediction: Algorithm 3 (docs/theory.md section 3).

Each position minimises its own logistic loss plus ``(lambda_l / 2) ||w_l||^2``
by single-sample Pegasos SGD with step ``1 / (lambda_l t)``; chain positions step
only on long samples, with the long-sample counter as ``t``; the output is the
average of the iterates. :class:`Algorithm3` holds that state and accepts samples
in any number of batches (the result does not depend on how they are split).
"""

import numpy as np

from . import validation
from ._kernels._ntp import _ntp_steps
from ._kernels._walsh import _walsh_steps
from .layout import NTPStateLayout, position_offsets
from .model import LinearAR
from .task import STREAM_PRETRAIN, draw_demonstrations, stream_key
from .walsh import POSITION1_FEATURES, WalshAR, check_walsh_d


def default_lambdas(d, n_samples, n_long, position1="linear"):
    """Default ``lambda`` of every block for a training set of ``n_samples`` samples, ``n_long`` long.

    Algorithm 3 outputs the plain average of its iterates, and with a small
    ``lambda`` its first iterates (step ``1 / (lambda t)``) are huge and saturated;
    the average keeps their imprint for a long time. A large ``lambda`` instead biases
    the optimum. These rules balance the two, using only the size and long share of
    the training set (measurements behind them: README, "Defaults, and the measurements behind them";
    docs/theory.md section 3.3):

    * position 1 (noisy labels, d features): ``sqrt(d / T)``; with
      ``position1="walsh"`` (docs/theory.md section 3.12) the same rule over its
      ``2^d`` features, ``sqrt(2^d / T)``;
    * position 2a (Bernoulli label of variance ``q(1 - q)``, q the long share,
      2d + 2 features): ``2 sqrt((2d + 1) q (1 - q) / T)``;
    * chain position l (separable, 2d + l - 1 features, ``T_long`` long samples):
      ``0.6 (2d + l - 1) / T_long``;

    each clipped to ``[1e-5, 0.1]``.

    Returns
    -------
    ndarray, shape (d + 1,)
    """
    d = validation.check_d(d)
    n_samples = validation.check_count(n_samples, "n_samples")
    n_long = validation.check_count(n_long, "n_long")
    t = max(n_samples, 1)
    share = n_long / t
    validation.check_choice(position1, POSITION1_FEATURES, "position1")
    lam_1 = np.sqrt((d if position1 == "linear" else 2.0**d) / t)
    lam_2a = 2.0 * np.sqrt((2 * d + 1) * share * (1.0 - share) / t)
    features = 2 * d + np.arange(2, d + 1) - 1
    lam_chain = 0.6 * features / max(n_long, 1)
    return np.clip(np.concatenate([[lam_1, lam_2a], lam_chain]), LAMBDA_MIN, LAMBDA_MAX)


LAMBDA_MIN, LAMBDA_MAX = 1e-5, 0.1


def position_lambdas(d, lambda_1, lambda_2a, lambda_chain):
    """Per-block ``lambda`` from one value per position group (1, 2a, chain)."""
    d = validation.check_d(d)
    values = [
        validation.check_positive(v, name)
        for v, name in ((lambda_1, "lambda_1"), (lambda_2a, "lambda_2a"), (lambda_chain, "lambda_chain"))
    ]
    return np.array(values[:2] + [values[2]] * (d - 1))


#: Long samples a training set should hold by default (pre-training and every STaR
#: round) up to d = LONG_TARGET_D; above it the default grows, see long_target_scale.
LONG_TARGET = 100_000
LONG_TARGET_D = 64
#: Exponent of the default's growth above LONG_TARGET_D, measured (README, "Defaults"):
#: at p_long = 0.1 the chain's success P(correct | long) was 0.87 at d = 64 with 100k
#: long samples; the same success needed about 300k at d = 128 (200k: 0.84, 400k: 0.90)
#: and 800k at d = 256 (400k: 0.78, 800k: 0.88), i.e. (d / 64)^1.5.
LONG_TARGET_EXPONENT = 1.5


def long_target_scale(d):
    """Factor by which the default long target (and the budgets' caps) grow at ``d``.

    1 up to ``d = 64`` (where the defaults were calibrated), ``(d / 64)^1.5`` above:
    every chain position's error must fall as the chain lengthens, and with a fixed
    number of long samples the chain's success fell to 0.72, 0.30 and 0.004 at
    d = 128, 256 and 512. The law is measured, not derived (see LONG_TARGET_EXPONENT).
    """
    d = validation.check_d(d)
    return 1.0 if d <= LONG_TARGET_D else (d / LONG_TARGET_D) ** LONG_TARGET_EXPONENT


def default_long_target(d):
    """The automatic ``--long-target`` at ``d``: 100,000 up to d = 64, ``(d / 64)^1.5`` times that above."""
    return int(np.ceil(LONG_TARGET * long_target_scale(d)))


class Algorithm3:
    """State of Algorithm 3: per-position Pegasos SGD with averaged iterates.

    Parameters
    ----------
    d : int
    lambdas : array_like, shape (d + 1,)
        ``lambda`` of every block (:func:`position_lambdas`).
    horizons : array_like of int, shape (d + 1,), optional
        ``T_l``: a block stops stepping after this many steps (default: never).
    position1 : {"linear", "walsh"}
        Position 1's features: ``x`` (the model of docs/theory.md section 2) or every
        Walsh monomial of ``x`` (section 3.12, :class:`linparity.walsh.WalshAR`; d <= 20).
        Block 0's lambda, horizon, steps and harmonic number are then the Walsh block's.

    Notes
    -----
    The iterate is never stored: ``w_t = -G_t / (lambda t)`` where ``G_t`` is the sum
    of loss gradients, and the average of iterates ``t0+1 .. T`` is
    ``-(H_T G_T - H_t0 G_t0 - sum_{s>t0} H_{s-1} g_s) / (lambda (T - t0))`` with
    ``H`` the harmonic numbers (see ``_kernels/_ntp.py``).
    """

    def __init__(self, d, lambdas, horizons=None, position1="linear"):
        self.d = validation.check_d(d)
        self.position1 = validation.check_choice(position1, POSITION1_FEATURES, "position1")
        self.offsets = position_offsets(self.d)
        n_blocks = self.d + 1
        self.lambdas = np.ascontiguousarray(lambdas, dtype=np.float64)
        if self.lambdas.shape != (n_blocks,) or not np.all(self.lambdas > 0):
            raise ValueError(f"lambdas must be {n_blocks} positive numbers")
        if horizons is None:
            horizons = np.full(n_blocks, np.iinfo(np.int64).max)
        self.horizons = np.ascontiguousarray(horizons, dtype=np.int64)
        if self.horizons.shape != (n_blocks,) or np.any(self.horizons < 0):
            raise ValueError(f"horizons must be {n_blocks} non-negative integers")
        size = int(self.offsets[-1])
        # The running sums live in the NTP state layout (linparity.layout): padded so
        # that threads updating different blocks never share a cache line, and with
        # each context block's two x parts as u+- side by side.
        self._layout = NTPStateLayout(self.d)
        self._g = self._layout.zeros()
        self._a = self._layout.zeros()
        self.steps = np.zeros(n_blocks, dtype=np.int64)
        self.harmonic = np.zeros(n_blocks)
        # Where the running average starts: t0 per block, and the terms that cancel
        # the steps before t0 in the average's closed form (see restart_average).
        self.average_start = np.zeros(n_blocks, dtype=np.int64)
        self.start_term = np.zeros(size)
        self._kernel_horizons = self.horizons
        if self.position1 == "walsh":
            check_walsh_d(self.d)
            # The linear kernel leaves block 0 alone (horizon 0); the Walsh kernel steps
            # it, with block 0's counters, over its own running sums.
            self._kernel_horizons = self.horizons.copy()
            self._kernel_horizons[0] = 0
            n_walsh = 1 << self.d
            self._walsh_g, self._walsh_a = np.zeros(n_walsh), np.zeros(n_walsh)
            self._walsh_start_term = np.zeros(n_walsh)
            self._walsh_scratch = np.empty(n_walsh)

    @property
    def samples(self):
        """Samples seen by position 1 (all of them, unless its horizon stopped it)."""
        return int(self.steps[0])

    @property
    def long_samples(self):
        """Long samples seen by the chain positions."""
        return int(self.steps[2]) if self.d >= 2 else 0

    def partial_fit(self, x, y, lengths, order=None, *, check=True):
        """Run Algorithm 3's steps on a batch of demonstrations, in ``order`` (default: as given).

        ``x``, ``y``, ``lengths`` follow :mod:`linparity.task`'s encoding. ``check=False``
        skips the O(n d) test that ``x`` holds only +-1 (for arrays the package drew).
        """
        x = validation.check_prompts(x, self.d) if check else np.ascontiguousarray(x, dtype=np.int8)
        y = np.ascontiguousarray(y, dtype=np.int8)
        lengths = np.ascontiguousarray(lengths, dtype=np.int64)
        if y.shape != x.shape or lengths.shape != (x.shape[0],):
            raise ValueError("x, y and lengths must describe the same samples")
        if order is None:
            order = np.arange(x.shape[0])
            long_order = np.flatnonzero(lengths != 1)
        else:
            order = np.ascontiguousarray(order, dtype=np.int64)
            long_order = order[lengths[order] != 1]
        _ntp_steps(
            self._g,
            self._a,
            self.steps,
            self._kernel_horizons,
            self.lambdas,
            self.harmonic,
            self._layout.offsets,
            x,
            y,
            lengths,
            order,
            x[long_order],
            y[long_order],
        )
        if self.position1 == "walsh":
            counters = np.array([self.steps[0], self.harmonic[0]], dtype=np.float64)
            _walsh_steps(
                self._walsh_g,
                self._walsh_a,
                x,
                y,
                order,
                counters,
                self.lambdas[0],
                self.horizons[0],
                self._walsh_scratch,
            )
            self.steps[0], self.harmonic[0] = int(counters[0]), counters[1]
        return self

    @property
    def grad_sum(self):
        """``G``: the sum of loss gradients of every block (a copy, in the theta layout)."""
        return self._layout.to_theta_layout(self._g)

    @property
    def weighted_sum(self):
        """``sum_s H_{s-1} g_s`` of every block (a copy, in the theta layout)."""
        return self._layout.to_theta_layout(self._a)

    def restart_average(self):
        """Average only the iterates from now on (used by warm-started STaR rounds)."""
        # weighted_sum keeps accumulating from step 1, so the part before t0 is
        # subtracted here: start_term = H_t0 G_t0 - sum_{s <= t0} H_{s-1} g_s.
        self.average_start = self.steps.copy()
        self.start_term = self._per_coordinate(self.harmonic) * self.grad_sum - self.weighted_sum
        if self.position1 == "walsh":
            self._walsh_start_term = self.harmonic[0] * self._walsh_g - self._walsh_a

    def _per_coordinate(self, values):
        return np.repeat(values, np.diff(self.offsets))

    def _last_iterate(self, grad_sum, lam):
        t = self._per_coordinate(self.steps).astype(np.float64)
        return np.divide(-grad_sum, lam * t, out=np.zeros_like(grad_sum), where=t > 0)

    def last_iterate(self):
        """The current SGD iterate ``w_t = -G_t / (lambda t)`` (zero where t = 0)."""
        theta = self._last_iterate(self.grad_sum, self._per_coordinate(self.lambdas))
        if self.position1 == "linear":
            return LinearAR(self.d, theta)
        t = int(self.steps[0])
        walsh = -self._walsh_g / (self.lambdas[0] * t) if t > 0 else np.zeros_like(self._walsh_g)
        return WalshAR(self.d, theta, walsh)

    def model(self):
        """Algorithm 3's output: the averaged iterates of every block.

        A block that took no step since the average started keeps its last iterate.
        """
        n = self._per_coordinate(self.steps - self.average_start).astype(np.float64)
        lam = self._per_coordinate(self.lambdas)
        h = self._per_coordinate(self.harmonic)
        grad_sum = self.grad_sum  # a converted copy: take it once
        total = h * grad_sum - self.start_term - self.weighted_sum
        average = np.divide(-total, lam * n, out=np.zeros_like(total), where=n > 0)
        theta = np.where(n > 0, average, self._last_iterate(grad_sum, lam))
        if self.position1 == "linear":
            return LinearAR(self.d, theta)
        theta[self.offsets[0] : self.offsets[1]] = 0.0
        return WalshAR(self.d, theta, self._walsh_average())

    def _walsh_average(self):
        """The Walsh block's averaged iterate (its last iterate if no step was averaged)."""
        n = int(self.steps[0] - self.average_start[0])
        lam, t = self.lambdas[0], int(self.steps[0])
        if n > 0:
            total = self.harmonic[0] * self._walsh_g - self._walsh_start_term - self._walsh_a
            return -total / (lam * n)
        return -self._walsh_g / (lam * t) if t > 0 else np.zeros_like(self._walsh_g)


#: Bounds of the automatic pre-training budget up to d = 64 (the cap grows above it).
PRETRAIN_MIN, PRETRAIN_MAX = 200_000, 20_000_000


def default_pretrain_samples(p_long, long_target=LONG_TARGET, minimum=PRETRAIN_MIN, maximum=PRETRAIN_MAX):
    """Automatic pre-training budget: enough samples for about ``long_target`` long ones.

    Chain positions learn from long samples only, so the budget grows like
    ``1 / p_long`` (``minimum <= T <= maximum``).
    """
    p_long = validation.check_probability(p_long, "p_long")
    if p_long == 0.0:
        return maximum
    return int(min(maximum, max(minimum, np.ceil(long_target / p_long))))


def pretrain(
    d, p_long, n_samples, *, seed, lambdas=None, horizons=None, position1="linear", chunk=1 << 16, progress=None
):
    """Algorithm 3 on ``n_samples`` fresh demonstrations from D(p_long).

    Parameters
    ----------
    d : int
    p_long : float in [0, 1]
    n_samples : int
        Samples drawn (``T``).
    seed : int
        Demonstrations come from stream ``STREAM_PRETRAIN`` of this seed.
    lambdas, horizons, position1
        See :class:`Algorithm3`; ``lambdas`` defaults to :func:`default_lambdas` for the expected long count.
    chunk : int
        Samples drawn per batch (memory only: results do not depend on it).
    progress : callable(done, total), optional

    Returns
    -------
    Algorithm3
        The trained state; ``.model()`` is the pre-trained :class:`LinearAR`.
    """
    d = validation.check_d(d)
    p_long = validation.check_probability(p_long, "p_long")
    n_samples = validation.check_count(n_samples, "n_samples")
    chunk = validation.check_count(chunk, "chunk", minimum=1)
    if lambdas is None:
        lambdas = default_lambdas(d, n_samples, int(round(p_long * n_samples)), position1)
    state = Algorithm3(d, lambdas, horizons, position1)
    key = stream_key(seed, STREAM_PRETRAIN)
    buffer = draw_demonstrations(min(chunk, n_samples), d, p_long, key=key)
    done = 0
    while done < n_samples:
        n = min(chunk, n_samples - done)
        batch = draw_demonstrations(n, d, p_long, key=key, start=done, out=buffer)
        state.partial_fit(*batch, check=False)
        done += n
        if progress is not None:
            progress(done, n_samples)
    return state
