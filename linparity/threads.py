"""Work items of a kernel spread over threads, without numba's parallel loops.

Every kernel of the package is compiled serially, with ``nogil=True``, over a range
of independent work items, and :func:`run_items` runs contiguous ranges of items on
threads. A kernel's items never share what they write, and each item's numbers
depend on the item alone, so results do not depend on the number of threads.

Why not ``parallel=True`` (numba's parfors):

* compilation. A parallel kernel took two to three times longer to compile than the
  same loop compiled serially, and most of a fresh install's first run was
  compilation. On the headline command ``simulate --d 64 --p-long 0.01`` with an
  empty cache, 2 cores (``python -m benchmarks._compile_profile``): numba compiled
  for 19.4 s of a 24.6 s run with six parallel kernels left, 12.1 s of 17.8 s after
  this module took them over;
* the two kinds of threads do not mix. numba's OpenMP workers spin for a while after
  a parallel loop ends, taking a core from the threads here: with the rollout on this
  module's threads and NTP on parfors, round 1 of the headline command took 2.0 s
  instead of 1.2 s, and 1.2 s again with ``OMP_WAIT_POLICY=passive``. With no parfor
  left, no OpenMP thread is ever started.

Item kernels are compiled with ``error_model="numpy"``, as numba compiles the body of
a parallel loop: a division then needs no zero check, and with the default
("python") ``_generate`` drew 1.7x slower (26.8 ms against 15.6 ms for 20,000
prompts at d = 64, one thread). No kernel here divides by zero on purpose; the
logistic pieces rely on inf, which both models give.
"""

import concurrent.futures
import os
import threading

import numba

_POOL = None
_POOL_LOCK = threading.Lock()


def _pool():
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(
                max_workers=max(1, numba.config.NUMBA_NUM_THREADS - 1), thread_name_prefix="linparity"
            )
        return _POOL


def _forget_pool():
    # A forked child (multiprocessing, Dask's fork start method) inherits the pool but
    # not its threads: work submitted to it would wait forever. It makes its own.
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def run_items(kernel, n_items, *args):
    """Run ``kernel(*args, lo, hi)`` over the work items ``0 .. n_items - 1``.

    The items are split into ``numba.get_num_threads()`` contiguous ranges (never more
    ranges than items) run at once; the calling thread takes the first. ``kernel``
    must be compiled with ``nogil=True``, or the ranges run one after another.

    Parameters
    ----------
    kernel : numba dispatcher
        Called as ``kernel(*args, lo, hi)`` for the items ``lo .. hi - 1``.
    n_items : int
        Number of work items.
    *args
        The kernel's leading arguments, the same for every range.
    """
    threads = max(1, min(numba.get_num_threads(), n_items))
    if threads == 1:
        kernel(*args, 0, n_items)
        return
    bounds = [n_items * k // threads for k in range(threads + 1)]
    futures = [_pool().submit(kernel, *args, bounds[k], bounds[k + 1]) for k in range(1, threads)]
    try:
        kernel(*args, bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()
