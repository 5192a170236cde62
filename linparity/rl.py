"""Post-training by reinforcement learning (docs/theory.md section 4): STaR, REINFORCE, GRPO.

A STaR round draws prompts, samples one response each from the current model,
keeps the pairs with reward 1 and runs next-token prediction (Algorithm 3) on the
kept set. ``fresh`` re-solves that problem from zero weights (the analysed
variant); ``warm`` continues the previous round's SGD state (counters, step sizes
and running sums carry over; the averaged output covers this round's steps only).

The policy-gradient methods (:class:`PolicyGradient`) ascend
``E[A * grad log pi(y | x)]`` directly on the model's weights: REINFORCE with one
response per prompt and ``A = r - b`` (``b`` the batch mean reward, or 0), GRPO with
groups of G responses per prompt and ``A = (r - mean_group) / (std_group + eps)``.
``grad log pi`` is exact (``_kernels/_pg.py``). With a sampling temperature ``tau``
the gradient is that of the sampling policy ``pi_tau`` (``P(+1) = sigma(s / tau)``),
so the update stays on-policy; at ``tau = 1`` it is the model's own.
"""

import numpy as np

from . import validation
from ._kernels._pg import _pg_gradient
from ._kernels._rollout import _compact_rows, _group_rollout, _rollout
from .layout import gradient_to_theta_layout
from .model import LinearAR
from .ntp import Algorithm3
from .task import (
    REWARDS,
    STREAM_PG_PROMPTS,
    STREAM_PG_SAMPLES,
    STREAM_RL_PROMPTS,
    STREAM_RL_SAMPLES,
    STREAM_SHUFFLE,
    Batch,
    stream_key,
)
from .task import reward as task_reward
from .tuning import PG_CHUNK

STAR_MODES = ("fresh", "warm")
PG_ALGORITHMS = ("reinforce", "grpo")
BASELINES = ("mean", "none")

# Step n of a policy-gradient run draws its prompts from (seed, STREAM_PG_PROMPTS, n)
# and its responses from (seed, STREAM_PG_SAMPLES, n).


def sample_and_filter(
    model: LinearAR,
    n_prompts,
    *,
    seed,
    round_index,
    reward="cot",
    temperature=1.0,
    chunk=1 << 16,
    progress=None,
    concatenate=True,
):
    """Draw prompts, sample one response each, keep those with reward 1.

    Prompts and samples of round ``n`` come from their own streams of ``seed``, so a
    round's data does not depend on other rounds' sizes. The draw is the one of
    :func:`linparity.task.draw_prompts`, :meth:`LinearAR.generate` and
    :func:`linparity.task.reward` in turn, fused into one kernel.

    Returns
    -------
    kept : Batch or list of Batch
        The kept (prompt, response) pairs, in drawing order; with
        ``concatenate=False``, one Batch per chunk (no copy of the whole set).
    counts : dict
        ``samples`` (prompts drawn), ``kept``, ``kept_long`` and ``sampled_long``
        (responses that went on after ``y_1``, right or wrong), ``first_kept_long`` (the
        1-based number of the prompt whose kept response is the round's first long one,
        ``None`` if none is); under ``r_e2e`` also
        ``kept_long_wrong``, the kept long responses that are not the correct chain.
    """
    parts = []

    def store(x, y, lengths, rewarded):
        parts.append(_compact(x, y, lengths, rewarded))
        return len(parts[-1].lengths), int(np.count_nonzero(parts[-1].lengths != 1))

    counts = _rollouts(model, n_prompts, seed, round_index, reward, temperature, chunk, progress, store)
    return (_concatenate(parts, model.d) if concatenate else parts), counts


def _check_linear(model):
    """ValueError unless ``model`` has the linear position 1 that the RL kernels read.

    The rollout and gradient kernels compute position 1's logit as ``<w_1, x>``; a model
    with other position-1 features (:class:`linparity.walsh.WalshAR`, docs/theory.md
    section 3.12) would be sampled and trained as if that position were zero.
    """
    if model.position1_features != "linear":
        raise ValueError(
            f"RL (STaR, REINFORCE, GRPO) is implemented for the linear position 1 only, not {model.position1_features}"
        )
    return model


