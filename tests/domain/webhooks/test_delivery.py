"""Webhooks to a real local receiver: signed, retried with the same id, in order per subject,
DEAD after the limit, disabled on 410, never held longer than the timeout."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import sqlalchemy as sa
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.core.columns import utcnow
from domain.core.transactions import atomic
from domain.webhooks import service
from domain.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.domain.events.test_outbox import _client
from tests.domain.webhooks.conftest import FAST, Sessions, endpoint, rename, sender
from tests.receiver import receiving


async def _deliveries(sessions: Sessions, endpoint_id: int) -> list[WebhookDelivery]:
    async with sessions() as session:
        stmt = (
            sa.select(WebhookDelivery)
            .where(col(WebhookDelivery.endpoint_id) == endpoint_id)
            .order_by(col(WebhookDelivery.id))
        )
        return list((await session.scalars(stmt)).all())


async def test_every_delivery_is_signed_and_its_event_s_fields_arrive(sessions: Sessions) -> None:
    # given an endpoint and a client renamed twice
    client_id = await _client(sessions, "SIGNED")
    async with receiving() as receiver:
        endpoint_id, receiver.secret = await endpoint(sessions, receiver.url)
        await rename(sessions, client_id, "Signed One")
        await rename(sessions, client_id, "Signed Two")
        # when the deliveries are sent
        await sender(sessions).drain()
    # then both arrived, verified by standardwebhooks, in order, and are DELIVERED
    assert receiver.unsigned == 0
    assert [p["name"] for p in receiver.payloads()] == ["Signed One", "Signed Two"]
    assert [r.body["type"] for r in receiver.received] == ["group_client.changed"] * 2
    assert [d.status for d in await _deliveries(sessions, endpoint_id)] == [
        DeliveryStatus.DELIVERED
    ] * 2


async def test_a_receiver_failing_twice_gets_the_event_three_times_with_one_id(
    sessions: Sessions,
) -> None:
    # given a receiver that answers 500, then 503, then 200
    client_id = await _client(sessions, "FLAKY")
    async with receiving() as receiver:
        receiver.answers = [500, 503, 200]
        endpoint_id, receiver.secret = await endpoint(sessions, receiver.url)
        await rename(sessions, client_id, "Flaky")
        # when sent (no wait between attempts here)
        await sender(sessions).drain()
    # then it got the same message three times, and the delivery says so
    assert len(receiver.ids()) == 3 and len(set(receiver.ids())) == 1
    (delivery,) = await _deliveries(sessions, endpoint_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        3,
        200,
    )


async def test_a_delivery_failing_every_attempt_is_dead_then_retried_on_request(
    sessions: Sessions,
) -> None:
    # given a receiver that fails more often than the limit (4 attempts)
    client_id = await _client(sessions, "DOOMED")
    async with receiving() as receiver:
        receiver.answers = [500] * 4
        endpoint_id, receiver.secret = await endpoint(sessions, receiver.url)
        await rename(sessions, client_id, "Doomed")
        await rename(sessions, client_id, "Doomed Again")
        await sender(sessions).drain()
        # then the first is DEAD after 4 attempts, and the next of the subject went out after it
        first, second = await _deliveries(sessions, endpoint_id)
        assert (first.status, first.attempts) == (DeliveryStatus.DEAD, 4)
        assert second.status is DeliveryStatus.DELIVERED
        # when the owner retries the dead one
        async with sessions() as session, atomic(session):
            await service.retry_delivery(
                session,
                actor=_owner(),
                delivery_id=first.id,
                now=utcnow(),  # type: ignore[arg-type]
            )
        await sender(sessions).drain()
    # then it is delivered, with the id it always had
    first, _ = await _deliveries(sessions, endpoint_id)
    assert (first.status, first.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert receiver.ids()[-1] == receiver.ids()[0]


def _owner() -> Actor:
    return Actor(subject="admin-1", scope=RowScope(everything=True))


async def test_an_endpoint_answering_410_is_disabled_and_hears_no_more(sessions: Sessions) -> None:
    # given a receiver that says it is gone
    client_id = await _client(sessions, "GONE")
    async with receiving() as receiver:
        receiver.answers = [410]
        endpoint_id, receiver.secret = await endpoint(sessions, receiver.url)
        await rename(sessions, client_id, "Gone")
        await sender(sessions).drain()
        # when more changes follow
        await rename(sessions, client_id, "Gone Again")
        await sender(sessions).drain()
    # then it was asked once, and is disabled saying why
    assert len(receiver.received) == 1
    async with sessions() as session:
        row = await session.get_one(WebhookEndpoint, endpoint_id)
    assert not row.enabled and "410" in (row.disabled_reason or "")


async def test_each_subject_s_events_arrive_in_order_under_concurrent_changes(
    sessions: Sessions,
) -> None:
    # given three clients renamed concurrently, five times each, to a receiver that is slow
    # and fails now and then
    ids = [await _client(sessions, f"ORDER-{n}") for n in range(3)]
    async with receiving() as receiver:
        receiver.answers = [500, 204, 503, 204, 500]
        receiver.delay_seconds = 0.01
        endpoint_id, receiver.secret = await endpoint(sessions, receiver.url)
        local = sender(sessions)

        async def renames(client_id: int) -> None:
            for n in range(5):
                await rename(sessions, client_id, f"Name {n}")
                await local.drain()

        await asyncio.gather(*(renames(i) for i in ids))
        await local.drain()
    # then, per subject, the first arrival of each event follows the events' order
    seen: dict[tuple[str, int], list[int]] = {}
    for item in receiver.received:
        sequence = item.body["data"]["sequence"]
        order = seen.setdefault(item.subject, [])
        if sequence not in order:
            order.append(sequence)
    assert {subject: order == sorted(order) for subject, order in seen.items()} == {
        ("GroupClient", i): True for i in ids
    }
    assert all(len(order) == 5 for order in seen.values())
    statuses = {d.status for d in await _deliveries(sessions, endpoint_id)}
    assert statuses == {DeliveryStatus.DELIVERED}


async def test_a_slow_receiver_holds_a_send_no_longer_than_the_timeout(sessions: Sessions) -> None:
    # given a receiver that takes 5 s to answer, and a timeout of 1 s
    client_id = await _client(sessions, "SLOW")
    async with receiving() as receiver:
        receiver.delay_seconds = 5
        endpoint_id, receiver.secret = await endpoint(sessions, receiver.url)
        await rename(sessions, client_id, "Slow")
        slow = replace(FAST, timeout_seconds=1, retry=replace(FAST.retry, backoff_seconds=60))
        # when one attempt is made
        began = time.monotonic()
        await sender(sessions, slow).drain()
        took = time.monotonic() - began
    # then it gave up after about the timeout, and will try again later
    assert took < 3, took
    (delivery,) = await _deliveries(sessions, endpoint_id)
    assert delivery.status is DeliveryStatus.PENDING and delivery.attempts == 1
    assert "within 1 s" in (delivery.last_error or "")
