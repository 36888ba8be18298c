"""An in-process app as tests of logs, metrics and traces use it: an admin's client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from typing import Any

from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.observe import JsonLines, PlainLines
from authz.principal import Principal, Role
from tests.conftest import SETTINGS, token_for

ADMIN = Principal(subject="admin-1", roles=frozenset({Role.ADMIN}))


@asynccontextmanager
async def client(
    sessions: async_sessionmaker[AsyncSession], *, app_options: Any = None, **settings: Any
) -> AsyncIterator[AsyncClient]:
    """A client of an app with these settings, signed in as an admin."""
    app = create_app(replace(SETTINGS, **settings), sessions=sessions, **(app_options or {}))
    async with AsyncClient(
        transport=ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token_for(ADMIN)}"},
    ) as http:
        yield http


class Lines(logging.Handler):
    """The request lines written while it is attached, formatted as the server writes them."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def request_lines(*, json: bool = True) -> Iterator[list[str]]:
    """Collect the `groupcover.requests` lines written in the block."""
    logger = logging.getLogger("groupcover.requests")
    handler = Lines(JsonLines() if json else PlainLines())
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
