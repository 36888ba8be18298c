"""would_create_cycle: a move is refused exactly when the new parent is the node or below it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.groups.tree import would_create_cycle

Parents = dict[int, int | None]


@st.composite
def forests(draw: st.DrawFn) -> Parents:
    """A random forest as a parent map; ids are shuffled so that order says nothing."""
    size = draw(st.integers(min_value=1, max_value=40))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size, unique=True))
    parents: Parents = {}
    for position, node in enumerate(ids):
        # Each node hangs under one made before it, or starts a tree: never a cycle.
        parents[node] = draw(st.none() | st.sampled_from(ids[:position])) if position else None
    return parents


def _ancestors(parents: Parents, node: int) -> list[int]:
    chain = []
    while (parent := parents[node]) is not None:
        chain.append(parent)
        node = parent
    return chain


def _descendants(parents: Parents, node: int) -> set[int]:
    """Walk down from `node`, independently of how the rule walks up."""
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found, todo = set(), [node]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@given(data=st.data(), parents=forests())
def test_refused_exactly_under_itself_or_a_descendant(
    data: st.DataObject, parents: Parents
) -> None:
    # given
    nodes = sorted(parents)
    node = data.draw(st.sampled_from(nodes), label="node")
    new_parent = data.draw(st.sampled_from(nodes), label="new_parent")
    chain = data.draw(st.permutations(_ancestors(parents, new_parent)), label="chain")
    # when
    refused = would_create_cycle(node, new_parent, chain)
    # then
    assert refused == (new_parent == node or new_parent in _descendants(parents, node))


@given(parents=forests(), data=st.data())
def test_moving_to_the_top_is_never_a_cycle(parents: Parents, data: st.DataObject) -> None:
    # given
    node = data.draw(st.sampled_from(sorted(parents)))
    # when / then
    assert would_create_cycle(node, None, []) is False


@given(parents=forests(), data=st.data())
def test_a_move_allowed_keeps_the_forest_acyclic(parents: Parents, data: st.DataObject) -> None:
    # given
    nodes = sorted(parents)
    node = data.draw(st.sampled_from(nodes))
    new_parent = data.draw(st.none() | st.sampled_from(nodes))
    chain = [] if new_parent is None else _ancestors(parents, new_parent)
    # when
    if would_create_cycle(node, new_parent, chain):
        return
    moved = {**parents, node: new_parent}
    # then: every node still climbs to a top within as many steps as there are nodes
    for start in moved:
        steps, at = 0, start
        while moved[at] is not None:
            at, steps = moved[at], steps + 1  # type: ignore[assignment]
            assert steps <= len(moved), f"{start} climbs forever after moving {node}"
