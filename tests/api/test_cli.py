"""The `groupcover` command line: tokens for development, and the committed schema."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from api import jobs, tokens
from api.cli import main
from authz.principal import Principal, Role
from tests.live import GROUPCOVER

KEY = "cli-test-key-" + "z" * 40
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Development mode with a known key, in an empty working folder."""
    for name in ("GROUPCOVER_DATABASE_URL", "GROUPCOVER_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GROUPCOVER_SECRET_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_token_prints_only_a_token_carrying_the_grants(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    main(["token", "--subject", "bo-7", "--role", "backoffice", "--dag", "EU", "--lob", "HEALTH"])
    # then
    out = capsys.readouterr().out
    (line,) = out.splitlines()
    assert out == line + "\n"
    assert tokens.verify(line, secret=KEY) == Principal(
        subject="bo-7",
        roles=frozenset({Role.BACKOFFICE}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )


def test_token_repeats_roles_and_grants_and_names_a_person(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    main(
        [
            "token", "--subject", "hr-1", "--role", "group_manager", "--role", "employee",
            "--group", "ACME", "--group", "ACME-DE", "--person", "P-100",
        ]
    )  # fmt: skip
    # then
    principal = tokens.verify(capsys.readouterr().out.strip(), secret=KEY)
    assert principal.roles == {Role.GROUP_MANAGER, Role.EMPLOYEE}
    assert principal.groups == {"ACME", "ACME-DE"}
    assert principal.data_access_groups == frozenset()
    assert principal.person == "P-100"


def test_token_lives_twelve_hours_unless_told(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    main(["token", "--subject", "a", "--role", "admin"])
    main(["token", "--subject", "a", "--role", "admin", "--hours", "0.5"])
    # then
    default, short = (_lifetime(line) for line in capsys.readouterr().out.splitlines())
    assert abs(default - timedelta(hours=12)) < timedelta(seconds=5)
    assert abs(short - timedelta(minutes=30)) < timedelta(seconds=5)


def test_token_refuses_an_unknown_role(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    with pytest.raises(SystemExit) as exit_:
        main(["token", "--subject", "x", "--role", "superuser"])
    # then
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert "invalid choice: 'superuser'" in captured.err
    assert captured.out == "", "no token may be printed"


def test_token_needs_a_role(environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # when
    with pytest.raises(SystemExit) as exit_:
        main(["token", "--subject", "x"])
    # then
    assert exit_.value.code == 2
    assert "--role" in capsys.readouterr().err


def test_token_in_production_needs_the_key(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    monkeypatch.setenv("GROUPCOVER_ENV", "production")
    monkeypatch.delenv("GROUPCOVER_SECRET_KEY")
    # when
    with pytest.raises(SystemExit) as exit_:
        main(["token", "--subject", "x", "--role", "admin"])
    # then
    assert exit_.value.code == "groupcover: GROUPCOVER_SECRET_KEY must be set in production."
    assert capsys.readouterr().out == ""


def test_export_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    # when
    main(["export-schema"])
    # then
    printed = capsys.readouterr().out
    assert printed == SCHEMA_FILE.read_text(), (
        "schema.graphql differs from the schema in the code: "
        "run groupcover export-schema > schema.graphql (and review the diff)"
    )


def test_the_worker_says_that_it_started_and_what_it_listens_to(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the worker runs on PostgreSQL only")
    # when a worker runs until the queue is empty
    done = subprocess.run(
        [GROUPCOVER, "worker", "--once"],
        env={**os.environ, "GROUPCOVER_DATABASE_URL": database_url, "GROUPCOVER_SECRET_KEY": KEY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then its log names its queue, its tasks and its database
    assert done.returncode == 0, done.stderr[-2000:]
    (started,) = [line for line in done.stderr.splitlines() if "worker started" in line]
    assert f"queues {', '.join(jobs.QUEUES)} (tasks " in started
    assert all(task in started for task in ("workflow.advance", "mail.send", "intake.apply"))
    assert f"on {database_url}" in started
    assert "until the queue is empty" in started
    assert "groupcover worker stopped" in done.stderr


def _lifetime(token: str) -> timedelta:
    claims = jwt.decode(token, KEY, algorithms=[tokens.ALGORITHM], issuer=tokens.ISSUER)
    return datetime.fromtimestamp(claims["exp"], UTC) - datetime.fromtimestamp(claims["iat"], UTC)
