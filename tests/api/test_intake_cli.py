"""`groupcover intake FILE --group CODE` against a database of the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.cli import main
from domain.audit.models import AuditEvent
from domain.database import create_engine, session_factory
from migrations.runner import upgrade
from tests.conftest import BACKENDS, _postgres_database
from tests.domain.intake.census import csv_of, family
from tests.factories import Book, place


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database holding ACME, whose commits are real; the command's environment."""
    urls = (
        iter([f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"])
        if request.param == "sqlite"
        else _postgres_database()
    )
    monkeypatch.setenv("GROUPCOVER_SECRET_KEY", "intake-test-key-" + "i" * 40)
    monkeypatch.delenv("GROUPCOVER_ENV", raising=False)
    for url in urls:
        upgrade(url)
        asyncio.run(_acme(url))
        monkeypatch.setenv("GROUPCOVER_DATABASE_URL", url)
        yield url


async def _acme(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            await place(await Book(session).setup())
    finally:
        await engine.dispose()


def _audit(url: str) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                stmt = sa.select(AuditEvent.actor, AuditEvent.action)  # type: ignore[call-overload]
                return [tuple(r) for r in (await conn.execute(stmt)).all()]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_intake_applies_a_census_as_the_named_operator(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a census of one good family and one whose child's gender is no gender
    bad = family("E2", "Bob")
    bad[2] = bad[2].replace("UNKNOWN", "???")
    path = tmp_path / "census.csv"
    path.write_bytes(csv_of(*family("E1", "Ann"), *bad))
    # when checked, then applied
    with pytest.raises(SystemExit) as dry:
        main(["intake", str(path), "--group", "ACME", "--dry-run", "--as", "ops-1"])
    checked = capsys.readouterr().out
    with pytest.raises(SystemExit) as applied:
        main(["intake", str(path), "--group", "ACME", "--as", "ops-1"])
    report = capsys.readouterr().out
    # then
    assert dry.value.code == applied.value.code == 1
    assert "VALIDATED (dry run: nothing saved)" in checked
    assert "PARTIALLY_APPLIED" in report and "3 applied" in report and "3 refused" in report
    assert "line 7 (E2): gender: INVALID_FORMAT" in report
    actions = _audit(database)
    assert ("ops-1", "policyEnroll") in actions
    assert [a for a in actions if a[1] == "policyEnroll"] == [("ops-1", "policyEnroll")]
    assert actions.count(("ops-1", "enrollmentFileSubmit")) == 2


def test_intake_names_an_unknown_group(database: str, tmp_path: Path) -> None:
    path = tmp_path / "census.csv"
    path.write_bytes(csv_of(*family("E1", "Ann")))
    with pytest.raises(SystemExit) as exit:
        main(["intake", str(path), "--group", "NOPE"])
    assert exit.value.code == 2
