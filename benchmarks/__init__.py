"""Speed of linparity against the numpy and PyTorch ways of doing the same work.

Run ``python -m benchmarks [--quick] [--json PATH] [--markdown PATH]``; each benchmark
times the same work three ways in one run (``impl`` is ``linparity``, ``numpy`` or
``torch``). Nothing here is asserted: tests never time anything.
"""
