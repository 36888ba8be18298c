"""Mutations at the same moment, on a real server with committing sessions: each answers with
its data or a clear UserError (CONFLICT, WRONG_STATUS), never a top-level error, and an open
subscription holds up no write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from api import tokens
from authz.principal import Principal, Role
from domain.database import create_engine, session_factory
from domain.policies.models import Person
from migrations.runner import upgrade
from schema.core.relay import global_id
from tests.conftest import _postgres_database
from tests.factories import Book, families, place
from tests.graphql import GraphQLClient
from tests.live import BACKENDS, SECRET, serving

CROWD = 10
"""How many mutations are sent at once."""

SUBMIT = """
mutation($input: WorkflowRequestSubmitInput!) {
  workflowRequestSubmit(input: $input) {
    request { id state tasks { id state } }
    errors { field code message }
  }
}
"""
COMPLETE = """
mutation($id: ID!) {
  workflowTaskComplete(input: {id: $id, decision: APPROVE}) {
    request { state }
    errors { field code message }
  }
}
"""
KEY_CREATE = """
mutation($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) { apiKey { id } key errors { code message } }
}
"""
KEY_REVOKE = """
mutation($id: ID!) { apiKeyRevoke(input: {id: $id}) { apiKey { revokedAt } errors { code } } }
"""
ACME = frozenset({"ACME"})
FOLLOW = "subscription($id: ID!) { workflowRequestUpdated(id: $id) { state tasks { state } } }"


@dataclass
class Crowd:
    """A served app on a committing database, with everyone who takes part."""

    base: str
    admin: GraphQLClient
    managers: list[GraphQLClient]
    employees: list[GraphQLClient]
    policy_ids: list[str]


@pytest.fixture(scope="module", params=BACKENDS)
async def crowd(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Crowd]:
    folder = tmp_path_factory.mktemp("concurrency")
    urls = (
        iter([f"sqlite+aiosqlite:///{folder / 'crowd.db'}"])
        if request.param == "sqlite"
        else _postgres_database()
    )
    for url in urls:
        await asyncio.to_thread(upgrade, url)
        people = await _families(url)
        async with serving(url) as base, httpx.AsyncClient(base_url=f"http://{base}") as http:

            def client(principal: Principal) -> GraphQLClient:
                return GraphQLClient(http, tokens.issue(principal, secret=SECRET))

            yield Crowd(
                base=base,
                admin=client(Principal("admin-1", frozenset({Role.ADMIN}))),
                managers=[
                    client(Principal(f"hr-{n}", frozenset({Role.GROUP_MANAGER}), groups=ACME))
                    for n in (1, 2)
                ],
                employees=[
                    client(Principal(f"emp-{n}", frozenset({Role.EMPLOYEE}), person=number))
                    for n, number in enumerate(people.values())
                ],
                policy_ids=[global_id("Policy", policy_id) for policy_id in people],
            )


async def _families(url: str) -> dict[int, str]:
    """ACME with CROWD families, committed: each policy's id and its holder's person number."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            book = await Book(session).setup()
            policies = await families(book, await place(book), CROWD, since=date(2024, 1, 1))
            holders = {p.id: await session.get_one(Person, p.subscriber_id) for p in policies}
            await session.commit()
            return {policy_id: h.person_number for policy_id, h in holders.items()}  # type: ignore[misc]
    finally:
        await engine.dispose()


