"""`groupcover export-fhir` and `groupcover export-834`: a group's cover as a FHIR R4B Bundle or
an X12 834 file.

Run as an admin would ask for it in the API (`groupClientFhirBundle`, `groupClientX12File`):
the same domain services, within an admin's reach and field rules, never with every row.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import GROUPS_READ, PERSONAL_FIELDS, POLICIES_READ, Access
from authz.principal import Principal, Role
from domain.database import create_engine, session_factory
from domain.exports.service import fhir_bundle, x12_file
from domain.exports.x12 import Parties
from domain.groups.models import GroupClient
from domain.groups.queries import client_by_code

SUBJECT = "export-fhir"
"""Who the export runs as."""

Export = Callable[[AsyncSession, GroupClient, Access], Awaitable[Any]]


def export_fhir(group: str, as_of: str, *, database_url: str) -> int:
    """Print the group's Bundle as JSON, or say which argument is wrong; the exit status."""
    day = _day("--as-of", as_of)
    if day is None:
        return 2

    async def build(session: AsyncSession, client: GroupClient, access: Access) -> Any:
        return await fhir_bundle(
            session, client=client, as_of=day, scope=access.scope(POLICIES_READ),
            groups_scope=access.scope(GROUPS_READ), personal=access.allows(PERSONAL_FIELDS),
        )  # fmt: skip

    found = asyncio.run(_export(group, database_url, build))
    if found is None:
        return _unknown(group)
    json.dump(found, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def export_834(
    group: str, as_of: str, changes_since: str | None, *, database_url: str, parties: Parties
) -> int:
    """Print the group's 834 file, or say which argument is wrong; the exit status."""
    day = _day("--as-of", as_of)
    since = _day("--changes-since", changes_since) if changes_since is not None else None
    if day is None or (changes_since is not None and since is None):
        return 2
    if since is not None and since > day:
        print("groupcover: --changes-since: must not be after --as-of.", file=sys.stderr)
        return 2

    async def build(session: AsyncSession, client: GroupClient, access: Access) -> Any:
        return await x12_file(
            session, client=client, as_of=day, since=since, scope=access.scope(POLICIES_READ),
            groups_scope=access.scope(GROUPS_READ), personal=access.allows(PERSONAL_FIELDS),
            parties=parties,
        )  # fmt: skip

    found = asyncio.run(_export(group, database_url, build))
    if found is None:
        return _unknown(group)
    if not found:
        print("groupcover: no member to send, so no file (an 834 holds one).", file=sys.stderr)
    sys.stdout.write(found)
    return 0


def _day(option: str, text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        print(f"groupcover: {option}: {text!r} is not a date (YYYY-MM-DD).", file=sys.stderr)
        return None


def _unknown(group: str) -> int:
    print(f"groupcover: --group: no group client has the code {group!r}.", file=sys.stderr)
    return 1


async def _export(group: str, database_url: str, build: Export) -> Any:
    access = Access(Principal(SUBJECT, frozenset({Role.ADMIN})))
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            client = await client_by_code(session, group, scope=access.scope(GROUPS_READ))
            if client is None:
                return None
            return await build(session, client, access)
    finally:
        await engine.dispose()
