"""`groupcover reference load FILE` on a fresh database: loads the example, changes nothing the
second time, and writes nothing at all when an entry is wrong, naming each one."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from api.cli import main
from migrations.runner import upgrade
from tests.api.test_first_setup import BACKENDS, ROOT
from tests.conftest import _postgres_database

EXAMPLE = ROOT / "docs" / "reference.example.yaml"
KEY = "reference-load-key-" + "r" * 40


@pytest.fixture(params=BACKENDS)
def migrated(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated, empty database, which the command's environment names."""
    urls = (
        iter([f"sqlite+aiosqlite:///{tmp_path / 'ref.db'}"])
        if request.param == "sqlite"
        else _postgres_database()
    )
    for url in urls:
        upgrade(url)
        monkeypatch.setenv("GROUPCOVER_DATABASE_URL", url)
        monkeypatch.setenv("GROUPCOVER_SECRET_KEY", KEY)
        monkeypatch.setenv("GROUPCOVER_ENV", "production")
        yield url


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        with sqlite3.connect(str(parsed.database)) as conn:
            return conn.execute(sql).fetchall()
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def _load(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(["reference", "load", str(path)])
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err  # type: ignore[return-value]


def _state(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: _rows(url, f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in ("line_of_business", "data_access_group", "product",
                      "product_coverage_tier", "product_parameter", "audit_event")
    }  # fmt: skip


def test_the_example_loads_and_a_second_load_changes_nothing(
    migrated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    first = _load(EXAMPLE, capsys)
    after_first = _state(migrated)
    second = _load(EXAMPLE, capsys)
    # then
    assert first == (
        0,
        f"{EXAMPLE}: 2 lines of business, 2 data access groups, 3 products, "
        "2 product parameters added.\n",
        "",
    )
    assert second == (0, f"{EXAMPLE}: already up to date, nothing changed.\n", "")
    assert _state(migrated) == after_first
    assert _rows(migrated, "SELECT code, name FROM line_of_business ORDER BY code") == [
        ("HEALTH", "Group health"),
        ("LIFE", "Group life"),
    ]
    assert sorted(_rows(migrated, "SELECT tier FROM product_coverage_tier")) == sorted(
        [(t,) for t in ("EMPLOYEE_ONLY", "EMPLOYEE_SPOUSE", "EMPLOYEE_CHILDREN", "FAMILY")]
        + [("EMPLOYEE_ONLY",), ("FAMILY",), ("EMPLOYEE_ONLY",)]
    )
    actors = {row[0] for row in _rows(migrated, "SELECT actor FROM audit_event")}
    assert actors == {"reference-load"}


def test_a_changed_file_changes_only_what_differs(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the example loaded, then a file renaming a line and adding a tier and a product
    _load(EXAMPLE, capsys)
    changed = tmp_path / "changed.json"
    changed.write_text(
        json.dumps(
            {
                "lines_of_business": [{"code": "LIFE", "name": "Group life and AD&D"}],
                "products": [
                    {
                        "code": "LIFE-2X", "name": "Term life 2x salary", "kind": "LIFE",
                        "line_of_business": "LIFE",
                        "coverage_tiers": ["EMPLOYEE_ONLY", "EMPLOYEE_SPOUSE"],
                    },
                    {
                        "code": "VIS-STD", "name": "Vision", "kind": "VISION",
                        "line_of_business": "HEALTH", "coverage_tiers": ["FAMILY"],
                    },
                ],
            }
        )
    )  # fmt: skip
    # when
    status, out, _ = _load(changed, capsys)
    # then
    assert (status, out) == (
        0,
        f"{changed}: 1 product added; 1 line of business, 1 product changed.\n",
    )
    assert ("LIFE", "Group life and AD&D", 2) in _rows(
        migrated, "SELECT code, name, version FROM line_of_business"
    )
    assert len(_rows(migrated, "SELECT code FROM data_access_group")) == 2  # kept


BAD = """
lines_of_business:
  - code: DENTAL
    name: Group dental
  - code: bad code
    name: Spaces in its code
data_access_groups:
  - {code: APAC}
products:
  - code: VIS-STD
    name: Vision
    kind: PET
    line_of_business: HEALTH
    coverage_tiers: [FAMILY]
  - code: DEN-PLUS
    name: Dental plus
    kind: DENTAL
    line_of_business: NO-SUCH
    coverage_tiers: [FAMILY, FAMILY]
  - code: LIFE-3X
    name: Term life 3x salary
    kind: LIFE
    line_of_business: LIFE
    coverage_tiers: [EMPLOYEE_ONLY]
    parameters:
      - {name: "not a name"}
surprise: {}
"""


def test_a_file_with_wrong_entries_writes_nothing_and_names_each(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the example loaded
    _load(EXAMPLE, capsys)
    before = _state(migrated)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    # when
    status, out, err = _load(bad, capsys)
    # then
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        f"groupcover: {bad} not loaded, nothing was written:",
        "  file: surprise: Unknown section; use lines_of_business, data_access_groups, products.",
        "  lines_of_business[1] (bad code): code: code may hold only letters, digits, '.', '_' "
        "and '-', and must start with a letter or digit.",
        "  data_access_groups[0] (APAC): name: Required, as text.",
        "  products[0] (VIS-STD): kind: Expected one of MEDICAL, DENTAL, VISION, LIFE, DISABILITY.",
        "  products[1] (DEN-PLUS): coverage_tiers[1]: FAMILY is given twice.",
        "  products[2] (LIFE-3X): parameters[0].name: name may hold only letters, digits, '.', "
        "'_' and '-', and must start with a letter or digit.",
    ]
    assert _state(migrated) == before  # not even DENTAL, which was right


def test_a_product_entry_whose_line_is_unknown_is_refused(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "products:\n  - {code: P1, name: P, kind: MEDICAL, line_of_business: NOPE, "
        "coverage_tiers: [FAMILY]}\n"
    )
    # when
    status, _, err = _load(bad, capsys)
    # then
    assert status == 1
    assert "  products[0] (P1): line_of_business: No line of business with code 'NOPE'." in err
    assert _rows(migrated, "SELECT code FROM product") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lines_of_business: [\n", "while parsing"),
        ("- just\n- a list\n", "file: Expected a mapping"),
    ],
)
def test_a_file_that_is_not_reference_data_is_refused(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    # given
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    # when
    status, _, err = _load(path, capsys)
    # then
    assert status == 1
    assert message in err
