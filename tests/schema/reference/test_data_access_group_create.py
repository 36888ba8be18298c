"""dataAccessGroupCreate: an admin adds a data access group with a new, well-formed code."""

from __future__ import annotations

import pytest

from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.reference.conftest import assert_forbidden, audit

CREATE = """
mutation Create($input: DataAccessGroupCreateInput!) {
  dataAccessGroupCreate(input: $input) {
    dataAccessGroup { code name version }
    errors { field message code }
  }
}
"""

GROUPS = "{ dataAccessGroups { code name } }"


def _input(code: str = "APAC", name: str = "Asia-Pacific clients") -> dict[str, object]:
    return {"input": {"code": code, "name": name}}


async def test_adds_a_data_access_group_and_audits_it(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(CREATE, _input())
    # then
    assert ok(payload)["dataAccessGroup"] == {
        "code": "APAC",
        "name": "Asia-Pacific clients",
        "version": 1,
    }
    assert [g["code"] for g in (await admin.query(GROUPS))["dataAccessGroups"]] == [
        "APAC",
        "EU",
        "US",
    ]
    (event,) = await audit(admin, "dataAccessGroupCreate")
    assert (event["entityType"], event["after"]["code"]) == ("DataAccessGroup", "APAC")


@pytest.mark.parametrize(
    ("code", "name", "error", "field"),
    [
        ("EU", "Again", "DUPLICATE", ["input", "code"]),
        (" ", "Blank code", "REQUIRED", ["input", "code"]),
        ("-APAC", "Bad start", "INVALID_FORMAT", ["input", "code"]),
        ("A" * 31, "Long", "TOO_LONG", ["input", "code"]),
        ("APAC", "", "REQUIRED", ["input", "name"]),
        ("APAC", "N" * 201, "TOO_LONG", ["input", "name"]),
    ],
)
async def test_refuses_a_bad_code_or_name_and_adds_nothing(
    admin: GraphQLClient, book: Book, code: str, name: str, error: str, field: list[str]
) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(code, name))
    # then
    refused(payload, error, field)
    assert len((await admin.query(GROUPS))["dataAccessGroups"]) == 2


async def test_two_problems_are_reported_together(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(CREATE, _input("EU", ""))
    # then
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("DUPLICATE", ["input", "code"]),
        ("REQUIRED", ["input", "name"]),
    ]


async def test_every_role_but_admin_is_refused(
    admin: GraphQLClient, not_admin: GraphQLClient, book: Book
) -> None:
    # when / then
    await assert_forbidden(not_admin, CREATE, _input())
    assert len((await admin.query(GROUPS))["dataAccessGroups"]) == 2
