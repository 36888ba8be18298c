"""Fixtures: every test runs on SQLite and, when configured, on PostgreSQL, and rolls back."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api import tokens
from api.app import create_app
from api.jobs import InProcess
from api.settings import Settings
from api.webhooks import WebhookSettings
from authz.principal import Principal, Role
from domain.database import SharedSession, create_engine
from domain.webhooks.addresses import AddressRules
from migrations.runner import upgrade
from schema.core.limits import QueryLimits
from tests.graphql import GraphQLClient

POSTGRES_URL = os.environ.get("GROUPCOVER_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
TEST_SECRET = "test-secret-" + "x" * 40
# Limits are tested on their own (tests/api/test_limits.py). Here a rate limit would make
# tests depend on speed, and the visibility oracle asks for every client at once by alias.
SETTINGS = Settings(
    database_url="unused",
    secret_key=TEST_SECRET,
    env="development",
    rate_per_minute=0,
    query_limits=QueryLimits(max_aliases=1000),
    # Webhook receivers in tests listen on 127.0.0.1 over http.
    webhooks=WebhookSettings(rules=AddressRules(https_only=False, allow_private=True)),
)


def _backends_notice() -> str:
    if POSTGRES_URL:
        return "groupcover: tests ran on SQLite and PostgreSQL"
    return (
        "groupcover: GROUPCOVER_TEST_POSTGRES_URL is not set, so tests ran on SQLite ONLY "
        "(CI runs them on PostgreSQL too)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "postgresql(reason): the test needs PostgreSQL (GROUPCOVER_TEST_POSTGRES_URL) and is "
        "skipped with `reason` without it; `make test` runs it in the PostgreSQL half only",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("postgresql")
    if marker is not None and not POSTGRES_URL:
        pytest.skip(marker.kwargs.get("reason", "needs PostgreSQL"))


def pytest_report_header() -> str:
    return _backends_notice()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # Also at the end, where `pytest -q` still shows it.
    terminalreporter.write_line(_backends_notice())


def _postgres_database() -> Iterator[str]:
    """Create a database of our own for this run, and drop it afterwards."""
    assert POSTGRES_URL
    base = make_url(POSTGRES_URL)
    name = f"groupcover_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    _create_if_missing(base)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _create_if_missing(base: Any) -> None:
    """Create the database the URL names, from the server's `postgres` database, if missing."""
    try:
        psycopg.connect(base.set(drivername="postgresql").render_as_string(False)).close()
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
        maintenance = base.set(drivername="postgresql", database="postgres")
        with (
            psycopg.connect(maintenance.render_as_string(False), autocommit=True) as conn,
            contextlib.suppress(psycopg.errors.DuplicateDatabase),  # another run made it first
        ):
            conn.execute(f'CREATE DATABASE "{base.database}"')


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for this test run."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        yield url
        return
    for url in _postgres_database():
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions whose commits become savepoints of the test's transaction."""
    return async_sessionmaker(
        bind=connection,
        class_=SharedSession,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


class StatementCounter:
    """Counts the SQL statements (not transaction control) sent on a connection."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in (
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "WITH",
        ):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def statements(connection: AsyncConnection) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(connection.sync_connection, "before_cursor_execute", counter)
    yield counter
    event.remove(connection.sync_connection, "before_cursor_execute", counter)


def token_for(principal: Principal) -> str:
    return tokens.issue(principal, secret=TEST_SECRET)


@pytest.fixture
def runner(sessions: async_sessionmaker[AsyncSession], tmp_path: Any) -> InProcess:
    """The background steps of workflow requests and exports: queued until a test calls
    `drain()`; export files go to the test's own folder."""
    return InProcess(
        sessions, SETTINGS.policy_limits, autostart=False, exports_dir=tmp_path / "exports"
    )


@pytest.fixture
async def http(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess
) -> AsyncIterator[AsyncClient]:
    """An HTTP client of the app, without credentials."""
    app = create_app(SETTINGS, sessions=sessions, runner=runner)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.fixture
def admin(http: AsyncClient) -> GraphQLClient:
    """A GraphQL client signed in as an insurer administrator."""
    return GraphQLClient(
        http, token_for(Principal(subject="admin-1", roles=frozenset({Role.ADMIN})))
    )