def _concatenate(parts, d):
    if not parts:
        return Batch(np.empty((0, d), np.int8), np.empty((0, d), np.int8), np.empty(0, np.int64))
    return Batch(*(np.concatenate(arrays) for arrays in zip(*parts)))


def star_round(
    model: LinearAR,
    n_prompts,
    lambdas,
    *,
    seed,
    round_index,
    state=None,
    reward="cot",
    temperature=1.0,
    epochs=1,
    chunk=1 << 16,
    progress=None,
):
    """One STaR round (Algorithm 1): sample, keep the rewarded pairs, train on them.

    With one epoch the kept pairs go to the SGD chunk by chunk as they are drawn,
    so the kept set is never stored (a fresh round needs ``lambdas`` up front, not
    the kept counts). The result equals :func:`sample_and_filter` followed by
    :func:`train_on_kept`.

    Parameters
    ----------
    model : LinearAR
        The policy that samples this round's responses.
    n_prompts : int
    lambdas : ndarray, shape (d + 1,)
        Regularisation of a fresh state (ignored when ``state`` is given).
    seed, round_index : int
        Name this round's random streams.
    state : Algorithm3, optional
        Warm start: continue this state (its average restarts) instead of a fresh one.
    reward : {"cot", "e2e"}
    temperature : float
        Sampling temperature of the rollouts.
    epochs : int
        Passes over the kept set (more than one stores it).

    Returns
    -------
    state : Algorithm3
    counts : dict
        As in :func:`sample_and_filter`.
    """
    if epochs != 1:
        kept, counts = sample_and_filter(
            model,
            n_prompts,
            seed=seed,
            round_index=round_index,
            reward=reward,
            temperature=temperature,
            chunk=chunk,
            progress=progress,
            concatenate=False,
        )
        return train_on_kept(kept, lambdas, state=state, epochs=epochs, seed=seed, round_index=round_index), counts
    if state is None:
        state = Algorithm3(model.d, lambdas)
    else:
        state.restart_average()

    def train(x, y, lengths, rewarded):
        state.partial_fit(x, y, lengths, np.flatnonzero(rewarded), check=False)
        return int(np.count_nonzero(rewarded)), int(np.count_nonzero(rewarded & (lengths != 1)))

    counts = _rollouts(model, n_prompts, seed, round_index, reward, temperature, chunk, progress, train)
    return state, counts


def _rollouts(model, n_prompts, seed, round_index, reward, temperature, chunk, progress, consume):
    _check_linear(model)
    """Run the round's rollouts chunk by chunk; ``consume(x, y, lengths, rewarded)`` returns
    the chunk's (kept, kept_long) counts."""
    n_prompts = validation.check_count(n_prompts, "n_prompts")
    validation.check_choice(reward, tuple(REWARDS), "reward")
    key_x = np.uint64(stream_key(seed, STREAM_RL_PROMPTS, round_index))
    key_y = np.uint64(stream_key(seed, STREAM_RL_SAMPLES, round_index))
    inv_tau = 1.0 / validation.check_positive(temperature, "temperature")
    size = max(1, min(chunk, n_prompts))
    x, y = np.empty((size, model.d), np.int8), np.empty((size, model.d), np.int8)
    lengths, rewarded = np.empty(size, np.int64), np.empty(size, np.bool_)
    counts = {"samples": n_prompts, "kept": 0, "kept_long": 0, "sampled_long": 0, "first_kept_long": None}
    if reward == "e2e":
        counts["kept_long_wrong"] = 0
    params = model.policy_params()
    for start in range(0, n_prompts, chunk):
        n = min(chunk, n_prompts - start)
        _rollout(
            params,
            model.offsets,
            key_x,
            key_y,
            start,
            inv_tau,
            REWARDS[reward],
            x[:n],
            y[:n],
            lengths[:n],
            rewarded[:n],
        )
        if counts["first_kept_long"] is None:
            # The wait for STaR's first correct long answer (docs/theory.md 4.14): the
            # control at p_long = 0 counts it, so it is kept to the prompt, not the round.
            hits = np.flatnonzero(rewarded[:n] & (lengths[:n] != 1))
            if len(hits):
                counts["first_kept_long"] = start + int(hits[0]) + 1
        kept, kept_long = consume(x[:n], y[:n], lengths[:n], rewarded[:n])
        counts["kept"] += kept
        counts["kept_long"] += kept_long
        counts["sampled_long"] += int(np.count_nonzero(lengths[:n] != 1))
        if reward == "e2e":
            counts["kept_long_wrong"] += _count_wrong_long(x[:n], y[:n], lengths[:n], rewarded[:n])
        if progress is not None:
            progress(start + n, n_prompts)
    return counts


