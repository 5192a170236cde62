"""Counter-based random numbers: a value is a pure function of (key, counter).

Why counter-based: a parallel loop over prompts then draws the same numbers whatever
the number of threads, and a chunked stream gives the same numbers whatever the chunk
size. The mixer is SplitMix64's finaliser applied twice (once to the counter, once
after keying), so streams with different 64-bit keys do not overlap by a shift.
"""

import numpy as np
from numba import njit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO_M53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def _mix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _hash64(key, counter):
    """64 random bits for ``counter`` (a non-negative int) in the stream ``key``."""
    return _mix64(key ^ _mix64((np.uint64(counter) + _ONE) * GAMMA))


@njit(cache=True, inline="always")
def _uniform(key, counter):
    """A float64 uniform on [0, 1) with 53 random bits."""
    return np.float64(_hash64(key, counter) >> _S11) * _TWO_M53