def _payloads(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each response's one payload, failing on any top-level error."""
    for body in bodies:
        assert "errors" not in body, body["errors"]
    return [next(iter(body["data"].values())) for body in bodies]


def _certificate(policy_id: str, **more: Any) -> dict[str, Any]:
    return {"input": {"type": "CERTIFICATE", "channel": "EMPLOYEE", "policyId": policy_id, **more}}


async def test_employees_asking_for_certificates_at_once_all_get_them(crowd: Crowd) -> None:
    # when every employee asks for a certificate at the same moment
    asked = list(zip(crowd.employees, crowd.policy_ids, strict=True))
    first = _payloads(await asyncio.gather(*(e.raw(SUBMIT, _certificate(p)) for e, p in asked)))
    # then each got their request, or was told to retry (on PostgreSQL, the very first
    # requests race to deploy the process they run on), and then got it
    retry = [asked[n] for n, payload in enumerate(first) if payload["errors"]]
    assert all(_codes(p) == ["CONFLICT"] for p in first if p["errors"]), first
    again = _payloads(await asyncio.gather(*(e.raw(SUBMIT, _certificate(p)) for e, p in retry)))
    made = [p["request"]["id"] for p in first + again if not p["errors"]]
    assert len(set(made)) == len(made) == CROWD


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def test_one_idempotency_key_sent_at_once_makes_one_request(crowd: Crowd) -> None:
    # given one employee's app that sends the same request many times at once
    employee, policy_id = crowd.employees[1], crowd.policy_ids[1]
    same = _certificate(policy_id, idempotencyKey="tap-tap-tap")
    # when
    payloads = _payloads(await asyncio.gather(*(employee.raw(SUBMIT, same) for _ in range(CROWD))))
    # then each answer is that one request, or a conflict to retry
    made = {p["request"]["id"] for p in payloads if not p["errors"]}
    assert len(made) == 1
    assert all(_codes(p) == ["CONFLICT"] for p in payloads if p["errors"]), payloads


async def _waiting_for_approval(crowd: Crowd, employee: int) -> dict[str, Any]:
    termination = {
        "input": {
            "type": "TERMINATION",
            "channel": "EMPLOYEE",
            "policyId": crowd.policy_ids[employee],
            "endDate": "2030-01-01",
        }
    }
    sent = await crowd.employees[employee].mutate(SUBMIT, termination)
    assert sent["errors"] == [], sent["errors"]
    assert sent["request"]["state"] == "PENDING_APPROVAL"
    return sent["request"]  # type: ignore[no-any-return]


async def test_two_managers_approving_one_task_at_once_one_wins(crowd: Crowd) -> None:
    # given a termination waiting for approval
    request = await _waiting_for_approval(crowd, employee=2)
    (task,) = request["tasks"]
    # when both managers approve it at the same moment
    payloads = _payloads(
        await asyncio.gather(
            *(manager.raw(COMPLETE, {"id": task["id"]}) for manager in crowd.managers)
        )
    )
    # then one approved it and the other was told it is decided already
    assert sorted(_codes(p) for p in payloads) == [[], ["WRONG_STATUS"]], payloads


async def test_an_open_socket_holds_up_no_write(crowd: Crowd) -> None:
    # given a partner's key, and the partner's socket following a request with it and
    # refused another one
    created = await crowd.admin.mutate(
        KEY_CREATE,
        {
            "input": {
                "name": "broker-portal",
                "groupClientCodes": ["ACME"],
                "expiresAt": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            }
        },
    )
    assert created["errors"] == [], created["errors"]
    request = await _waiting_for_approval(crowd, employee=3)
    ready = asyncio.Event()
    socket = asyncio.create_task(_partner_socket(crowd.base, created["key"], request["id"], ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=10)
        # when, while the socket is open, the admin revokes the key and employees send requests
        revoked = await asyncio.wait_for(
            crowd.admin.mutate(KEY_REVOKE, {"id": created["apiKey"]["id"]}), timeout=4
        )
        sent = _payloads(
            await asyncio.wait_for(
                asyncio.gather(
                    *(
                        employee.raw(SUBMIT, _certificate(policy_id))
                        for employee, policy_id in zip(
                            crowd.employees[4:], crowd.policy_ids[4:], strict=True
                        )
                    )
                ),
                timeout=4,
            )
        )
    finally:
        socket.cancel()
    # then each write was done at once
    assert revoked["errors"] == [] and revoked["apiKey"]["revokedAt"]
    assert [p["errors"] for p in sent] == [[]] * (CROWD - 4)


async def _partner_socket(base: str, key: str, request_id: str, ready: asyncio.Event) -> None:
    """Follow the request, be refused an unknown one, and keep the socket open."""
    transport = WebsocketsTransport(
        url=f"ws://{base}/graphql",
        headers={"Authorization": f"Bearer {key}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    heard = asyncio.Event()
    async with Client(transport=transport) as session:

        async def follow(request_id: str) -> None:
            async for _ in session.subscribe(_following(request_id)):
                heard.set()

        following = asyncio.create_task(follow(request_id))
        await asyncio.wait_for(heard.wait(), timeout=10)
        with pytest.raises(Exception, match="No such request"):
            await follow(global_id("WorkflowRequest", 10**6))
        ready.set()
        await following


def _following(request_id: str) -> GraphQLRequest:
    return GraphQLRequest(FOLLOW, variable_values={"id": request_id})
