"""dataAccessGroupUpdate: an admin renames a data access group on the version they read."""

from __future__ import annotations

import pytest

from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.reference.conftest import assert_forbidden, audit

UPDATE = """
mutation Update($input: DataAccessGroupUpdateInput!) {
  dataAccessGroupUpdate(input: $input) {
    dataAccessGroup { code name version }
    errors { field message code }
  }
}
"""

GROUPS = "{ dataAccessGroups { code name version } }"


def _input(code: str = "EU", name: str = "Europe", version: int = 1) -> dict[str, object]:
    return {"input": {"code": code, "name": name, "version": version}}


async def test_renames_and_moves_the_version_on(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(UPDATE, _input())
    # then
    assert ok(payload)["dataAccessGroup"] == {"code": "EU", "name": "Europe", "version": 2}
    assert {"code": "EU", "name": "Europe", "version": 2} in (await admin.query(GROUPS))[
        "dataAccessGroups"
    ]
    (event,) = await audit(admin, "dataAccessGroupUpdate")
    assert (event["before"]["version"], event["after"]["version"]) == (1, 2)


async def test_a_stale_version_is_refused(admin: GraphQLClient, book: Book) -> None:
    # given
    ok(await admin.mutate(UPDATE, _input(name="First")))
    # when
    payload = await admin.mutate(UPDATE, _input(name="Second", version=1))
    # then
    refused(payload, "STALE_VERSION", ["input", "version"])
    assert {"code": "EU", "name": "First", "version": 2} in (await admin.query(GROUPS))[
        "dataAccessGroups"
    ]


@pytest.mark.parametrize(
    ("code", "name", "error", "field"),
    [
        ("APAC", "Unknown", "NOT_FOUND", ["input", "code"]),
        ("EU", "\t", "REQUIRED", ["input", "name"]),
        ("EU", "N" * 201, "TOO_LONG", ["input", "name"]),
    ],
)
async def test_refuses_an_unknown_code_or_a_bad_name(
    admin: GraphQLClient, book: Book, code: str, name: str, error: str, field: list[str]
) -> None:
    # when
    payload = await admin.mutate(UPDATE, _input(code, name))
    # then
    refused(payload, error, field)
    assert await audit(admin, "dataAccessGroupUpdate") == []


async def test_every_role_but_admin_is_refused(
    admin: GraphQLClient, not_admin: GraphQLClient, book: Book
) -> None:
    # when / then
    await assert_forbidden(not_admin, UPDATE, _input())
    assert {"code": "EU", "name": "European clients", "version": 1} in (await admin.query(GROUPS))[
        "dataAccessGroups"
    ]
