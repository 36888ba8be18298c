"""Changing the group structure. Each function flushes; the caller commits or rolls back."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.audit.service import record, snapshot
from domain.core.errors import ErrorCode, Problem, check_version, raise_if
from domain.core.fields import check_name
from domain.groups import errors
from domain.groups.models import (
    GroupAccount,
    GroupClient,
)
from domain.groups.queries import MAX_TREE_DEPTH, ancestor_ids
from domain.groups.rules import (
    checked_code,
    edit,
    ensure_reachable,
    find_client,
    load_client,
    mark_changed,
    restrictions,
)
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
    problems: list[Problem] = []
    code = await checked_code(session, GroupClient, code, problems)
    name = check_name("name", name, problems)
    lob, dag = await restrictions(
        session, problems, line_of_business=line_of_business, data_access_group=data_access_group
    )
    parent = None
    if parent_id is not None:
        parent = await find_client(session, parent_id, scope=actor.scope)
        if parent is None:
            problems.extend(errors.not_found("parent_id", "group client").problems)
    raise_if(problems)
    assert lob is not None and dag is not None
    client = GroupClient(
        code=code,
        name=name,
        parent_id=parent_id,
        line_of_business_id=lob.id,  # type: ignore[arg-type]
        data_access_group_id=dag.id,  # type: ignore[arg-type]
    )
    session.add(client)
    if parent is not None:
        mark_changed(parent)
    await ensure_reachable(session, client, actor.scope, tree_field="parent_id")
    await record(
        session, actor=actor.subject, action="groupClientCreate", entity=client, before=None
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
) -> GroupClient:
    """Change a group client's own fields; fields left None keep their value."""
    client = await load_client(session, group_client_id, field="id", scope=actor.scope)
    check_version(client, version)
    before = snapshot(client)
    await edit(
        session,
        client,
        code=code,
        name=name,
        line_of_business=line_of_business,
        data_access_group=data_access_group,
    )
    mark_changed(client)
    await ensure_reachable(session, client, actor.scope)
    await record(
        session, actor=actor.subject, action="groupClientUpdate", entity=client, before=before
    )
    return client


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
    """Hang a group client (with its subtree) under another parent, or make it a root."""
    client = await load_client(session, group_client_id, field="id", scope=actor.scope)
    if version is not None:
        check_version(client, version)
    old_parent = await session.get(GroupClient, client.parent_id) if client.parent_id else None
    new_parent = None
    if new_parent_id is not None:
        new_parent = await load_client(
            session, new_parent_id, field="new_parent_id", scope=actor.scope
        )
        chain = await _all_ancestor_ids(session, new_parent_id)
        if would_create_cycle(client.id, new_parent_id, chain):  # type: ignore[arg-type]
            raise errors.cycle()
    before = snapshot(client)
    client.parent_id = new_parent_id
    for touched in (client, old_parent, new_parent):
        if touched is not None:
            mark_changed(touched)
    await ensure_reachable(session, client, actor.scope, tree_field="new_parent_id")
    await record(
        session, actor=actor.subject, action="groupClientMove", entity=client, before=before
    )
    return client


async def delete_group_client(
    session: AsyncSession, *, actor: Actor, group_client_id: int, version: int | None = None
) -> None:
    """Delete a group client that has no children and no group accounts."""
    client = await load_client(session, group_client_id, field="id", scope=actor.scope)
    if version is not None:
        check_version(client, version)
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
    before = snapshot(client)
    if client.parent_id is not None:
        parent = await session.get(GroupClient, client.parent_id)  # changed, seen or not
        mark_changed(parent)  # type: ignore[arg-type]
    await record(
        session,
        actor=actor.subject,
        action="groupClientDelete",
        entity=client,
        before=before,
        deleted=True,
    )
    await session.delete(client)
    await session.flush()
