"""Every request refused before GraphQL runs it is answered in JSON, one shape for all:
`{"errors": [{"message": ..., "extensions": {"code": ...}}]}`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from authz.principal import Principal, Role
from tests.conftest import SETTINGS, token_for

SIGNED_IN = {"Authorization": f"Bearer {token_for(Principal('admin-1', frozenset({Role.ADMIN})))}"}
MUTATION = 'mutation { accessGrantRemove(input: {id: "x"}) { removedId } }'
QUERY = {"query": "{ linesOfBusiness { code } }"}
FOLLOW = 'subscription { workflowRequestUpdated(id: "V29ya2Zsb3dSZXF1ZXN0OjE=") { state } }'
BOTH = f"query Lines {{ linesOfBusiness {{ code }} }} subscription Follow {FOLLOW[13:]}"

REFUSED: list[Any] = [
    pytest.param(
        "GET", "/graphql", {"params": {"query": MUTATION}}, 400, "BAD_REQUEST", id="GET mutation"
    ),
    pytest.param("POST", "/graphql", {"json": [QUERY, QUERY]}, 400, "BAD_REQUEST", id="batch"),
    pytest.param(
        "POST",
        "/graphql",
        {"content": b"{", "headers": {"Content-Type": "application/json"}},
        400,
        "BAD_REQUEST",
        id="not JSON",
    ),
    pytest.param("POST", "/graphql", {"json": {}}, 400, "BAD_REQUEST", id="no query"),
    pytest.param(
        "POST",
        "/graphql",
        {"content": b"{}", "headers": {"Content-Type": "text/plain"}},
        400,
        "BAD_REQUEST",
        id="unsupported type",
    ),
    pytest.param(
        "POST", "/graphql", {"json": {"query": FOLLOW}}, 400, "BAD_REQUEST", id="POST subscription"
    ),
    pytest.param(
        "GET", "/graphql", {"params": {"query": FOLLOW}}, 400, "BAD_REQUEST", id="GET subscription"
    ),
    pytest.param(
        "POST",
        "/graphql",
        {"json": {"query": BOTH, "operationName": "Follow"}},
        400,
        "BAD_REQUEST",
        id="subscription by name",
    ),
    pytest.param("PUT", "/graphql", {"json": QUERY}, 405, "METHOD_NOT_ALLOWED", id="PUT"),
    pytest.param("GET", "/nowhere", {}, 404, "NOT_FOUND", id="no such path"),
    pytest.param("POST", "/healthz", {}, 405, "METHOD_NOT_ALLOWED", id="POST healthz"),
    pytest.param(
        "POST", "/graphql", {"content": b"x" * 2000}, 413, "REQUEST_TOO_LARGE", id="too large"
    ),
]


@pytest.fixture
async def http(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncClient]:
    """The app with a small body limit and a rate of two requests a minute."""
    app = create_app(replace(SETTINGS, max_body_bytes=1000, rate_per_minute=2), sessions=sessions)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


def assert_refusal(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert set(error) == {"message", "extensions"}
    assert error["message"]
    assert error["extensions"] == {"code": code}


@pytest.mark.parametrize(("method", "path", "request_", "status", "code"), REFUSED)
async def test_a_request_that_cannot_run_is_refused_in_json(
    http: AsyncClient, method: str, path: str, request_: dict[str, Any], status: int, code: str
) -> None:
    # when
    sent = dict(request_)  # the parameters are shared by both backends' runs
    headers = {**SIGNED_IN, **sent.pop("headers", {})}
    response = await http.request(method, path, headers=headers, **sent)
    # then
    assert_refusal(response, status, code)


async def test_an_unauthenticated_and_a_too_frequent_request_are_refused_alike(
    http: AsyncClient,
) -> None:
    # when
    anonymous = await http.post("/graphql", json=QUERY)
    answers = [await http.post("/graphql", json=QUERY, headers=SIGNED_IN) for _ in range(3)]
    # then
    assert_refusal(anonymous, 401, "UNAUTHENTICATED")
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert_refusal(answers[-1], 429, "RATE_LIMITED")


async def test_a_subscription_over_http_is_told_where_subscriptions_are_served(
    http: AsyncClient,
) -> None:
    # when a subscription is posted, and the query of the same document is asked for by name
    refused = await http.post("/graphql", json={"query": FOLLOW}, headers=SIGNED_IN)
    ran = await http.post(
        "/graphql", json={"query": BOTH, "operationName": "Lines"}, headers=SIGNED_IN
    )
    # then the subscription is sent to the WebSocket, and the query runs
    assert refused.json()["errors"][0]["message"] == (
        "Subscriptions are served over a WebSocket at /graphql (graphql-transport-ws), "
        "not over HTTP."
    )
    assert ran.status_code == 200 and "errors" not in ran.json(), ran.text
