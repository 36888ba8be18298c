"""A group account's catalogue through the API: adding, ending and listing items."""

from __future__ import annotations

from typing import Any

import pytest

from schema.core.relay import global_id
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient
from tests.schema.policies.enrol import days

ITEM = """
  id kind code name price employerShare employeeShare currency startDate endDate version
  fromTier toTier fromProduct { code } toProduct { code } groupAccount { code }
"""

ADD = f"""
mutation($input: CatalogueItemAddInput!) {{
  catalogueItemAdd(input: $input) {{ catalogueItem {{ {ITEM} }} errors {{ field code message }} }}
}}
"""

END = f"""
mutation($input: CatalogueItemEndInput!) {{
  catalogueItemEnd(input: $input) {{ catalogueItem {{ {ITEM} }} errors {{ field code message }} }}
}}
"""

ITEMS = f"""
query($filter: CatalogueItemFilter) {{
  catalogueItems(filter: $filter) {{ totalCount edges {{ node {{ {ITEM} }} }} }}
}}
"""


@pytest.fixture
async def book(session: Any) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    return await place(book)


def account_of(where: Place) -> str:
    return global_id("GroupAccount", where.account.id)  # type: ignore[arg-type]


def service(where: Place, **changes: Any) -> dict[str, Any]:
    """The input of a service for `where`'s account: GYM, 40.00 EUR, the employer pays 10.00."""
    return {
        "groupAccountId": account_of(where),
        "kind": "SERVICE",
        "code": "GYM",
        "name": "A year at the gym",
        "price": "40.00",
        "employerShare": "10.00",
        "currency": "EUR",
        "startDate": days(-10),
        **changes,
    }


def upgrade(where: Place, **changes: Any) -> dict[str, Any]:
    """The input of an upgrade from MED-PPO to DEN-BASIC (which the factories' accounts offer),
    25.00 EUR a month."""
    return {
        **service(where, kind="UPGRADE", code="UP-DENTAL", name="Add dental", price="25.00"),
        "fromProductCode": "MED-PPO",
        "toProductCode": "DEN-BASIC",
        **changes,
    }


async def add(client: GraphQLClient, values: dict[str, Any]) -> dict[str, Any]:
    return await client.mutate(ADD, {"input": values})


async def listed(client: GraphQLClient, **filter: Any) -> list[dict[str, Any]]:
    data = await client.query(ITEMS, {"filter": filter})
    return [edge["node"] for edge in data["catalogueItems"]["edges"]]