def _count_wrong_long(x, y, lengths, rewarded):
    """Rewarded long responses that are not the correct chain (possible under r_e2e only)."""
    correct = task_reward("cot", x, y, lengths, check=False)
    return int(np.count_nonzero(rewarded & (lengths != 1) & ~correct))


def _compact(x, y, lengths, keep):
    """The rows with ``keep`` set, in order, as new arrays (a kernel: numpy's boolean
    indexing of 2-d rows costs more than the rollout that made them)."""
    n_kept = int(np.count_nonzero(keep))
    out = Batch(
        np.empty((n_kept, x.shape[1]), np.int8), np.empty((n_kept, x.shape[1]), np.int8), np.empty(n_kept, np.int64)
    )
    _compact_rows(x, y, lengths, keep, *out)
    return out


def train_on_kept(kept: Batch, lambdas, *, state=None, epochs=1, seed=0, round_index=0):
    """Next-token prediction on the kept set: Algorithm 3, ``epochs`` passes.

    Parameters
    ----------
    kept : Batch or list of Batch
        The kept set, whole or in consecutive parts (the result is the same).
    lambdas : ndarray, shape (d + 1,)
        Per-block regularisation for a fresh state (ignored when ``state`` is given).
    state : Algorithm3, optional
        Continue this state (warm start) instead of starting from zero.
    epochs : int
        Passes over the kept set; the first pass keeps drawing order, later passes
        are shuffled with the round's own stream.

    Returns
    -------
    Algorithm3
    """
    epochs = validation.check_count(epochs, "epochs", minimum=1)
    parts = [kept] if isinstance(kept, Batch) else list(kept)
    if state is None:
        if not parts:
            raise ValueError("a fresh round needs a kept set with its d (got no parts)")
        state = Algorithm3(parts[0].x.shape[1], lambdas)
    else:
        state.restart_average()
    for part in parts:  # first epoch: drawing order, part by part
        state.partial_fit(*part, check=False)
    if epochs > 1:
        whole = _concatenate(parts, state.d)
        rng = np.random.default_rng(stream_key(seed, STREAM_SHUFFLE, round_index))
        for _ in range(epochs - 1):
            state.partial_fit(*whole, rng.permutation(len(whole.lengths)), check=False)
    return state


# --------------------------------------------------------------------------- policy gradient


def policy_gradient(model: LinearAR, x, y, lengths, weights, temperature=1.0):
    """``sum_i weights[i] * grad_theta ln pi_tau(y_i | x_i)``, exact, in the theta layout.

    docs/theory.md section 4: for a token with target ``t`` and logit ``s`` the term is
    ``(t / tau) sigma(-t s / tau)`` times the position's features, summed over the
    positions that produced the response (1, 2a and, for a long response, 2..d).

    Parameters
    ----------
    model : LinearAR
    x, y, lengths
        Prompts and responses in :mod:`linparity.task`'s encoding.
    weights : array_like, shape (n,)
        Per-response weight (an advantage); zero rows cost nothing.
    temperature : float > 0
        Differentiate ``pi_tau`` (``P(+1) = sigma(s / tau)``).

    Returns
    -------
    ndarray, shape (len(theta),)
    """
    x = validation.check_prompts(x, model.d)
    y, lengths = validation.check_responses(y, lengths, x.shape[0], model.d)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.shape != (x.shape[0],) or not np.all(np.isfinite(weights)):
        raise ValueError(f"weights must be {x.shape[0]} finite numbers")
    inv_tau = 1.0 / validation.check_positive(temperature, "temperature")
    return _gradient(model, x, y, lengths, weights, inv_tau)


