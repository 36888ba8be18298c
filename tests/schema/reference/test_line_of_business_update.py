"""lineOfBusinessUpdate: an admin renames a line of business on the version they read."""

from __future__ import annotations

import pytest

from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.reference.conftest import assert_forbidden, audit

UPDATE = """
mutation Update($input: LineOfBusinessUpdateInput!) {
  lineOfBusinessUpdate(input: $input) {
    lineOfBusiness { code name version }
    errors { field message code }
  }
}
"""

LINES = "{ linesOfBusiness { code name version } }"


def _input(code: str = "HEALTH", name: str = "Group health care", version: int = 1) -> dict:  # type: ignore[type-arg]
    return {"input": {"code": code, "name": name, "version": version}}


async def test_renames_even_a_line_in_use_and_moves_the_version_on(
    admin: GraphQLClient, book: Book
) -> None:
    # given a group client of the line (so backoffice grants name it by code)
    await book.client(code="ACME")
    await book.session.commit()
    # when
    payload = await admin.mutate(UPDATE, _input())
    # then
    saved = ok(payload)["lineOfBusiness"]
    assert saved == {"code": "HEALTH", "name": "Group health care", "version": 2}
    assert saved in (await admin.query(LINES))["linesOfBusiness"]
    (event,) = await audit(admin, "lineOfBusinessUpdate")
    assert (event["before"]["name"], event["after"]["name"]) == (
        "Group health",
        "Group health care",
    )


async def test_a_stale_version_is_refused_and_nothing_changes(
    admin: GraphQLClient, book: Book
) -> None:
    # given someone renamed it meanwhile
    ok(await admin.mutate(UPDATE, _input(name="First")))
    # when
    payload = await admin.mutate(UPDATE, _input(name="Second", version=1))
    # then
    refused(payload, "STALE_VERSION", ["input", "version"])
    lines = (await admin.query(LINES))["linesOfBusiness"]
    assert {"code": "HEALTH", "name": "First", "version": 2} in lines


@pytest.mark.parametrize(
    ("code", "name", "error", "field"),
    [
        ("DENTAL", "Unknown", "NOT_FOUND", ["input", "code"]),
        ("no such code", "Unknown", "NOT_FOUND", ["input", "code"]),
        ("HEALTH", " ", "REQUIRED", ["input", "name"]),
        ("HEALTH", "N" * 201, "TOO_LONG", ["input", "name"]),
    ],
)
async def test_refuses_an_unknown_code_or_a_bad_name(
    admin: GraphQLClient, book: Book, code: str, name: str, error: str, field: list[str]
) -> None:
    # when
    payload = await admin.mutate(UPDATE, _input(code, name))
    # then
    refused(payload, error, field)
    assert {"code": "HEALTH", "name": "Group health", "version": 1} in (await admin.query(LINES))[
        "linesOfBusiness"
    ]


async def test_every_role_but_admin_is_refused(
    admin: GraphQLClient, not_admin: GraphQLClient, book: Book
) -> None:
    # when / then
    await assert_forbidden(not_admin, UPDATE, _input())
    assert await audit(admin, "lineOfBusinessUpdate") == []


async def test_a_backoffice_grant_by_code_still_reaches_after_a_rename(
    admin: GraphQLClient,
    http,
    book: Book,  # type: ignore[no-untyped-def]
) -> None:
    # given a client of HEALTH/EU, seen by an EU/HEALTH back office
    await book.client(code="ACME")
    await book.session.commit()
    backoffice = GraphQLClient(
        http,
        token_for(
            Principal(
                "bo-1",
                frozenset({Role.BACKOFFICE}),
                data_access_groups=frozenset({"EU"}),
                lines_of_business=frozenset({"HEALTH"}),
            )
        ),
    )
    # when the line is renamed
    ok(await admin.mutate(UPDATE, _input(name="Health, renamed")))
    # then the grant, which names the code, still reaches the client
    found = await backoffice.query('{ groupClient(code: "ACME") { code lineOfBusiness { name } } }')
    assert found["groupClient"] == {"code": "ACME", "lineOfBusiness": {"name": "Health, renamed"}}
