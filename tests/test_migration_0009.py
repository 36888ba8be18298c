"""Migration 0009 moves what an employer knew of its employee from the person to the policy."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from domain.database import create_engine
from migrations.runner import config
from tests.conftest import BACKENDS, _postgres_database

_STAMPS = "1, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00'"
_ROWS = [
    "INSERT INTO line_of_business (id, code, name) VALUES (1, 'HEALTH', 'Health')",
    "INSERT INTO data_access_group (id, code, name) VALUES (1, 'EU', 'Europe')",
    # Ann subscribes to two policies (two employers), Bob is only insured as her spouse.
    "INSERT INTO person (id, person_number, given_name, family_name, birth_date, gender, "
    "email, salary, salary_currency, version, created_at, updated_at) VALUES "
    f"(1, 'PN-ANN', 'Ann', 'Lee', '1980-02-03', 'FEMALE', 'ann@work.example', 52000.50, 'EUR', "
    f"{_STAMPS}), "
    f"(2, 'PN-BOB', 'Bob', 'Lee', '1979-05-06', 'MALE', 'bob@home.example', NULL, NULL, "
    f"{_STAMPS})",
    "INSERT INTO policy (id, number, subscriber_id, line_of_business_id, data_access_group_id, "
    "status, start_date, version, created_at, updated_at) VALUES "
    f"(1, 'P-1', 1, 1, 1, 'ACTIVE', '2025-01-01', {_STAMPS}), "
    f"(2, 'P-2', 1, 1, 1, 'ACTIVE', '2025-06-01', {_STAMPS})",
]


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own, with no tables yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migration.db'}"
        return
    yield from _postgres_database()


def _migrate(connection: Connection, url: str, revision: str) -> None:
    cfg = config(url)
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _before_0009(url: str) -> str:
    previous = ScriptDirectory.from_config(config(url)).get_revision("0009").down_revision
    assert isinstance(previous, str)
    return previous


async def _rows(connection: Any, query: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in (await connection.execute(sa.text(query))).all()]


async def test_salary_and_work_email_move_to_each_policy_of_the_subscriber(
    empty_database: str,
) -> None:
    # given a database before 0009 with persons holding salary and e-mail
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, empty_database, _before_0009(empty_database))
            for statement in _ROWS:
                await connection.execute(sa.text(statement))
        # when
        async with engine.begin() as connection:
            await connection.run_sync(_migrate, empty_database, "0009")
        # then each of Ann's policies holds her employment; Bob keeps his personal e-mail
        async with engine.connect() as connection:
            policies = await _rows(
                connection,
                "SELECT number, work_email, salary, salary_currency, employee_number "
                "FROM policy ORDER BY number",
            )
            persons = await _rows(connection, "SELECT person_number, email FROM person ORDER BY id")
            columns = {c["name"] for c in await connection.run_sync(_person_columns)}
    finally:
        await engine.dispose()
    # (SQLite answers the amount of a raw select as a float)
    assert [(n, e, Decimal(str(s)), c, x) for n, e, s, c, x in policies] == [
        ("P-1", "ann@work.example", Decimal("52000.50"), "EUR", None),
        ("P-2", "ann@work.example", Decimal("52000.50"), "EUR", None),
    ]
    assert persons == [("PN-ANN", None), ("PN-BOB", "bob@home.example")]
    assert not columns & {"salary", "salary_currency"}


def _person_columns(connection: Connection) -> list[dict[str, Any]]:
    return sa.inspect(connection).get_columns("person")  # type: ignore[no-any-return]
