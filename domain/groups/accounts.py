"""Changing group accounts, through the write path. Each function flushes; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from domain.core.changes import Action, changing, load
from domain.core.errors import Problem, raise_if
from domain.core.fields import check_name
from domain.dynamic.values import Assignment
from domain.groups.editing import checked_code, edit, restrictions
from domain.groups.models import GroupAccount, GroupClient


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
    async with changing(
        session, actor, Action.GROUP_ACCOUNT_CREATE, GroupAccount, tree_field="group_client_id"
    ) as change:
        client = await load(session, actor, GroupClient, group_client_id, field="group_client_id")
        problems: list[Problem] = []
        code = await checked_code(session, GroupAccount, code, problems)
        name = check_name("name", name, problems)
        lob, dag = await restrictions(
            session,
            problems,
            line_of_business=line_of_business,
            data_access_group=data_access_group,
        )
        raise_if(problems)
        assert dag is not None
        account = change.add(
            GroupAccount(
                code=code,
                name=name,
                group_client_id=group_client_id,
                line_of_business_id=lob.id if lob else client.line_of_business_id,  # type: ignore[arg-type]
                data_access_group_id=dag.id,  # type: ignore[arg-type]
            )
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
    dynamic_fields: Sequence[Assignment] = (),
) -> GroupAccount:
    """Change a group account's own fields; fields left None keep their value, and
    dynamic fields not assigned keep theirs."""
    async with changing(
        session, actor, Action.GROUP_ACCOUNT_UPDATE, GroupAccount, group_account_id, version=version
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
