"""Subscriptions cost the database one connection per server process, not one each (issue
14): many sockets with many subscriptions share one LISTEN, every subscriber still hears its
request change, and a principal's subscriptions are capped. Against `groupcover serve`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from api import tokens
from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.api import ws
from tests.live import BACKENDS, SECRET, Live, live_database, serving

FOLLOW = "subscription($id: ID!) { workflowRequestUpdated(id: $id) { state } }"
SUBMIT = """
mutation($input: WorkflowRequestSubmitInput!) {
  workflowRequestSubmit(input: $input) { request { id state } errors { field message } }
}
"""
INBOX = "{ workflowTasks { edges { node { id } } } }"
APPROVE = """
mutation($id: ID!) {
  workflowTaskComplete(input: {id: $id, decision: APPROVE}) { errors { message } }
}
"""
SOCKETS, EACH = 4, 10
"""Subscriptions held open at once: SOCKETS sockets with EACH subscriptions on each."""


@pytest.fixture(params=BACKENDS)
async def live(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database(request.param, tmp_path) as database:
        yield database


def _token(principal: Principal) -> str:
    return tokens.issue(principal, secret=SECRET)


def _people(live: Live) -> tuple[str, str]:
    employee = Principal("emp-1", frozenset({Role.EMPLOYEE}), person=live.holder_number)
    manager = Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"}))
    return _token(employee), _token(manager)


async def _post(base: str, token: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"http://{base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _pending(live: Live, base: str, employee: str) -> str:
    """An employee's termination, waiting for the manager."""
    details = {
        "type": "TERMINATION",
        "channel": "EMPLOYEE",
        "policyId": global_id("Policy", live.policy_id),
        "endDate": "2030-01-01",
    }
    sent = await _post(base, employee, SUBMIT, input=details)
    return str(sent["workflowRequestSubmit"]["request"]["id"])


async def _connections(live: Live) -> int:
    """The sessions open on the test's database, of any process but this query's."""
    conninfo = make_url(live.url).set(drivername="postgresql").render_as_string(False)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (count,) = await cursor.fetchone()  # type: ignore[misc]
    return int(count)


async def test_many_subscribers_share_one_listener_and_all_hear_the_change(live: Live) -> None:
    async with serving(live) as base:
        employee, manager = _people(live)
        request_id = await _pending(live, base, employee)
        postgres = live.url.startswith("postgresql")
        # given one subscription to the request on each of 4 sockets, then 9 more on each
        sockets = [await ws.acked(base, employee) for _ in range(SOCKETS)]
        counted = []
        for ids in (range(1), range(1, EACH)):
            for websocket in sockets:
                for n in ids:
                    await ws.start(websocket, str(n), FOLLOW, id=request_id)
            for websocket in sockets:
                for _ in ids:
                    assert (await ws.received(websocket, 30))["type"] == "next"
            counted.append(await _connections(live) if postgres else 0)
        # when the manager approves
        (edge,) = (await _post(base, manager, INBOX))["workflowTasks"]["edges"]
        await _post(base, manager, APPROVE, id=edge["node"]["id"])
        # then every subscription hears it, through the one listener of the server
        for websocket in sockets:
            heard = {(await ws.received(websocket, 30))["id"] for _ in range(EACH)}
            assert heard == {str(n) for n in range(EACH)}
        # and 36 more subscriptions took no connection more (each used to take one)
        few, many = counted
        assert many <= few, counted
        for websocket in sockets:
            await websocket.close()


async def test_a_principal_s_subscriptions_over_the_cap_are_refused(live: Live) -> None:
    async with serving(live, GROUPCOVER_MAX_SUBSCRIPTIONS_PER_PRINCIPAL="3") as base:
        employee, _manager = _people(live)
        request_id = await _pending(live, base, employee)
        one, two = await ws.acked(base, employee), await ws.acked(base, employee)
        # given three open subscriptions over two sockets
        for websocket, id_ in ((one, "a"), (one, "b"), (two, "c")):
            assert (await ws.send(websocket, id_, FOLLOW, id=request_id))["type"] == "next"
        # when a fourth is asked for; then, after one is completed, again
        refused = await ws.send(two, "d", FOLLOW, id=request_id)
        await one.send('{"id": "a", "type": "complete"}')
        await asyncio.sleep(0.2)
        admitted = await ws.send(two, "e", FOLLOW, id=request_id)
        # then the fourth was refused saying why, and a subscription freed is one to take
        assert refused["type"] == "error"
        (error,) = refused["payload"]
        assert error["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        assert error["message"] == "At most 3 open subscriptions per user; complete one first."
        assert admitted["type"] == "next"
        await one.close()
        await two.close()


async def _terminate_listener(live: Live) -> int:
    """End the server's LISTEN session from the database's side, as a failover would."""
    conninfo = make_url(live.url).set(drivername="postgresql").render_as_string(False)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN %'"
        )
        return len(await cursor.fetchall())


async def test_subscribers_outlive_a_lost_listener_connection(live: Live) -> None:
    if not live.url.startswith("postgresql"):
        pytest.skip("SQLite publishes in-process; there is no connection to lose")
    async with serving(live) as base:
        employee, manager = _people(live)
        request_id = await _pending(live, base, employee)
        websocket = await ws.acked(base, employee)
        assert (await ws.send(websocket, "1", FOLLOW, id=request_id))["type"] == "next"
        # when the database ends the listener's session, and the manager approves after
        assert await _terminate_listener(live) == 1
        await asyncio.sleep(1.0)  # the first reconnection comes after 0.1 s
        (edge,) = (await _post(base, manager, INBOX))["workflowTasks"]["edges"]
        await _post(base, manager, APPROVE, id=edge["node"]["id"])
        # then the subscriber still hears the request change
        states = []
        while "APPROVED" not in states:
            states.append(
                (await ws.received(websocket, 10))["payload"]["data"]["workflowRequestUpdated"][
                    "state"
                ]
            )
        await websocket.close()
