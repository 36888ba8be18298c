"""lineOfBusinessCreate: an admin adds a line of business with a new, well-formed code."""

from __future__ import annotations

import pytest

from tests.factories import Book
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.reference.conftest import assert_forbidden, audit

CREATE = """
mutation Create($input: LineOfBusinessCreateInput!) {
  lineOfBusinessCreate(input: $input) {
    lineOfBusiness { code name version }
    errors { field message code }
  }
}
"""

LINES = "{ linesOfBusiness { code name } }"


def _input(code: str = "DENTAL", name: str = "Group dental") -> dict[str, object]:
    return {"input": {"code": code, "name": name}}


async def test_adds_a_line_of_business_and_audits_it(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(" DENTAL ", "  Group   dental "))
    # then
    assert ok(payload)["lineOfBusiness"] == {"code": "DENTAL", "name": "Group dental", "version": 1}
    assert {"code": "DENTAL", "name": "Group dental"} in (await admin.query(LINES))[
        "linesOfBusiness"
    ]
    (event,) = await audit(admin, "lineOfBusinessCreate")
    assert event["actor"] == "admin-1"
    assert event["entityType"] == "LineOfBusiness"
    assert event["before"] is None
    assert event["after"]["code"] == "DENTAL"


@pytest.mark.parametrize(
    ("code", "name", "error", "field"),
    [
        ("HEALTH", "Again", "DUPLICATE", ["input", "code"]),
        ("", "Nameless code", "REQUIRED", ["input", "code"]),
        ("no spaces", "Bad code", "INVALID_FORMAT", ["input", "code"]),
        ("X" * 31, "Long code", "TOO_LONG", ["input", "code"]),
        ("DENTAL", "   ", "REQUIRED", ["input", "name"]),
        ("DENTAL", "N" * 201, "TOO_LONG", ["input", "name"]),
    ],
)
async def test_refuses_a_bad_code_or_name_and_adds_nothing(
    admin: GraphQLClient, book: Book, code: str, name: str, error: str, field: list[str]
) -> None:
    # when
    payload = await admin.mutate(CREATE, _input(code, name))
    # then
    refused(payload, error, field)
    assert payload["lineOfBusiness"] is None
    assert [line["code"] for line in (await admin.query(LINES))["linesOfBusiness"]] == [
        "HEALTH",
        "LIFE",
    ]
    assert await audit(admin, "lineOfBusinessCreate") == []


async def test_every_role_but_admin_is_refused(
    admin: GraphQLClient, not_admin: GraphQLClient, book: Book
) -> None:
    # when / then
    await assert_forbidden(not_admin, CREATE, _input())
    assert len((await admin.query(LINES))["linesOfBusiness"]) == 2
