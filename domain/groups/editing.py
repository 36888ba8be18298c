"""Checks and small steps shared by the group structure's changes."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.errors import Problem, raise_if
from domain.core.fields import check_code, check_name
from domain.dynamic.models import FieldTarget
from domain.dynamic.service import set_values
from domain.dynamic.values import Assignment
from domain.groups import errors
from domain.groups.models import GroupAccount, GroupClient
from domain.reference.models import DataAccessGroup, LineOfBusiness
from domain.reference.service import find_by_code


async def checked_code(
    session: AsyncSession,
    model: type[GroupClient] | type[GroupAccount],
    value: str,
    problems: list[Problem],
    *,
    except_id: int | None = None,
) -> str:
    """Return the trimmed code, recording why it is malformed or already taken."""
    found = len(problems)
    code = check_code("code", value, problems)
    if len(problems) > found:
        # A malformed code cannot be taken, and may hold what a database refuses to compare.
        return code
    stmt = sa.select(col(model.id)).where(col(model.code) == code)
    if except_id is not None:
        stmt = stmt.where(col(model.id) != except_id)
    if await session.scalar(stmt) is not None:
        problems.append(errors.duplicate_code(code))
    return code


async def restrictions(
    session: AsyncSession,
    problems: list[Problem],
    *,
    line_of_business: str | None,
    data_access_group: str | None,
) -> tuple[LineOfBusiness | None, DataAccessGroup | None]:
    lob = dag = None
    if line_of_business is not None:
        lob = await find_by_code(
            session, LineOfBusiness, line_of_business, field="line_of_business", problems=problems
        )
    if data_access_group is not None:
        dag = await find_by_code(
            session,
            DataAccessGroup,
            data_access_group,
            field="data_access_group",
            problems=problems,
        )
    return lob, dag


async def edit(
    session: AsyncSession,
    row: GroupClient | GroupAccount,
    *,
    actor: Actor,
    code: str | None,
    name: str | None,
    line_of_business: str | None,
    data_access_group: str | None,
    dynamic_fields: Sequence[Assignment] = (),
) -> None:
    """Validate and apply the editable fields a client and an account share."""
    problems: list[Problem] = []
    target = FieldTarget.GROUP_CLIENT if isinstance(row, GroupClient) else FieldTarget.GROUP_ACCOUNT
    values = await set_values(
        session, row, actor=actor, target=target, assignments=dynamic_fields, problems=problems
    )
    if code is not None:
        code = await checked_code(session, type(row), code, problems, except_id=row.id)
    if name is not None:
        name = check_name("name", name, problems)
    lob, dag = await restrictions(
        session, problems, line_of_business=line_of_business, data_access_group=data_access_group
    )
    raise_if(problems)
    row.code = code if code is not None else row.code
    row.name = name if name is not None else row.name
    row.line_of_business_id = lob.id if lob else row.line_of_business_id  # type: ignore[assignment]
    row.data_access_group_id = dag.id if dag else row.data_access_group_id  # type: ignore[assignment]
    if dynamic_fields:
        row.dynamic_fields = dict(values)
