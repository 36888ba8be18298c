"""Pure rules about the shape of the group tree."""

from __future__ import annotations

from collections.abc import Sequence


def would_create_cycle(
    node_id: int, new_parent_id: int | None, parent_chain: Sequence[int]
) -> bool:
    """Tell whether hanging `node_id` under `new_parent_id` would make it its own ancestor.

    `parent_chain` is the ids of the new parent's ancestors, in any order.
    """
    if new_parent_id is None:
        return False
    return new_parent_id == node_id or node_id in parent_chain
