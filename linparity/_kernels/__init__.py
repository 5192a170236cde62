"""Private numba kernels.

Kernels take arrays and scalars only, never Python objects, and are called by the
validated public functions of :mod:`linparity.task`, :mod:`linparity.model` and
:mod:`linparity.ntp`. Each kernel has a slow plain-numpy twin in
:mod:`linparity.reference`; the tests hold the two to the same results. Tuning
constants live in :mod:`linparity.tuning`, the parameter layouts in
:mod:`linparity.layout`.
"""
