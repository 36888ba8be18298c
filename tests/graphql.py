"""A small GraphQL-over-HTTP client for tests, failing loudly on any top-level error."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient


class GraphQLClient:
    """Sends queries as one principal."""

    def __init__(self, http: AsyncClient, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the whole response body, errors and all."""
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return `data`, failing the test on any top-level error."""
        body = await self.raw(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def mutate(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the single mutation's payload, failing on any top-level error."""
        data = await self.query(query, variables)
        (payload,) = data.values()
        return payload


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    """Assert the payload carries no user errors and return it."""
    assert payload["errors"] == [], payload["errors"]
    return payload


def refused(payload: dict[str, Any], code: str, field: list[str] | None) -> dict[str, Any]:
    """Assert the payload was refused with exactly this code on this field."""
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], payload[
        "errors"
    ]
    return payload


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """The body without `extensions` (development reports each query's cost there)."""
    return {key: value for key, value in body.items() if key != "extensions"}
