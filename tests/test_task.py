"""The task D(p_long) and its rewards (docs/theory.md section 1)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linparity import task


@settings(max_examples=25, deadline=None)
@given(d=st.integers(2, 80), p_long=st.floats(0, 1), seed=st.integers(0, 2**63 - 1))
def test_demonstrations_are_prefix_parities_or_the_parity(d, p_long, seed):
    x, y, lengths = task.draw_demonstrations(200, d, p_long, key=seed)
    assert set(np.unique(x)) <= {-1, 1}
    chain = np.cumprod(x.astype(int), axis=1)
    long = lengths == d
    assert np.array_equal(y[long], chain[long])
    assert np.array_equal(y[~long, 0], chain[~long, -1])
    assert np.all(y[~long, 1:] == 0)
    assert np.all(long | (lengths == 1))
    if p_long == 0:
        assert not long.any()
    if p_long == 1:
        assert long.all()


@pytest.mark.parametrize("p_long", [0.01, 0.25, 0.6])
def test_long_share_converges_to_p_long(p_long):
    n = 400_000
    _, _, lengths = task.draw_demonstrations(n, 8, p_long, key=task.stream_key(3, 0))
    share = np.mean(lengths == 8)
    assert abs(share - p_long) < 5 * np.sqrt(p_long * (1 - p_long) / n)


def test_prompt_bits_are_balanced_and_uncorrelated():
    x = task.draw_prompts(200_000, 70, key=task.stream_key(1, 2)).astype(float)
    assert np.max(np.abs(x.mean(axis=0))) < 5 / np.sqrt(200_000)
    corr = (x.T @ x) / len(x) - np.eye(70)
    assert np.max(np.abs(corr)) < 6 / np.sqrt(200_000)


def test_streams_are_deterministic_and_distinct():
    assert task.stream_key(5, 1) == task.stream_key(5, 1)
    keys = {task.stream_key(s, *p) for s in range(3) for p in [(0,), (1,), (2, 1), (2, 2)]}
    assert len(keys) == 12
    a = task.draw_prompts(100, 16, key=task.stream_key(0, 1))
    b = task.draw_prompts(100, 16, key=task.stream_key(0, 2))
    assert not np.array_equal(a, b)


def test_a_stream_does_not_depend_on_how_it_is_split():
    key = task.stream_key(9, 0)
    whole = task.draw_demonstrations(1000, 9, 0.3, key=key)
    first = task.draw_demonstrations(400, 9, 0.3, key=key)
    rest = task.draw_demonstrations(600, 9, 0.3, key=key, start=400)
    for w, a, b in zip(whole, first, rest):
        assert np.array_equal(w, np.concatenate([a, b]))


def test_rewards_on_hand_made_cases():
    x = np.array([[1, -1, -1]] * 6, dtype=np.int8)  # prefix parities +1, -1, +1; chi = +1
    y = np.array(
        [
            [1, -1, 1],  # correct long
            [1, 0, 0],  # correct short (chi)
            [-1, 0, 0],  # wrong short
            [1, 1, 1],  # wrong chain, right last token
            [1, -1, -1],  # wrong last token
            [-1, 1, 1],
        ],  # wrong chain and wrong first token, right last token
        dtype=np.int8,
    )
    lengths = np.array([3, 1, 1, 3, 3, 3])
    assert task.reward_cot(x, y, lengths).tolist() == [True, True, False, False, False, False]
    assert task.reward_e2e(x, y, lengths).tolist() == [True, True, False, True, False, True]
    assert task.format_response(y[0], 3) == "+ - + EOS"


@pytest.mark.parametrize(
    "bad",
    [
        lambda: task.draw_demonstrations(10, 1, 0.5, key=0),
        lambda: task.draw_demonstrations(10, 4, 1.5, key=0),
        lambda: task.draw_demonstrations(10, 4, float("nan"), key=0),
        lambda: task.draw_prompts(-1, 4, key=0),
        lambda: task.stream_key(-3),
        lambda: task.reward("exact", np.ones((1, 2)), np.ones((1, 2)), np.array([2])),
        lambda: task.reward_cot(np.ones((1, 2)), np.array([[1, 1]]), np.array([3])),
    ],
)
def test_bad_input_is_a_clear_value_error(bad):
    with pytest.raises(ValueError):
        bad()
