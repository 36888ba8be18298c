"""`groupcover export-fhir --group CODE --as-of DATE`: a group's cover as a FHIR R4B Bundle.

Run as an admin would ask for it in the API (`groupClientFhirBundle`): the same domain service,
within an admin's reach and field rules, never with every row.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from typing import Any

from authz.access import GROUPS_READ, PERSONAL_FIELDS, POLICIES_READ, Access
from authz.principal import Principal, Role
from domain.database import create_engine, session_factory
from domain.exports.service import fhir_bundle
from domain.groups.queries import client_by_code

SUBJECT = "export-fhir"
"""Who the export runs as."""


def export_fhir(group: str, as_of: str, *, database_url: str) -> int:
    """Print the group's Bundle as JSON, or say which argument is wrong; the exit status."""
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        print(f"groupcover: --as-of: {as_of!r} is not a date (YYYY-MM-DD).", file=sys.stderr)
        return 2
    found = asyncio.run(_export(group, day, database_url))
    if found is None:
        print(f"groupcover: --group: no group client has the code {group!r}.", file=sys.stderr)
        return 1
    json.dump(found, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


async def _export(group: str, day: date, database_url: str) -> dict[str, Any] | None:
    access = Access(Principal(SUBJECT, frozenset({Role.ADMIN})))
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            client = await client_by_code(session, group, scope=access.scope(GROUPS_READ))
            if client is None:
                return None
            return await fhir_bundle(
                session,
                client=client,
                as_of=day,
                scope=access.scope(POLICIES_READ),
                groups_scope=access.scope(GROUPS_READ),
                personal=access.allows(PERSONAL_FIELDS),
            )
    finally:
        await engine.dispose()
