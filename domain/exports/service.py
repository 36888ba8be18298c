"""Exports of a group's cover to other systems' formats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import RowScope
from domain.core.columns import utcnow
from domain.exports import x12
from domain.exports.fhir import Client, bundle
from domain.exports.queries import changed_since, families_of
from domain.groups.models import GroupClient
from domain.intake.x12 import validate


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


async def x12_file(
    session: AsyncSession,
    *,
    client: GroupClient,
    as_of: date,
    since: date | None,
    scope: RowScope,
    groups_scope: RowScope,
    personal: bool,
    parties: x12.Parties,
    now: datetime | None = None,
) -> str:
    """The X12 834 of the members under `client` that `scope` reaches: all those in force on
    `as_of`, or the changes from `since` to `as_of`; pyx12 has validated it. "" when there is
    no member to send."""
    families = await families_of(
        session, client=client, as_of=as_of, scope=scope, groups_scope=groups_scope, since=since
    )
    changed = frozenset() if since is None else await changed_since(session, families, since)
    text = x12.interchange(
        x12.Sponsor(code=client.code, name=client.name),
        families,
        x12.Request(as_of=as_of, since=since, changed=changed),
        parties=parties,
        now=now or utcnow(),
        personal=personal,
    )
    if text:
        validate(text)  # a file pyx12 refuses is our bug: it raises rather than leaves
    return text
