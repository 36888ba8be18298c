"""GraphQL over HTTP: application/graphql-response+json, and 400 for a request that never ran."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.graphql import answer

RESPONSE_JSON = "application/graphql-response+json"


def _headers(accept: str) -> dict[str, str]:
    token = token_for(Principal(subject="admin-1", roles=frozenset({Role.ADMIN})))
    return {"Authorization": f"Bearer {token}", "Accept": accept}


async def test_a_client_accepting_graphql_response_json_gets_it(http: AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ linesOfBusiness { code } }"}, headers=_headers(RESPONSE_JSON)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(RESPONSE_JSON)
    assert answer(response.json()) == {"data": {"linesOfBusiness": []}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ linesOfBusiness { code ", None),  # does not parse
        ("{ nothingHere }", None),  # does not validate
        ("query($n: Int!) { groupClients(first: $n) { totalCount } }", {"n": "x"}),  # coercion
    ],
)
async def test_a_request_that_never_ran_is_a_400_without_data(
    http: AsyncClient, query: str, variables: dict[str, str] | None
) -> None:
    body = {"query": query, "variables": variables}
    modern = await http.post("/graphql", json=body, headers=_headers(RESPONSE_JSON))
    legacy = await http.post("/graphql", json=body, headers=_headers("application/json"))
    assert modern.status_code == 400
    assert "data" not in modern.json() and modern.json()["errors"]
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
