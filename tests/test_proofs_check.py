"""Tests of the proofs_check package (filled in as the checks land)."""

import proofs_check


def test_package_imports():
    assert proofs_check.__doc__
