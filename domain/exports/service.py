"""Exports of a group's cover to other systems' formats."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import RowScope
from domain.exports.fhir import Client, bundle
from domain.exports.queries import families_of
from domain.groups.models import GroupClient


async def fhir_bundle(
    session: AsyncSession,
    *,
    client: GroupClient,
    as_of: date,
    scope: RowScope,
    groups_scope: RowScope,
    personal: bool,
) -> dict[str, Any]:
    """The FHIR R4B Bundle of the policies in force on `as_of` under `client` that `scope`
    reaches (the client itself already found within `groups_scope`)."""
    families = await families_of(
        session, client=client, as_of=as_of, scope=scope, groups_scope=groups_scope
    )
    found = Client(id=client.id, code=client.code, name=client.name)  # type: ignore[arg-type]
    return bundle(found, families, as_of=as_of, personal=personal)
