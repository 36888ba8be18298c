"""One operation, all or nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from domain.core.errors import DomainError, ErrorCode, Problem
from domain.database import begin_writing


@asynccontextmanager
async def atomic(session: AsyncSession) -> AsyncIterator[None]:
    """Commit what the block did, or roll all of it back and re-raise."""
    await begin_writing(session)
    try:
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
    except BaseException:
        await session.rollback()
        raise
