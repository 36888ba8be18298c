"""An admin's changes to lines of business and data access groups, through the write path.

A code is never changed: tokens, API keys and grants name lines of business and data access
groups by code, so changing one would silently change who sees what. A name may change at
any time, whatever uses the row.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.fields import check_code, check_name, is_code
from domain.reference.models import DataAccessGroup, LineOfBusiness, Product

Labelled = TypeVar("Labelled", LineOfBusiness, DataAccessGroup)

_CREATE = {
    LineOfBusiness: Action.LINE_OF_BUSINESS_CREATE,
    DataAccessGroup: Action.DATA_ACCESS_GROUP_CREATE,
}
_UPDATE = {
    LineOfBusiness: Action.LINE_OF_BUSINESS_UPDATE,
    DataAccessGroup: Action.DATA_ACCESS_GROUP_UPDATE,
}


async def create_labelled(
    session: AsyncSession, *, actor: Actor, model: type[Labelled], code: str, name: str
) -> Labelled:
    """Add a line of business or a data access group: a new, well-formed code and a name."""
    async with changing(session, actor, _CREATE[model], model) as change:
        problems: list[Problem] = []
        code = await unique_code(session, model, code, problems)
        name = check_name("name", name, problems)
        raise_if(problems)
        return change.add(model(code=code, name=name))


async def update_labelled(
    session: AsyncSession,
    *,
    actor: Actor,
    model: type[Labelled],
    code: str,
    name: str,
    version: int | None,
) -> Labelled:
    """Rename a line of business or a data access group, on the version the caller saw."""
    row_id = await id_by_code(session, model, code)
    if row_id is None:
        raise DomainError.of("code", ErrorCode.NOT_FOUND, f"No {_noun(model)} {code.strip()!r}.")
    async with changing(
        session, actor, _UPDATE[model], model, row_id, field="code", version=version
    ) as change:
        problems: list[Problem] = []
        name = check_name("name", name, problems)
        raise_if(problems)
        change.row.name = name
        return change.row


async def unique_code(
    session: AsyncSession, model: type[Labelled] | type[Product], code: str, problems: list[Problem]
) -> str:
    """Return the trimmed code, recording a problem if it is malformed or already in use."""
    found = len(problems)
    code = check_code("code", code, problems)
    if len(problems) == found and await id_by_code(session, model, code) is not None:
        problems.append(
            Problem(("code",), ErrorCode.DUPLICATE, f"A {_noun(model)} {code!r} exists already.")
        )
    return code


async def id_by_code(
    session: AsyncSession, model: type[Labelled] | type[Product], code: str
) -> int | None:
    """The id of the row with this code; None for none (or for text that is no code)."""
    if not is_code(code.strip()):
        return None
    stmt = sa.select(col(model.id)).where(col(model.code) == code.strip())
    return await session.scalar(stmt)


def _noun(model: type) -> str:
    nouns: dict[type, str] = {
        LineOfBusiness: "line of business",
        DataAccessGroup: "data access group",
        Product: "product",
    }
    return nouns[model]
