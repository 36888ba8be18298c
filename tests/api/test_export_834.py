"""`groupcover export-834 --group CODE --as-of DATE [--changes-since DATE]` on a migrated
database: an 834 pyx12 accepts, from and to the configured parties; bad arguments named."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.intake.x12 import validate
from domain.policies.limits import utc_today
from tests.api.test_export_fhir import _acme, _run
from tests.api.test_reference_load import migrated

__all__ = ["migrated"]  # the fixture, imported to be used here


def _maintenance(text: str) -> list[str]:
    """The INS03 of each member loop."""
    return [s.split("*")[3] for s in text.split("~\n") if s.startswith("INS*")]


def test_the_command_prints_a_valid_834_and_names_bad_arguments(
    migrated: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given ACME with two families of three, and the parties configured
    asyncio.run(_acme(migrated, 2))
    monkeypatch.setenv("GROUPCOVER_X12_SENDER_ID", "INSURER1")
    monkeypatch.setenv("GROUPCOVER_X12_RECEIVER_ID", "TPA 77")
    today = utc_today()
    # when
    code, out, _ = _run(["export-834", "--group", "ACME", "--as-of", today.isoformat()], capsys)
    # then the file is valid, full, and from and to whom the settings say
    assert code == 0
    validate(out)
    assert _maintenance(out) == ["030"] * 6
    assert "*ZZ*INSURER1       *ZZ*TPA 77         *" in out
    # and the changes since a week ago are the six members who started five days ago
    since = (today - timedelta(days=7)).isoformat()
    argv = ["export-834", "--group", "ACME", "--as-of", today.isoformat(), "--changes-since", since]
    code, out, _ = _run(argv, capsys)
    assert code == 0 and _maintenance(out) == ["021"] * 6
    # and a bad date, a reversed period, an unknown group or a bad setting is named
    for argv, argument in (
        (["--group", "ACME", "--as-of", "2026-13-01"], "--as-of"),
        (["--group", "ACME", "--as-of", since, "--changes-since", "x"], "--changes-since"),
        (["--group", "ACME", "--as-of", since, "--changes-since", today.isoformat()],
         "--changes-since"),
        (["--group", "NOPE", "--as-of", since], "--group"),
    ):  # fmt: skip
        code, out, err = _run(["export-834", *argv], capsys)
        assert code != 0 and out == "" and err.startswith(f"groupcover: {argument}:"), err
    monkeypatch.setenv("GROUPCOVER_X12_USAGE", "X")
    code, out, _ = _run(["export-834", "--group", "ACME", "--as-of", since], capsys)
    assert out == "" and "GROUPCOVER_X12_USAGE must be one of P, T, not 'X'" in str(code)
