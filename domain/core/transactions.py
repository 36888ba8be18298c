"""One operation, all or nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from domain.core.errors import DomainError, ErrorCode, Problem
from domain.database import begin_writing


@asynccontextmanager
async def atomic(session: AsyncSession) -> AsyncIterator[None]:
    """Commit what the block did, or roll all of it back and re-raise."""
    try:
        await begin_writing(session)  # on SQLite, waits for the write lock: may time out
        yield
        await session.commit()
    except StaleDataError as error:
        await session.rollback()
        raise DomainError(
            Problem(
                ("version",),
                ErrorCode.STALE_VERSION,
                "Changed by someone else meanwhile; reload and retry.",
            )
        ) from error
    except IntegrityError as error:
        # Our own checks run first; this is a concurrent writer that won the race.
        await session.rollback()
        raise DomainError(
            Problem((), ErrorCode.CONFLICT, "Conflicts with a concurrent change; reload and retry.")
        ) from error
    except DBAPIError as error:
        await session.rollback()
        if not _contended(error):
            raise
        raise DomainError(
            Problem((), ErrorCode.CONFLICT, "Busy with concurrent changes; retry.")
        ) from error
    except BaseException:
        await session.rollback()
        raise


def _contended(error: DBAPIError) -> bool:
    """Whether the database gave up on the transaction for another one's sake: SQLite still
    locked after busy_timeout, or PostgreSQL's serialization failure or deadlock (40xxx)."""
    cause = error.orig
    if isinstance(cause, sqlite3.Error):
        return (getattr(cause, "sqlite_errorcode", 0) & 0xFF) in (SQLITE_BUSY, SQLITE_LOCKED)
    return str(getattr(cause, "sqlstate", "") or "").startswith("40")


SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # primary result codes; extended ones add high bits
