"""`groupcover documents add | list | remove` against a database of the test's own."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.cli import main
from domain.audit.models import AuditEvent
from domain.database import create_engine
from migrations.runner import upgrade
from tests.conftest import BACKENDS, _postgres_database

KEY = "documents-test-key-" + "d" * 40
CLIENTS = "query Clients {\n  groupClients(first: 5) { edges { node { code } } }\n}\n"
TWO = "query A { groupClients(first: 1) { totalCount } }\nquery B { settingsReferenceData { premiumSchedules { code } } }\n"


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated, empty database whose commits are real; the commands' environment."""
    urls = (
        iter([f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"])
        if request.param == "sqlite"
        else _postgres_database()
    )
    monkeypatch.setenv("GROUPCOVER_SECRET_KEY", KEY)
    monkeypatch.delenv("GROUPCOVER_ENV", raising=False)
    monkeypatch.chdir(tmp_path)
    for url in urls:
        upgrade(url)
        monkeypatch.setenv("GROUPCOVER_DATABASE_URL", url)
        yield url


def _file(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _listed(capsys: pytest.CaptureFixture[str]) -> list[list[str]]:
    main(["documents", "list"])
    header, *rows = capsys.readouterr().out.splitlines()
    assert header == "sha256\tadded_at\tadded_by\toperations"
    return [row.split("\t") for row in rows]


def _audit_actions(url: str) -> list[str]:
    async def read() -> list[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                stmt = sa.select(AuditEvent.action).order_by(AuditEvent.id)  # type: ignore[arg-type]
                return list((await conn.execute(stmt)).scalars())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_add_trusts_a_file_by_the_hash_of_its_bytes_once(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    clients, two = _file(tmp_path, "clients.graphql", CLIENTS), _file(tmp_path, "two.graphql", TWO)
    # when added, then added again with another
    main(["documents", "add", str(clients)])
    first = capsys.readouterr().out
    main(["documents", "add", str(clients), str(two)])
    second = capsys.readouterr().out
    # then
    digest = hashlib.sha256(CLIENTS.encode()).hexdigest()
    assert first.startswith(f"Trusted: {digest}\t")
    assert second.startswith(f"Already trusted: {digest}\t")
    assert f"Trusted: {hashlib.sha256(TWO.encode()).hexdigest()}\t" in second
    rows = _listed(capsys)
    assert [(row[0], row[3]) for row in rows] == [
        (digest, "Clients"),
        (hashlib.sha256(TWO.encode()).hexdigest(), "A, B"),
    ]
    assert all(row[2].startswith("operator:") for row in rows)
    assert _audit_actions(database) == ["trustedDocumentAdd", "trustedDocumentAdd"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        pytest.param("query { groupClients(first: 1) { \n", "2:1: Syntax Error", id="syntax"),
        pytest.param(
            "query { groupClients(first: 1) { nope } }",
            "does not validate against the schema: 1:34: Cannot query field 'nope'",
            id="invalid",
        ),
        pytest.param(
            "query { groupClients { totalCount } }\nquery { groupClients { totalCount } }",
            "This anonymous operation must be the only defined operation",
            id="two anonymous",
        ),
        pytest.param("fragment F on GroupClient { code }", "holds no operation", id="no operation"),
        pytest.param(b"query { \xff }", "is not UTF-8 text", id="not utf-8"),
        pytest.param(
            "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }",
            "aliases",
            id="over the alias limit",
        ),
    ],
)
def test_a_file_that_cannot_be_trusted_is_named_and_nothing_is_added(
    database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | bytes,
    says: str,
) -> None:
    # given a good file and a bad one
    good, bad = _file(tmp_path, "good.graphql", CLIENTS), _file(tmp_path, "bad.graphql", content)
    # when
    with pytest.raises(SystemExit) as exited:
        main(["documents", "add", str(good), str(bad)])
    # then
    message = str(exited.value.code)
    assert message.startswith(f"groupcover: {bad}:"), message
    assert says in message
    assert message.endswith("Nothing was added.")
    assert capsys.readouterr().out == ""
    main(["documents", "list"])
    assert capsys.readouterr().out == "No trusted documents.\n"


def test_a_missing_file_is_named(database: str, tmp_path: Path) -> None:
    # when
    with pytest.raises(SystemExit) as exited:
        main(["documents", "add", str(tmp_path / "gone.graphql")])
    # then
    assert str(exited.value.code) == (
        f"groupcover: {tmp_path / 'gone.graphql'}: cannot be read (No such file or directory). "
        "Nothing was added."
    )


def test_remove_stops_trusting_a_hash_and_refuses_an_unknown_one(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    main(["documents", "add", str(_file(tmp_path, "clients.graphql", CLIENTS))])
    digest = hashlib.sha256(CLIENTS.encode()).hexdigest()
    capsys.readouterr()
    # when
    main(["documents", "remove", digest.upper()])
    removed = capsys.readouterr().out
    with pytest.raises(SystemExit) as again:
        main(["documents", "remove", digest])
    # then
    assert removed.startswith(f"Removed: {digest}\t")
    assert str(again.value.code) == f"groupcover: no trusted document has the hash {digest!r}."
    main(["documents", "list"])
    assert capsys.readouterr().out == "No trusted documents.\n"
    assert _audit_actions(database) == ["trustedDocumentAdd", "trustedDocumentRemove"]
