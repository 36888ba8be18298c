"""Reference data admin: the factories' book, and a client for every role but admin."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient

NOT_ADMINS = {
    "backoffice": Principal(
        "bo-1",
        frozenset({Role.BACKOFFICE}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    ),
    "group_manager": Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"})),
    "partner": Principal("pt-1", frozenset({Role.PARTNER}), groups=frozenset({"ACME"})),
    "employee": Principal("em-1", frozenset({Role.EMPLOYEE}), person="P-1"),
    "reporting": Principal(
        "rp-1",
        frozenset({Role.REPORTING}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    ),
}

AUDIT = """
query Audit($action: String!) {
  auditEvents(filter: {action: $action}) {
    totalCount edges { node { actor entityType before after } }
  }
}
"""


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


@pytest.fixture(params=sorted(NOT_ADMINS))
def not_admin(request: pytest.FixtureRequest, http: AsyncClient) -> GraphQLClient:
    """A client of each role that is not admin."""
    return GraphQLClient(http, token_for(NOT_ADMINS[request.param]))


async def assert_forbidden(client: GraphQLClient, query: str, variables: dict[str, Any]) -> None:
    """The mutation is refused as FORBIDDEN, at the top level, and answers null."""
    body = await client.raw(query, variables)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    assert body["data"] is None or all(v is None for v in body["data"].values())


async def audit(admin: GraphQLClient, action: str) -> list[dict[str, Any]]:
    """The audit events of one action, newest first."""
    found = await admin.query(AUDIT, {"action": action})
    return [edge["node"] for edge in found["auditEvents"]["edges"]]
