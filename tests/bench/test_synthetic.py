"""The synthetic book's shape (bench.synthetic): its client trees, without a database."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import pytest

from bench.synthetic import _tree


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """`call()`'s result, or TimeoutError when it runs longer (a loop that never ends)."""

    def stop(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _levels(parents: list[int | None]) -> list[int]:
    """Each client's level: 1 for a root."""
    levels: list[int] = []
    for parent in parents:
        levels.append(1 if parent is None else levels[parent] + 1)
    return levels


def test_a_book_of_one_level_makes_every_client_a_root() -> None:
    # when
    parents = _within(5, lambda: _tree(50, 1))
    # then
    assert parents == [None] * 50


@pytest.mark.parametrize(("clients", "depth"), [(1, 1), (9, 2), (100, 2), (1000, 5)])
def test_trees_have_the_depth_asked_and_parents_come_first(clients: int, depth: int) -> None:
    # when
    parents = _within(5, lambda: _tree(clients, depth))
    # then
    assert len(parents) == clients
    assert all(p is None or p < i for i, p in enumerate(parents))
    assert max(_levels(parents)) == min(depth, clients)


def test_a_tree_of_no_level_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one level"):
        _within(5, lambda: _tree(10, 0))
