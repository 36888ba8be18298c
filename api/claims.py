"""`groupcover claims load FILE`: an operator loads the claims system's pharmacy summaries.

The file goes through the same service as `claimsSummaryLoad`, as an admin named by `--as`
(the audit trail records that subject), in one transaction; the command prints the counts and
each refused row with its line, column and reason.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from api.intake import operator
from api.settings import Settings, database_engine
from authz.access import CLAIMS_WRITE
from domain.campaigns.claims import ClaimsLoad, load_claims
from domain.core.errors import DomainError
from domain.core.transactions import atomic
from domain.database import session_factory


def run(path: Path, *, subject: str | None, settings: Settings) -> tuple[int, str]:
    """Load the file; the exit status (0 all loaded, 1 some refused, 2 none) and the report."""
    data = path.read_bytes()

    async def work() -> tuple[int, str]:
        engine = database_engine(settings)
        try:
            async with session_factory(engine)() as session:
                try:
                    async with atomic(session):
                        load = await load_claims(
                            session, actor=operator(subject, CLAIMS_WRITE), data=data
                        )
                except DomainError as error:
                    return 2, f"groupcover: {error}"
                return (0 if not load.refused else 1), _report(load)
        finally:
            await engine.dispose()

    return asyncio.run(work())


def _report(load: ClaimsLoad) -> str:
    lines = [f"{load.received} rows: {load.loaded} loaded, {len(load.refused)} refused."]
    for row in load.refused:
        lines += [
            f"  line {row.line}: {'.'.join(p.field)}: {p.code.value}: {p.message}"
            for p in row.problems
        ]
    return "\n".join(lines)
