"""Changing group accounts. Each function flushes; the caller commits or rolls back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from domain.audit.service import record, snapshot
from domain.core.errors import Problem, check_version, raise_if
from domain.core.fields import check_name
from domain.groups.models import GroupAccount
from domain.groups.rules import (
    checked_code,
    edit,
    ensure_reachable,
    load_account,
    load_client,
    mark_changed,
    restrictions,
    touch_account,
)


async def create_group_account(
    session: AsyncSession,
    *,
    actor: Actor,
    group_client_id: int,
    code: str,
    name: str,
    data_access_group: str,
    line_of_business: str | None = None,
) -> GroupAccount:
    """Create a group account under a group client; line of business defaults to the client's."""
    client = await load_client(session, group_client_id, field="group_client_id", scope=actor.scope)
    problems: list[Problem] = []
    code = await checked_code(session, GroupAccount, code, problems)
    name = check_name("name", name, problems)
    lob, dag = await restrictions(
        session, problems, line_of_business=line_of_business, data_access_group=data_access_group
    )
    raise_if(problems)
    assert dag is not None
    account = GroupAccount(
        code=code,
        name=name,
        group_client_id=group_client_id,
        line_of_business_id=lob.id if lob else client.line_of_business_id,  # type: ignore[arg-type]
        data_access_group_id=dag.id,  # type: ignore[arg-type]
    )
    session.add(account)
    mark_changed(client)
    await ensure_reachable(session, account, actor.scope, tree_field="group_client_id")
    await record(
        session, actor=actor.subject, action="groupAccountCreate", entity=account, before=None
    )
    return account


async def update_group_account(
    session: AsyncSession,
    *,
    actor: Actor,
    group_account_id: int,
    version: int,
    code: str | None = None,
    name: str | None = None,
    line_of_business: str | None = None,
    data_access_group: str | None = None,
) -> GroupAccount:
    """Change a group account's own fields; fields left None keep their value."""
    account = await load_account(session, group_account_id, field="id", scope=actor.scope)
    check_version(account, version)
    before = snapshot(account)
    await edit(
        session,
        account,
        code=code,
        name=name,
        line_of_business=line_of_business,
        data_access_group=data_access_group,
    )
    await touch_account(session, account)
    await ensure_reachable(session, account, actor.scope)
    await record(
        session, actor=actor.subject, action="groupAccountUpdate", entity=account, before=before
    )
    return account
