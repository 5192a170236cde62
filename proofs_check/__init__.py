"""Symbolic checks of every claim in THEORY.md; run ``python -m proofs_check``."""
