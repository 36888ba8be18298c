"""A database of this folder's own whose commits are real, with the sessions of requests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.database import create_engine, request_sessions
from migrations.runner import upgrade
from tests.conftest import BACKENDS, _postgres_database


@pytest.fixture(scope="package", params=BACKENDS)
def own_database(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[str]:
    """What a request commits must really be committed, for other sessions to meet."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('core') / 'own.db'}"
        upgrade(url)
        yield url
        return
    for url in _postgres_database():
        upgrade(url)
        yield url


@pytest.fixture
async def committing(own_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(own_database)
    yield engine
    await engine.dispose()


@pytest.fixture
def committed_sessions(committing: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return request_sessions(committing)
