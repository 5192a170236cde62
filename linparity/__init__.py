"""linparity: parity with a rare chain of thought, learned by a linear autoregressive model.

Simulates next-token prediction (Algorithm 3) followed by RL (STaR) on the task of
docs/theory.md section 1, and derives the paper's predictions symbolically
(:mod:`linparity.theory`). The paper calls the share of long demonstrations
``p_cot``; this package calls it ``p_long`` throughout.

The package namespace stays light on purpose: importing :mod:`linparity` compiles
nothing and imports no numba code, so ``linparity.theory`` loads in a blink.
"""

__version__ = "0.1.0"
