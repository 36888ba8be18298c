"""webhookEndpointCreate and the rest: an admin's or a partner's own, the secret shown once,
bad and other tenants' input refused by field, lists at a fixed number of statements."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Role
from domain.webhooks import fanout
from schema.core.relay import global_id
from tests.conftest import StatementCounter
from tests.factories import Book, place
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.events.conftest import signed_in

CREATE = """
mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) {
    webhookEndpoint { id url eventTypes groupClientCodes owner enabled }
    secret
    errors { field code message }
  }
}
"""
UPDATE = """
mutation($input: WebhookEndpointUpdateInput!) {
  webhookEndpointUpdate(input: $input) {
    webhookEndpoint { id url enabled disabledReason } errors { field code message }
  }
}
"""
DISABLE = """
mutation($input: WebhookEndpointDisableInput!) {
  webhookEndpointDisable(input: $input) {
    webhookEndpoint { id enabled disabledReason } errors { field code message }
  }
}
"""
RETRY = """
mutation($input: WebhookDeliveryRetryInput!) {
  webhookDeliveryRetry(input: $input) {
    webhookDelivery { id status } errors { field code message }
  }
}
"""
ENDPOINTS = """
query { webhookEndpoints(first: 50) { totalCount edges { node { id url owner enabled } } } }
"""
DELIVERIES = """
query($id: ID!, $filter: WebhookDeliveryFilter) {
  webhookDeliveries(endpointId: $id, first: 50, filter: $filter) {
    totalCount
    edges { node { id messageId eventType status attempts nextAttemptAt lastStatusCode } }
  }
}
"""
RENAME = """
mutation($input: GroupClientUpdateInput!) {
  groupClientUpdate(input: $input) { groupClient { id version } errors { code } }
}
"""
URL = "http://127.0.0.1:9/hooks"


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


def _partner(http: AsyncClient, code: str = "ACME") -> GraphQLClient:
    return signed_in(http, Role.PARTNER, groups=frozenset({code}))


async def _create(client: GraphQLClient, **fields: Any) -> dict[str, Any]:
    return await client.mutate(CREATE, {"input": {"url": URL, **fields}})


async def test_an_admin_s_endpoint_shows_its_secret_once(admin: GraphQLClient, book: Book) -> None:
    # when
    payload = ok(await _create(admin, eventTypes=["policy.enrolled"]))
    # then
    assert payload["secret"].startswith("whsec_")
    assert payload["webhookEndpoint"] | {"id": None} == {
        "id": None,
        "url": URL,
        "eventTypes": ["policy.enrolled"],
        "groupClientCodes": [],
        "owner": "admin-1",
        "enabled": True,
    }
    listed = await admin.query(ENDPOINTS)
    assert payload["secret"] not in str(listed)


async def test_a_partner_makes_one_for_its_own_clients_and_sees_only_its_own(
    http: AsyncClient, admin: GraphQLClient, book: Book
) -> None:
    # given ACME and GLOBEX, a partner of ACME, and an admin's endpoint
    await place(book, code="ACME"), await place(book, code="GLOBEX")
    partner = _partner(http)
    theirs = ok(await _create(admin))["webhookEndpoint"]["id"]
    # when
    mine = ok(await _create(partner, groupClientCodes=["ACME"]))
    other = await _create(partner, groupClientCodes=["GLOBEX"])
    nothing = await _create(partner, groupClientCodes=[])
    # then
    assert mine["webhookEndpoint"]["owner"] == "partner-1"
    refused(other, "NOT_FOUND", ["input", "groupClientCodes", "0"])
    refused(nothing, "REQUIRED", ["input", "groupClientCodes"])
    assert [
        e["node"]["owner"] for e in (await partner.query(ENDPOINTS))["webhookEndpoints"]["edges"]
    ] == ["partner-1"]
    assert (await admin.query(ENDPOINTS))["webhookEndpoints"]["totalCount"] == 2
    # and the admin's endpoint is as unknown to the partner as an id of nothing
    for mutation in (UPDATE, DISABLE):
        refused(
            await partner.mutate(mutation, {"input": {"id": theirs}}), "NOT_FOUND", ["input", "id"]
        )
    deliveries = await partner.query(DELIVERIES, {"id": theirs})
    assert deliveries["webhookDeliveries"]["totalCount"] == 0


@pytest.mark.parametrize(
    "role", [Role.EMPLOYEE, Role.GROUP_MANAGER, Role.REPORTING, Role.BACKOFFICE]
)
async def test_other_roles_may_not_make_endpoints(
    http: AsyncClient, book: Book, role: Role
) -> None:
    body = await signed_in(http, role, groups=frozenset({"ACME"})).raw(
        CREATE, {"input": {"url": URL}}
    )
    assert body["data"] == {"webhookEndpointCreate": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"url": "javascript:alert(1)"}, "INVALID_FORMAT", ["input", "url"]),
        ({"url": "http://127.0.0.1:9/a\nHost: evil"}, "INVALID_FORMAT", ["input", "url"]),
        ({"url": "http://x" * 400}, "TOO_LONG", ["input", "url"]),
        ({"eventTypes": ["policy.exploded"]}, "NOT_FOUND", ["input", "eventTypes", "0"]),
        ({"groupClientCodes": ["NOPE'; --"]}, "NOT_FOUND", ["input", "groupClientCodes", "0"]),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    admin: GraphQLClient, book: Book, fields: dict[str, Any], code: str, field: list[str]
) -> None:
    payload = await _create(admin, **fields)
    refused(payload, code, field)
    assert (await admin.query(ENDPOINTS))["webhookEndpoints"]["totalCount"] == 0


async def test_a_disabled_endpoint_is_enabled_again_by_update(
    admin: GraphQLClient, book: Book
) -> None:
    endpoint_id = ok(await _create(admin))["webhookEndpoint"]["id"]
    disabled = ok(await admin.mutate(DISABLE, {"input": {"id": endpoint_id}}))
    assert disabled["webhookEndpoint"]["enabled"] is False
    refused(
        await admin.mutate(DISABLE, {"input": {"id": endpoint_id}}), "WRONG_STATUS", ["input", "id"]
    )
    enabled = ok(await admin.mutate(UPDATE, {"input": {"id": endpoint_id, "enable": True}}))
    assert enabled["webhookEndpoint"] | {"id": None} == {
        "id": None,
        "url": URL,
        "enabled": True,
        "disabledReason": None,
    }


async def _changes(admin: GraphQLClient, session: AsyncSession, client_id: int, count: int) -> None:
    """Rename the client `count` times and turn the events into deliveries."""
    for n in range(count):
        data = await admin.query(
            "query($code: String!) { groupClient(code: $code) { version } }", {"code": "ACME"}
        )
        version = data["groupClient"]["version"]
        ok(
            await admin.mutate(
                RENAME,
                {
                    "input": {
                        "id": global_id("GroupClient", client_id),
                        "version": version,
                        "name": f"Acme {n}",
                    }
                },
            )
        )
    await fanout.fan_out(session)
    await session.flush()


async def test_lists_cost_the_same_statements_for_one_row_or_many(
    admin: GraphQLClient, book: Book, session: AsyncSession, statements: StatementCounter
) -> None:
    acme = await place(book)
    counts: dict[str, list[int]] = {"endpoints": [], "deliveries": []}
    endpoint_id = ok(await _create(admin))["webhookEndpoint"]["id"]
    for more in (1, 3):
        ok(await _create(admin))
        await _changes(admin, session, acme.client.id, more)  # type: ignore[arg-type]
        statements.reset()
        await admin.query(ENDPOINTS)
        counts["endpoints"].append(statements.count)
        statements.reset()
        data = await admin.query(DELIVERIES, {"id": endpoint_id})
        counts["deliveries"].append(statements.count)
    assert data["webhookDeliveries"]["totalCount"] == 4
    assert {name: len(set(values)) for name, values in counts.items()} == {
        "endpoints": 1,
        "deliveries": 1,
    }


async def test_only_a_dead_delivery_is_retried(
    admin: GraphQLClient, book: Book, session: AsyncSession
) -> None:
    acme = await place(book)
    endpoint_id = ok(await _create(admin))["webhookEndpoint"]["id"]
    await _changes(admin, session, acme.client.id, 1)  # type: ignore[arg-type]
    data = await admin.query(DELIVERIES, {"id": endpoint_id, "filter": {"statuses": ["PENDING"]}})
    (edge,) = data["webhookDeliveries"]["edges"]
    assert edge["node"]["messageId"].startswith("evt_")
    refused(
        await admin.mutate(RETRY, {"input": {"id": edge["node"]["id"]}}),
        "WRONG_STATUS",
        ["input", "id"],
    )
