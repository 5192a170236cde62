import numba
import numpy as np
import pytest


def pytest_configure(config):
    if numba.config.DISABLE_JIT:
        # The kernels then run as Python on numpy scalars, and numpy warns on the
        # uint64 wrap-around that the counter-based generator is made of.
        config.addinivalue_line(
            "filterwarnings", "ignore:overflow encountered in scalar:RuntimeWarning:linparity._kernels._rng"
        )


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)


def random_model(d, rng, scale=1.0):
    """A LinearAR with random weights: every token probability strictly inside (0, 1)."""
    from linparity.layout import position_offsets
    from linparity.model import LinearAR

    return LinearAR(d, rng.normal(scale=scale, size=int(position_offsets(d)[-1])))


def random_responses(x, rng, p_long=0.5):
    """Arbitrary (not necessarily correct) responses in the package's encoding."""
    n, d = x.shape
    lengths = np.where(rng.random(n) < p_long, d, 1).astype(np.int64)
    y = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n, d))
    y[np.arange(d)[None, :] >= lengths[:, None]] = 0
    return y, lengths
