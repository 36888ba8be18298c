"""marketEventRecord: the back office records what happened in the market; every drug and
product it names must be known."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from domain.campaigns.models import Drug
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient, ok

RECORD = """
mutation($input: MarketEventRecordInput!) { marketEventRecord(input: $input) {
  marketEvent { kind drugCodes productCodes effectiveDate description recordedBy }
  errors { field code message } } }
"""
EVENTS = "{ marketEvents { kind drugCodes } }"


@pytest.fixture
async def book(session) -> Book:  # type: ignore[no-untyped-def]
    book = await Book(session).setup()
    session.add_all([Drug(code="RX-100", name="Loratadine"), Drug(code="RX-200", name="Other")])
    await session.commit()
    return book


def _event(**more: Any) -> dict[str, Any]:
    return {
        "input": {
            "kind": "DRUG_OVER_THE_COUNTER",
            "drugCodes": ["RX-100"],
            "effectiveDate": date.today().isoformat(),
            "description": "Loratadine is sold over the counter from today.",
            **more,
        }
    }


async def test_the_back_office_records_an_event(http: AsyncClient, book: Book) -> None:
    clerk = GraphQLClient(http, token_for(Principal("bo-1", frozenset({Role.BACKOFFICE}))))
    event = ok(await clerk.mutate(RECORD, _event()))["marketEvent"]
    assert (event["kind"], event["drugCodes"], event["recordedBy"]) == (
        "DRUG_OVER_THE_COUNTER",
        ["RX-100"],
        "bo-1",
    )
    assert (await clerk.query(EVENTS))["marketEvents"] == [
        {"kind": "DRUG_OVER_THE_COUNTER", "drugCodes": ["RX-100"]}
    ]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"drugCodes": ["RX-100", "RX-999"]}, [(["input", "drugCodes", "1"], "NOT_FOUND")]),
        ({"drugCodes": []}, [(["input", "drugCodes"], "REQUIRED")]),
        ({"drugCodes": ["RX-100", "RX-100"]}, [(["input", "drugCodes"], "INVALID_FORMAT")]),
        (
            {"kind": "PRODUCT_CHANGE", "drugCodes": [], "productCodes": ["NOPE"]},
            [(["input", "productCodes", "0"], "NOT_FOUND")],
        ),
        ({"kind": "PRODUCT_CHANGE", "drugCodes": []}, [(["input", "productCodes"], "REQUIRED")]),
        (
            {"effectiveDate": (date.today() + timedelta(days=3000)).isoformat()},
            [(["input", "effectiveDate"], "INVALID_FORMAT")],
        ),
        ({"description": " "}, [(["input", "description"], "REQUIRED")]),
        ({"description": "x" * 2001}, [(["input", "description"], "TOO_LONG")]),
    ],
)
async def test_a_bad_event_is_refused_naming_the_field(
    admin: GraphQLClient, book: Book, change: dict[str, Any], errors: list[Any]
) -> None:
    payload = await admin.mutate(RECORD, _event(**change))
    assert [(e["field"], e["code"]) for e in payload["errors"]] == errors
    assert (await admin.query(EVENTS))["marketEvents"] == []


@pytest.mark.parametrize("role", [Role.GROUP_MANAGER, Role.PARTNER, Role.EMPLOYEE, Role.REPORTING])
async def test_other_roles_neither_record_nor_read_events(
    http: AsyncClient, book: Book, role: Role
) -> None:
    who = GraphQLClient(http, token_for(Principal("x-1", frozenset({role}))))
    for query, variables in ((RECORD, _event()), (EVENTS, None)):
        body = await who.raw(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
