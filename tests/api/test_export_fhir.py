"""`groupcover export-fhir --group CODE --as-of DATE` on a migrated database: valid FHIR JSON on
stdout, and a bad argument named on stderr with nothing on stdout."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle

from api.cli import main
from domain.database import create_engine, session_factory
from domain.policies.limits import utc_today
from tests.api.test_reference_load import migrated
from tests.factories import Book, families, place

__all__ = ["migrated"]  # the fixture, imported to be used here


async def _acme(url: str, count: int) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            book = await Book(session).setup()
            await families(book, await place(book), count, since=utc_today() - timedelta(days=5))
    finally:
        await engine.dispose()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err  # type: ignore[return-value]


def test_the_command_prints_a_valid_bundle_and_names_bad_arguments(
    migrated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # given ACME with two families of three
    asyncio.run(_acme(migrated, 2))
    today = utc_today().isoformat()
    # when
    code, out, _ = _run(["export-fhir", "--group", "ACME", "--as-of", today], capsys)
    # then
    assert code == 0
    bundle = Bundle.model_validate(json.loads(out))
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry or []]
    assert kinds.count("Coverage") == 6 and kinds.count("Group") == 2
    # and a bad date or an unknown group is named, with nothing printed
    for argv, argument in (
        (["--group", "ACME", "--as-of", "2026-13-01"], "--as-of"),
        (["--group", "NOPE", "--as-of", today], "--group"),
    ):
        code, out, err = _run(["export-fhir", *argv], capsys)
        assert code != 0 and out == "" and err.startswith(f"groupcover: {argument}:"), err
