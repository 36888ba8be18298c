"""`groupcover retention purge`: an operator deletes the documents past their retention.

As an admin named by `--as` (the audit trail records each deletion), in batches of a
transaction each, until none is left; it prints how many. Run it daily (cron, a Kubernetes
CronJob): nothing else deletes documents.
"""

from __future__ import annotations

import asyncio

from api.intake import operator
from api.settings import Settings, database_engine
from authz.access import DOCUMENTS_ISSUE
from domain.core.transactions import atomic
from domain.database import session_factory
from domain.documents.retention import purge_expired


def run(*, subject: str | None, settings: Settings) -> str:
    """Purge every document past its retention; the report."""

    async def work() -> int:
        engine = database_engine(settings)
        purged = 0
        try:
            while True:
                async with session_factory(engine)() as session, atomic(session):
                    done = await purge_expired(session, actor=operator(subject, DOCUMENTS_ISSUE))
                purged += done
                if not done:
                    return purged
        finally:
            await engine.dispose()

    return f"{asyncio.run(work())} documents past their retention deleted."
