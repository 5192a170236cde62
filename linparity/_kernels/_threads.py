"""Work items of a kernel spread over threads, without numba's parallel loops.

A kernel compiled with ``parallel=True`` takes two to three times longer to compile
than the same loop compiled serially (measured on the first run of the headline
command: ``_generate`` 6.1 s against 2.7 s, ``_response_stats`` 4.8 s against 2.1 s),
and most of a fresh install's first run was compilation.  The response kernels' work
items are independent (each row's numbers depend on the row alone), so they are
compiled serially with ``nogil=True`` over a range of items, and :func:`run_items`
runs contiguous ranges on threads.  Results do not depend on the number of threads.

They are compiled with ``error_model="numpy"``, as numba compiles the body of a
parallel loop: a division then needs no zero check, and with the default ("python")
``_generate`` drew 1.7x slower (26.8 ms against 15.6 ms for 20,000 prompts at d = 64,
one thread; the parallel version took 16.6 ms).  No kernel here divides by zero on
purpose; the logistic pieces rely on inf, which both models give.

Used by the response kernels of ``_policy.py`` (generate, exact log-probabilities,
response statistics).  The STaR rollout kernel (``_rollout._group_rollout``) keeps its
parallel loop: compiled this way it drew about 1.5x slower (round 1 of the headline
command 1.30 s against 0.87 s), for a reason not yet found, and it is the run's
main cost.  Headline command on a fresh cache, 2 cores: 22.2 s before (17.5 s of it
compiling), 16.9 s after (12.6 s compiling); warm 4.5 s before, 4.2 s after.
"""

import concurrent.futures
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


def run_items(kernel, n_items, *args):
    """``kernel(*args, lo, hi)`` over the work items ``0 .. n_items - 1``, split into
    ``numba.get_num_threads()`` contiguous ranges run at once (this thread takes the first)."""
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
