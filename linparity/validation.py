"""Input checks shared by the public API; every failure is a ValueError that says what to fix."""

import math
import numbers

import numpy as np

#: Largest d accepted: the chain's weights grow like 2.5 d^2 floats (about 1.3 GB of
#: weights and SGD state at d = 8192, and a run then takes hours).
MAX_D = 8192


def check_d(d):
    """The number of input bits: an integer in [2, MAX_D] (parity of one bit is linear)."""
    if isinstance(d, bool) or not isinstance(d, numbers.Integral):
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    if d < 2:
        raise ValueError(f"d must be >= 2 (parity of fewer than 2 bits is linear), got {d}")
    if d > MAX_D:
        raise ValueError(f"d must be <= {MAX_D:,} (the chain's weights grow like d^2), got {d:,}")
    return int(d)


def check_probability(value, name):
    """A float in [0, 1] (NaN rejected)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if not (0.0 <= value <= 1.0):  # also rejects NaN
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def check_positive(value, name):
    """A finite float > 0."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def check_count(value, name, minimum=0, maximum=None, why=None):
    """An integer in [minimum, maximum] (``maximum=None``: no upper bound).

    ``why`` completes the message of a value above ``maximum`` (what it would cost).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be <= {maximum:,}, got {value:,}{reason}")
    return int(value)


def check_prompts(x, d=None):
    """A (n, d) array of +-1 prompts, returned as C-contiguous int8."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"prompts must be a 2-d array (n, d), got shape {x.shape}")
    if d is not None and x.shape[1] != d:
        raise ValueError(f"prompts have {x.shape[1]} bits, the model expects d = {d}")
    if x.size and not np.all(np.abs(x) == 1):
        raise ValueError("prompts must contain only +1 and -1")
    return np.ascontiguousarray(x, dtype=np.int8)


def check_responses(y, lengths, n, d):
    """Value tokens (n, d) in {-1, 0, +1} and lengths in {1, d}, consistent with each other."""
    y = np.ascontiguousarray(y, dtype=np.int8)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    if y.shape != (n, d) or lengths.shape != (n,):
        raise ValueError(f"responses must have shape ({n}, {d}) and lengths ({n},), got {y.shape} and {lengths.shape}")
    if not np.all((lengths == 1) | (lengths == d)):
        raise ValueError(f"every response length must be 1 or d = {d}")
    filled = np.arange(d)[None, :] < lengths[:, None]
    if not np.all(np.abs(y[filled]) == 1) or np.any(y[~filled] != 0):
        raise ValueError("responses must hold +-1 up to their length and 0 after it")
    return y, lengths


def check_choice(value, choices, name):
    """One of the allowed names ``choices``; ValueError listing them otherwise."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value
