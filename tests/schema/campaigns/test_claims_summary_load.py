"""claimsSummaryLoad: the claims system's pharmacy summaries, row by row, within reach;
readable only with the claims grant."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from domain.policies.models import Person, Policy
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, families, place
from tests.graphql import GraphQLClient

LOAD = """
mutation Load($input: ClaimsSummaryLoadInput!) {
  claimsSummaryLoad(input: $input) {
    result { received loaded refused { line errors { field code message } } }
    errors { field code message }
  }
}
"""
READ = """
query($id: ID!) { claimsSummaries(personId: $id) { drug { code name } lastFillDate fills12Months } }
"""
HEADER = "person_number,drug_code,drug_name,last_fill_date,fills_12_months\n"
BACKOFFICE = Principal(
    "bo-1",
    frozenset({Role.BACKOFFICE}),
    data_access_groups=frozenset({"EU"}),
    lines_of_business=frozenset({"HEALTH"}),
)


@pytest.fixture
async def book(session) -> Book:  # type: ignore[no-untyped-def]
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    return await place(book)


async def _members(book: Book, where: Place) -> list[Person]:
    policies = await families(book, where, 2, since=date(2025, 1, 1))
    persons = []
    for policy in policies:
        assert isinstance(policy, Policy)
        persons.append(await book.session.get(Person, policy.subscriber_id))
    return persons  # type: ignore[return-value]


async def _load(http: AsyncClient, principal: Principal, text: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        headers={"Authorization": f"Bearer {token_for(principal)}"},
        data={
            "operations": json.dumps({"query": LOAD, "variables": {"input": {"file": None}}}),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": ("claims.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_good_rows_load_and_each_bad_row_is_named(
    http: AsyncClient, book: Book, acme: Place
) -> None:
    # given two members, and a file with good rows and bad ones
    ann, bob = await _members(book, acme)
    text = HEADER + "\n".join(
        [
            f"{ann.person_number},RX-100,Loratadine 10mg,2026-10-01,6",
            f"{bob.person_number},RX-100,Loratadine 10mg,2026-09-15,2",
            f"{bob.person_number},RX-200,=cmd|' /C calc'!A0,2026-09-15,1",
            "PN-NOBODY,RX-100,Loratadine 10mg,2026-09-15,2",
            f"{ann.person_number},RX-300,Other,3026-01-01,2",
            f"{ann.person_number},RX-300,Other,2026-01-01,many",
        ]
    )
    # when
    body = await _load(http, BACKOFFICE, text)
    # then
    result = body["data"]["claimsSummaryLoad"]["result"]
    assert (result["received"], result["loaded"]) == (6, 3)
    assert [
        (r["line"], [(e["field"], e["code"]) for e in r["errors"]]) for r in result["refused"]
    ] == [
        (5, [(["input", "personNumber"], "NOT_FOUND")]),
        (6, [(["input", "lastFillDate"], "INVALID_FORMAT")]),
        (7, [(["input", "fills12Months"], "INVALID_FORMAT")]),
    ]
    admin = GraphQLClient(http, token_for(Principal("admin-1", frozenset({Role.ADMIN}))))
    read = await admin.query(READ, {"id": global_id("Person", bob.id)})  # type: ignore[arg-type]
    assert read["claimsSummaries"] == [
        {
            "drug": {"code": "RX-100", "name": "Loratadine 10mg"},
            "lastFillDate": "2026-09-15",
            "fills12Months": 2,
        },
        {
            "drug": {"code": "RX-200", "name": "=cmd|' /C calc'!A0"},
            "lastFillDate": "2026-09-15",
            "fills12Months": 1,
        },
    ]


async def test_a_second_file_replaces_a_members_row_for_the_same_drug(
    http: AsyncClient, book: Book, acme: Place
) -> None:
    ann, _ = await _members(book, acme)
    await _load(http, BACKOFFICE, HEADER + f"{ann.person_number},RX-1,A,2026-01-01,1\n")
    await _load(http, BACKOFFICE, HEADER + f"{ann.person_number},RX-1,A,2026-06-01,4\n")
    admin = GraphQLClient(http, token_for(Principal("admin-1", frozenset({Role.ADMIN}))))
    read = await admin.query(READ, {"id": global_id("Person", ann.id)})  # type: ignore[arg-type]
    assert [(c["lastFillDate"], c["fills12Months"]) for c in read["claimsSummaries"]] == [
        ("2026-06-01", 4)
    ]


async def test_a_member_out_of_reach_reads_as_unknown(
    http: AsyncClient, book: Book, acme: Place
) -> None:
    # given a US-only clerk, and ACME's members in EU
    ann, _ = await _members(book, acme)
    clerk = Principal(
        "bo-us", frozenset({Role.BACKOFFICE}),
        data_access_groups=frozenset({"US"}), lines_of_business=frozenset({"HEALTH"}),
    )  # fmt: skip
    # when
    body = await _load(http, clerk, HEADER + f"{ann.person_number},RX-1,A,2026-01-01,1\n")
    # then the row is refused exactly as for a number nobody has
    (row,) = body["data"]["claimsSummaryLoad"]["result"]["refused"]
    assert [(e["code"], e["message"]) for e in row["errors"]] == [("NOT_FOUND", "No such member.")]
    read = await GraphQLClient(http, token_for(clerk)).query(
        READ, {"id": global_id("Person", ann.id)}
    )  # type: ignore[arg-type]
    assert read["claimsSummaries"] == []


@pytest.mark.parametrize("role", [Role.GROUP_MANAGER, Role.PARTNER, Role.EMPLOYEE, Role.REPORTING])
async def test_claims_are_never_read_or_loaded_by_other_roles(
    http: AsyncClient, book: Book, acme: Place, role: Role
) -> None:
    ann, _ = await _members(book, acme)
    await _load(http, BACKOFFICE, HEADER + f"{ann.person_number},RX-1,A,2026-01-01,1\n")
    who = Principal("x-1", frozenset({role}), groups=frozenset({"ACME"}), person=ann.person_number)
    body = await GraphQLClient(http, token_for(who)).raw(READ, {"id": global_id("Person", ann.id)})  # type: ignore[arg-type]
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    loaded = await _load(http, who, HEADER + f"{ann.person_number},RX-2,B,2026-01-01,1\n")
    assert loaded["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ("person_number,drug_code\nPN,RX\n", ["input", "file", "drugName"], "REQUIRED"),
        (HEADER.replace("drug_name", "drugz"), ["input", "file", "drugz"], "INVALID_FORMAT"),
        ("\x00\x01binary", ["input", "file"], "INVALID_FORMAT"),
        (HEADER, ["input", "file"], "REQUIRED"),
        (HEADER + 'PN,"RX,unterminated\n', ["input", "file"], "INVALID_FORMAT"),
    ],
)
async def test_a_file_that_cannot_be_read_is_refused_whole(
    http: AsyncClient, book: Book, data: str, field: list[str], code: str
) -> None:
    body = await _load(http, BACKOFFICE, data)
    errors = body["data"]["claimsSummaryLoad"]["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == (field, code), errors
    assert body["data"]["claimsSummaryLoad"]["result"] is None