def _gradient(model, x, y, lengths, weights, inv_tau, buffers=None, out=None):
    _check_linear(model)
    """The policy-gradient kernel on ``model``'s policy-layout parameters, its result
    (accumulated in the policy layout) converted to the theta layout."""
    params = model.policy_params()
    n = x.shape[0]
    n_chunks = max(1, -(-n // PG_CHUNK))
    if buffers is None or buffers.shape[0] < n_chunks:
        buffers = np.empty((n_chunks, params.shape[0]))
    if out is None:
        out = np.empty(params.shape[0])
    _pg_gradient(params, model.offsets, x, y, lengths, weights, inv_tau, PG_CHUNK, buffers, out)
    return gradient_to_theta_layout(out, model.d)


def reinforce_advantages(rewards, baseline="mean"):
    """REINFORCE advantages ``r - b``: ``b`` is the batch mean reward (``"mean"``) or 0 (``"none"``)."""
    validation.check_choice(baseline, tuple(BASELINES), "baseline")
    r = np.asarray(rewards, dtype=np.float64)
    return r - r.mean() if baseline == "mean" and r.size else r.copy()


def grpo_advantages(rewards, group_size, eps=1e-6):
    """GRPO advantages ``(r_i - mean_group) / (std_group + eps)``.

    ``rewards`` holds consecutive groups of ``group_size`` responses to one prompt;
    ``std`` is the population standard deviation. A group whose rewards are all equal
    gets advantage exactly 0 (it contributes nothing).
    """
    group_size = validation.check_count(group_size, "group_size", 1)
    r = np.asarray(rewards, dtype=np.float64)
    if r.size % group_size:
        raise ValueError(f"{r.size} rewards do not split into groups of {group_size}")
    groups = r.reshape(-1, group_size)
    centred = groups - groups.mean(axis=1, keepdims=True)
    std = np.sqrt(np.mean(centred**2, axis=1, keepdims=True))
    return (centred / (std + eps)).ravel()


class PolicyGradient:
    """On-policy REINFORCE or GRPO on a :class:`LinearAR` (docs/theory.md section 4).

    Every :meth:`step` draws ``batch_size`` fresh prompts (step n uses its own
    streams of ``seed``), samples ``group_size`` responses to each at temperature
    ``tau`` (REINFORCE: one), scores them with ``r_<reward>``, and moves

        theta <- theta_0 + (theta + lr * mean_i A_i grad ln pi_tau(y_i | x_i) - theta_0) / (1 + lr * anchor),

    the mean over all responses of the step, ``theta_0`` the starting (pre-trained)
    weights. ``anchor = 0`` (the default) is plain policy gradient; a positive value
    is an L2 pull towards the pre-trained model, a KL-like leash, taken as a proximal
    step: to first order in ``lr * anchor`` it is the gradient step on
    ``- anchor / 2 ||theta - theta_0||^2``, and unlike that step it cannot diverge.

    Parameters
    ----------
    model : LinearAR
        Starting policy (copied; :attr:`model` is the one being trained).
    algorithm : {"reinforce", "grpo"}
    seed : int
    lr : float > 0
    batch_size : int >= 1
        Prompts per step.
    group_size : int >= 1
        Responses per prompt (GRPO); REINFORCE requires 1.
    reward : {"cot", "e2e"}
    temperature : float > 0
    baseline : {"mean", "none"}
        REINFORCE's baseline (ignored by GRPO).
    anchor : float >= 0
    eps : float > 0
        GRPO's ``eps`` in the advantage denominator.
    """

    def __init__(
        self,
        model: LinearAR,
        algorithm,
        *,
        seed,
        lr,
        batch_size,
        group_size=1,
        reward="cot",
        temperature=1.0,
        baseline="mean",
        anchor=0.0,
        eps=1e-6,
    ):
        _check_linear(model)
        validation.check_choice(algorithm, tuple(PG_ALGORITHMS), "algorithm")
        validation.check_choice(reward, tuple(REWARDS), "reward")
        validation.check_choice(baseline, tuple(BASELINES), "baseline")
        self.algorithm, self.reward, self.baseline = algorithm, reward, baseline
        self.seed = validation.check_count(seed, "seed")
        self.lr = validation.check_positive(lr, "lr")
        self.batch_size = validation.check_count(batch_size, "batch_size", 1)
        self.group_size = validation.check_count(group_size, "group_size", 1)
        if algorithm == "reinforce" and self.group_size != 1:
            raise ValueError("REINFORCE samples one response per prompt: group_size must be 1")
        self.temperature = validation.check_positive(temperature, "temperature")
        anchor = float(anchor)
        if not (np.isfinite(anchor) and anchor >= 0):
            raise ValueError(f"anchor must be a finite number >= 0, got {anchor}")
        self.anchor = anchor
        self.eps = validation.check_positive(eps, "eps")
        self.model = model.copy()
        self.theta_0 = model.theta.copy()
        self.steps = 0
        n, d = self.batch_size * self.group_size, model.d
        self._x, self._y = np.empty((n, d), np.int8), np.empty((n, d), np.int8)
        self._lengths, self._rewarded = np.empty(n, np.int64), np.empty(n, np.bool_)
        self._buffers = np.empty((max(1, -(-n // PG_CHUNK)), int(model.offsets[-1])))
        self._grad = np.empty(int(model.offsets[-1]))

    @property
    def responses_per_step(self):
        return self.batch_size * self.group_size

    def advantages(self, rewards):
        """The step's advantages from its rewards (see the class docstring)."""
        if self.algorithm == "grpo":
            return grpo_advantages(rewards, self.group_size, self.eps)
        return reinforce_advantages(rewards, self.baseline)

    def rollout(self, step_index):
        """Prompts, responses and rewards of step ``step_index`` (1-based) under the current model."""
        key_x = np.uint64(stream_key(self.seed, STREAM_PG_PROMPTS, step_index))
        key_y = np.uint64(stream_key(self.seed, STREAM_PG_SAMPLES, step_index))
        _group_rollout(
            self.model.policy_params(),
            self.model.offsets,
            key_x,
            key_y,
            0,
            self.group_size,
            1.0 / self.temperature,
            REWARDS[self.reward],
            self._x,
            self._y,
            self._lengths,
            self._rewarded,
        )
        return self._x, self._y, self._lengths, self._rewarded

    def step(self):
        """One policy-gradient step; returns its counts.

        Returns
        -------
        dict
            ``samples`` (responses drawn), ``prompts``, ``kept`` (responses with
            reward 1), ``kept_long`` (of those, long ones), ``sampled_long``, and
            under ``r_e2e`` ``kept_long_wrong`` (rewarded long responses that are not
            the correct chain).
        """
        self.steps += 1
        x, y, lengths, rewarded = self.rollout(self.steps)
        adv = self.advantages(rewarded)
        model = self.model
        grad = _gradient(model, x, y, lengths, adv, 1.0 / self.temperature, self._buffers, self._grad)
        grad /= len(adv)
        if self.anchor > 0:
            # The pull is taken implicitly (a proximal step): the explicit form
            # theta -= lr * anchor * (theta - theta_0) overshoots and diverges once
            # lr * anchor > 2 (anchor 100 at lr 1 gave inf, then NaN); this one is a
            # contraction towards theta_0 for every anchor, and the same to first order.
            shrink = 1.0 / (1.0 + self.lr * self.anchor)
            model.theta[:] = self.theta_0 + shrink * (model.theta + self.lr * grad - self.theta_0)
        else:
            model.theta += self.lr * grad
        counts = {
            "samples": len(adv),
            "prompts": self.batch_size,
            "kept": int(np.count_nonzero(rewarded)),
            "kept_long": int(np.count_nonzero(rewarded & (lengths != 1))),
            "sampled_long": int(np.count_nonzero(lengths != 1)),
        }
        if self.reward == "e2e":
            counts["kept_long_wrong"] = _count_wrong_long(x, y, lengths, rewarded)
        return counts
