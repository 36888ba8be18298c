"""Changing the group structure, through the write path (domain.core.changes).

Each function flushes; the caller commits or rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, find, load, not_found
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.fields import check_name
from domain.dynamic.values import Assignment
from domain.groups import errors
from domain.groups.editing import checked_code, edit, restrictions
from domain.groups.models import GroupAccount, GroupClient
from domain.groups.queries import MAX_TREE_DEPTH, ancestor_ids
from domain.groups.tree import would_create_cycle


async def create_group_client(
    session: AsyncSession,
    *,
    actor: Actor,
    code: str,
    name: str,
    parent_id: int | None,
    line_of_business: str,
    data_access_group: str,
) -> GroupClient:
    """Create a group client, at the top or under a parent; it starts CHANGED."""
    async with changing(
        session, actor, Action.GROUP_CLIENT_CREATE, GroupClient, tree_field="parent_id"
    ) as change:
        problems: list[Problem] = []
        code = await checked_code(session, GroupClient, code, problems)
        name = check_name("name", name, problems)
        lob, dag = await restrictions(
            session,
            problems,
            line_of_business=line_of_business,
            data_access_group=data_access_group,
        )
        if parent_id is not None and await find(session, actor, GroupClient, parent_id) is None:
            problems.extend(not_found("parent_id", "group client").problems)
        raise_if(problems)
        assert lob is not None and dag is not None
        client = change.add(
            GroupClient(
                code=code,
                name=name,
                parent_id=parent_id,
                line_of_business_id=lob.id,  # type: ignore[arg-type]
                data_access_group_id=dag.id,  # type: ignore[arg-type]
            )
        )
    return client


async def update_group_client(
    session: AsyncSession,
    *,
    actor: Actor,
    group_client_id: int,
    version: int,
    code: str | None = None,
    name: str | None = None,
    line_of_business: str | None = None,
    data_access_group: str | None = None,
    dynamic_fields: Sequence[Assignment] = (),
) -> GroupClient:
    """Change a group client's own fields; fields left None keep their value, and
    dynamic fields not assigned keep theirs."""
    async with changing(
        session, actor, Action.GROUP_CLIENT_UPDATE, GroupClient, group_client_id, version=version
    ) as change:
        await edit(
            session,
            change.row,
            code=code,
            name=name,
            line_of_business=line_of_business,
            data_access_group=data_access_group,
            actor=actor,
            dynamic_fields=dynamic_fields,
        )
    return change.row


async def _all_ancestor_ids(session: AsyncSession, client_id: int) -> list[int]:
    """Return every ancestor of a group client, however deep the tree, root first.

    One recursive query climbs at most MAX_TREE_DEPTH levels; a deeper tree needs more,
    else a move under a deep descendant would go unnoticed and close a cycle.
    """
    chain: list[int] = []
    start = client_id
    while True:
        found = (await ancestor_ids(session, [start]))[start]
        if set(found) & set(chain):  # a corrupt link already loops: stop climbing
            return found + chain
        chain = found + chain
        if len(found) < MAX_TREE_DEPTH:
            return chain
        start = found[0]


async def move_group_client(
    session: AsyncSession,
    *,
    actor: Actor,
    group_client_id: int,
    new_parent_id: int | None,
    version: int | None = None,
) -> GroupClient:
    """Hang a group client (with its subtree) under another parent, or make it a root.

    The actor must reach the parent it leaves as well as the one it joins: a move changes
    both parents' configuration, and a parent out of reach is not the actor's to change.
    """
    async with changing(
        session,
        actor,
        Action.GROUP_CLIENT_MOVE,
        GroupClient,
        group_client_id,
        version=version,
        tree_field="new_parent_id",
    ) as change:
        client = change.row
        old_parent = client.parent_id
        if old_parent is not None and await find(session, actor, GroupClient, old_parent) is None:
            raise DomainError(
                Problem(
                    ("id",),
                    ErrorCode.NOT_ALLOWED,
                    "This group client's parent is outside your reach; only someone who "
                    "reaches its parent may move it.",
                )
            )
        if new_parent_id is not None:
            await load(session, actor, GroupClient, new_parent_id, field="new_parent_id")
            chain = await _all_ancestor_ids(session, new_parent_id)
            if would_create_cycle(client.id, new_parent_id, chain):  # type: ignore[arg-type]
                raise errors.cycle()
        client.parent_id = new_parent_id
    return client


async def delete_group_client(
    session: AsyncSession, *, actor: Actor, group_client_id: int, version: int | None = None
) -> None:
    """Delete a group client that has no children and no group accounts."""
    async with changing(
        session, actor, Action.GROUP_CLIENT_DELETE, GroupClient, group_client_id, version=version
    ) as change:
        client = change.row
        problems: list[Problem] = []
        if await session.scalar(
            sa.select(col(GroupClient.id)).where(col(GroupClient.parent_id) == client.id).limit(1)
        ):
            problems.append(errors.still_has("id", ErrorCode.HAS_CHILDREN, "child group clients"))
        if await session.scalar(
            sa.select(col(GroupAccount.id))
            .where(col(GroupAccount.group_client_id) == client.id)
            .limit(1)
        ):
            problems.append(errors.still_has("id", ErrorCode.HAS_GROUP_ACCOUNTS, "group accounts"))
        raise_if(problems)
        await change.delete()
