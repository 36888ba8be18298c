"""groupClientX12File: the same 834 as `groupcover export-834`, valid for pyx12, with what the
caller may see and no more, in statements that do not grow with the policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from domain.intake.x12 import validate
from tests.conftest import StatementCounter
from tests.factories import Book, families, place, viewers
from tests.graphql import GraphQLClient
from tests.schema.exports.test_group_client_fhir_bundle import TODAY, _client, acme

__all__ = ["acme"]  # the fixture, imported to be used here

FILE = """query($code: String, $id: ID, $asOf: Date!, $since: Date) {
  groupClientX12File(code: $code, id: $id, asOf: $asOf, changesSince: $since)
}"""


async def _file(client: GraphQLClient, day: Any = TODAY, **key: Any) -> Any:
    data = await client.query(FILE, {"asOf": day.isoformat(), **key})
    return data["groupClientX12File"]


def _loops(text: str) -> list[list[str]]:
    return [s.split("*") for s in text.split("~\n") if s.startswith(("INS*", "NM1*IL"))]


async def test_an_admin_gets_every_member_in_force_in_a_valid_file(
    http: AsyncClient, acme: Any
) -> None:
    # given
    admin = _client(http, viewers("ACME")["admin"])
    # when
    text = await _file(admin, code="ACME")
    # then the eight members in force today, the child who left yesterday absent
    validate(text)
    assert [s[3] for s in _loops(text) if s[0] == "INS"] == ["030"] * 8
    # and the changes since eleven days ago: nine added, the child ended yesterday
    since = (TODAY - timedelta(days=11)).isoformat()
    changes = [s[3] for s in _loops(await _file(admin, code="ACME", since=since)) if s[0] == "INS"]
    assert sorted(changes) == ["021"] * 8 + ["024"]


async def test_another_employer_s_manager_gets_null(http: AsyncClient, acme: Any) -> None:
    other = _client(
        http, Principal("hr-2", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"GLOBEX"}))
    )
    assert await _file(other, code="ACME") is None


async def test_a_reporting_user_gets_no_name_birth_date_or_national_id(
    http: AsyncClient, acme: Any
) -> None:
    # given a reporting user whose grants reach every policy
    reporting = _client(
        http,
        Principal(
            "rep-1", frozenset({Role.REPORTING}), data_access_groups=frozenset({"EU"}),
            lines_of_business=frozenset({"HEALTH"}),
        ),
    )  # fmt: skip
    # when
    text = await _file(reporting, code="ACME")
    # then every member is there, by person number only
    names = [s for s in _loops(text) if s[0] == "NM1"]
    assert len(names) == 8 and {tuple(s[3:9]) for s in names} == {("REDACTED", *[""] * 4, "ZZ")}
    assert "DMG*" not in text and "Holder" not in text


async def test_a_reversed_period_is_named(http: AsyncClient, acme: Any) -> None:
    admin = _client(http, viewers("ACME")["admin"])
    found = await admin.raw(
        FILE, {"asOf": TODAY.isoformat(), "code": "ACME", "since": "2999-01-01"}
    )
    assert "`changesSince` must not be after `asOf`." in found["errors"][0]["message"]


@pytest.mark.parametrize("size", [1, 40])
async def test_the_statements_do_not_grow_with_the_policies(
    http: AsyncClient, statements: StatementCounter, session: AsyncSession, size: int
) -> None:
    # given `size` families in force in ACME
    book = await Book(session).setup()
    await families(book, await place(book), size, since=TODAY - timedelta(days=10))
    manager = _client(http, viewers("ACME")["group_manager"])
    statements.reset()
    # when a full file, then the changes (which read the audit trail once more)
    full = await _file(manager, code="ACME")
    changes = await _file(manager, code="ACME", since=(TODAY - timedelta(days=1)).isoformat())
    # then: the grants, the client, policies, members with persons, accounts, classes, products
    assert full.count("INS*") == 3 * size and changes.count("INS*") == 0
    assert statements.count == 7 + 8, statements.statements
