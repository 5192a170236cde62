"""Tuning constants of the numba kernels, each with the measurement behind its value.

Changing one of these changes speed only, except :data:`FAST`, :data:`PG_CHUNK`
and :data:`COEFFICIENT_FLOOR`, which also move results by rounding (the tests
would still pass; the recorded numbers would not be reproduced bit for bit).

numba freezes these values into the compiled kernels, and its cache does not
notice an edit here: after changing one, clear it with
``find linparity -name '*.nbi' -delete -o -name '*.nbc' -delete``.
"""

#: LLVM fastmath flags of the kernels' loops. Reassociation lets LLVM vectorise the
#: dot products (an in-order float sum cannot be split into SIMD lanes); results move
#: by rounding only. No ``nnan``/``ninf``: the logistic pieces rely on inf. In place
#: since the first kernels (commit c5bf4de); no timing without it was recorded.
FAST = {"reassoc", "contract", "nsz"}

#: Rows per work item of the parallel response kernels (sampling, exact log-probs,
#: response statistics, rollouts). Items are fixed whatever the number of threads,
#: and every row's numbers depend on the row alone, so this sets speed only. An item
#: is large enough to amortise its scratch allocations (made per item, not per row:
#: allocation is shared state) and small enough that 10,000 prompts still make 40
#: items for a static split over threads; at 256 (commit a89c090) generate and
#: response_stats run 1.72x and 2.08x faster on 2 threads than on 1, against the
#: machine's own 1.92x (benchmarks/RESULTS.md). No other size was recorded.
RESPONSE_CHUNK = 256

#: Long responses drawn side by side, one position at a time. A token waits on its
#: logit and sigmoid; several independent responses give the processor other work
#: meanwhile, and they share each position's weights while these sit in cache. Its
#: float64 scratch is two LOCKSTEP x d arrays (8 KiB at d = 64, in L1). Introduced
#: at 8 with the two-pass drawing (commit a89c090); no other width was recorded.
LOCKSTEP = 8

#: Prompts per gradient buffer of the policy-gradient kernel. The cut depends on n
#: only, so results do not depend on threads; each buffer row holds a whole
#: gradient, so this trades buffer memory (ceil(n / 128) rows of len(theta)) against
#: parallelism (a 512-response step has 4 work items). Changing it changes the
#: summation order, hence the numbers by rounding.
PG_CHUNK = 128

#: Doubles per alignment unit of the NTP state (128 bytes, two cache lines: the
#: adjacent-line prefetcher fetches lines in pairs). Every block of the running sums
#: starts on such a boundary, so two threads never write the same line pair.
NTP_PAD = 16

#: Doubles left empty after every block of the NTP state (512 bytes). Threads write
#: different blocks, and a processor's next-line prefetcher reaches past the end of
#: its block: with blocks back to back, the short-sample steps (positions 1 and 2a,
#: on two threads) ran 2x slower on two threads than on one (false sharing);
#: 256 bytes of gap were enough, 512 leave margin (commit c1b0366).
NTP_GAP = 64

#: An NTP loss-gradient coefficient below this in magnitude is dropped. A confident
#: position's coefficient underflows towards subnormal numbers, whose arithmetic is
#: ~100x slower; below 1e-200 its contribution is invisible next to any coordinate of
#: the gradient sum anyway.
COEFFICIENT_FLOOR = 1e-200
