"""Private numba kernels.

Kernels take arrays and scalars only, never Python objects, and are called by the
validated public functions of :mod:`linparity.task`, :mod:`linparity.model` and
:mod:`linparity.ntp`. Each kernel has a slow plain-numpy twin in
:mod:`linparity.reference`; the tests hold the two to the same results. Tuning
constants live in :mod:`linparity.tuning`, the parameter layouts in
:mod:`linparity.layout`.
"""

import os
import sys
import tempfile

import numba
from numba.core import caching


def _probe():  # a kernel's stand-in: cached like them, from this same directory
    return 0


def _ensure_cache_location():
    """Give numba somewhere to cache the kernels, or run without a lasting cache.

    Every kernel is compiled with ``cache=True``, and numba refuses to decorate one
    ("no locator available") when neither ``NUMBA_CACHE_DIR``, nor ``__pycache__``
    beside the sources, nor the user's cache directory can be written: a read-only
    install run by a user without a home. The kernels then cache into a fresh
    temporary directory (compiled on every start), with one warning line.
    """
    try:
        caching.FunctionCache(_probe)
    except RuntimeError:
        fallback = tempfile.mkdtemp(prefix="linparity-numba-")
        numba.config.CACHE_DIR = fallback
        sys.stderr.write(
            "linparity: warning: numba cannot cache compiled kernels here (set NUMBA_CACHE_DIR to a "
            f"writable directory to keep them); compiling into {fallback}\n"
        )


if not os.environ.get("NUMBA_DISABLE_JIT"):
    _ensure_cache_location()
