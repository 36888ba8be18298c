"""A real graphql-transport-ws client follows a request on a real server: the updates come
from the server itself, and on PostgreSQL from a worker, another process (LISTEN/NOTIFY).
The follower signs in as a browser must, by the token in connection_init (connectionParams)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from api import tokens
from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.live import (
    BACKENDS,
    SECRET,
    Live,
    environment,
    groupcover,
    live_database,
    served,
)

FOLLOW = (
    "subscription($id: ID!) { workflowRequestUpdated(id: $id) "
    "{ state tasks { id state } timeline { action } } }"
)
SUBMIT = """
mutation($input: WorkflowRequestSubmitInput!) {
  workflowRequestSubmit(input: $input) { request { id state } errors { field message } }
}
"""
COMPLETE = """
mutation($id: ID!) {
  workflowTaskComplete(input: {id: $id, decision: APPROVE}) { request { state } errors { message } }
}
"""


def _follow(request_id: str) -> GraphQLRequest:
    return GraphQLRequest(FOLLOW, variable_values={"id": request_id})


def _token(principal: Principal) -> str:
    return tokens.issue(principal, secret=SECRET)


@pytest.fixture(params=BACKENDS)
async def live(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
async def server(live: Live) -> AsyncIterator[str]:
    """`groupcover serve` on the live database, as in production but for the mode."""
    async with served(environment(live)) as base:
        yield base


async def _post(base: str, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"http://{base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_a_subscriber_hears_each_step_of_a_request_to_its_end(
    live: Live, server: str
) -> None:
    # given an employee's termination, waiting for the manager
    employee = _token(Principal("emp-1", frozenset({Role.EMPLOYEE}), person=live.holder_number))
    manager = _token(Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"})))
    sent = await _post(
        server,
        employee,
        SUBMIT,
        {
            "input": {
                "type": "TERMINATION",
                "channel": "EMPLOYEE",
                "policyId": global_id("Policy", live.policy_id),
                "endDate": "2030-01-01",
            }
        },
    )
    request = sent["workflowRequestSubmit"]["request"]
    transport = WebsocketsTransport(
        url=f"ws://{server}/graphql",
        init_payload={"Authorization": f"Bearer {employee}"},  # no header, as in a browser
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    heard: list[str] = []
    first = asyncio.Event()

    async def follow() -> None:
        async with Client(transport=transport) as session:
            async for update in session.subscribe(_follow(request["id"])):
                heard.append(update["workflowRequestUpdated"]["state"])
                first.set()

    following = asyncio.create_task(follow())
    await asyncio.wait_for(first.wait(), timeout=10)
    # when the manager approves, and the insurer registers it
    task_id = await _task(live, server, manager)
    await _post(server, manager, COMPLETE, {"id": task_id})
    if live.url.startswith("postgresql"):
        worker = await groupcover(live, "worker", "--once")  # another process
        assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    await asyncio.wait_for(following, timeout=30)
    # then the subscriber heard the request from waiting to done, and the stream ended
    assert heard[0] == "PENDING_APPROVAL"
    assert "APPROVED" in heard
    assert heard[-1] == "COMPLETED"


async def _task(live: Live, base: str, manager: str) -> str:
    data = await _post(base, manager, "{ workflowTasks { edges { node { id } } } }", {})
    (edge,) = data["workflowTasks"]["edges"]
    return edge["node"]["id"]


async def test_a_subscription_to_a_request_you_may_not_see_is_refused(
    live: Live, server: str
) -> None:
    stranger = _token(Principal("hr-9", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"X"})))
    transport = WebsocketsTransport(
        url=f"ws://{server}/graphql",
        headers={"Authorization": f"Bearer {stranger}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as session:
        with pytest.raises(Exception, match="No such request"):
            async for _ in session.subscribe(_follow(global_id("WorkflowRequest", 1))):
                pass
