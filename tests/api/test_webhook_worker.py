"""`groupcover worker` sends webhooks: a worker killed mid-delivery (the receiver has the
event, its answer unrecorded) leaves the delivery PENDING, and the next worker sends it again
with the same webhook-id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col

from api.deliveries import CRASH_AFTER_SENDS
from domain.core.transactions import atomic
from domain.groups.models import GroupClient
from domain.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.api.test_worker import _silence_workers
from tests.domain.webhooks.conftest import endpoint, rename
from tests.live import Live, groupcover, live_database
from tests.receiver import receiving

pytestmark = pytest.mark.postgresql(reason="the worker runs on PostgreSQL")


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database("postgresql", tmp_path) as database:
        yield database


async def _acme(live: Live) -> int:
    async with live.sessions() as session, atomic(session):
        found = await session.scalar(sa.select(col(GroupClient.id)).order_by(col(GroupClient.id)))
    assert found is not None
    return int(found)


async def test_a_worker_killed_mid_delivery_leaves_it_to_the_next_which_redelivers(
    live: Live,
) -> None:
    # given an endpoint and a change to send
    async with receiving() as receiver:
        endpoint_id, receiver.secret = await endpoint(live.sessions, receiver.url)
        await rename(live.sessions, await _acme(live), "Killed Mid Delivery")
        # when a worker dies right after the receiver got the event, before recording it
        killed = await groupcover(live, "worker", "--once", **{CRASH_AFTER_SENDS: "1"})
        assert killed.returncode == 17, killed.stderr.decode()[-2000:]
        assert len(receiver.received) == 1
        async with live.sessions() as session:
            delivery = await session.scalar(
                sa.select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
            )
        assert delivery is not None and delivery.status is DeliveryStatus.PENDING
        # and another worker starts once the first is found silent
        await _silence_workers(live)
        second = await groupcover(live, "worker", "--once")
        assert second.returncode == 0, second.stderr.decode()[-2000:]
    # then the receiver got the event again, with the same id, and it is DELIVERED
    assert receiver.unsigned == 0
    assert len(receiver.ids()) == 2 and len(set(receiver.ids())) == 1
    async with live.sessions() as session:
        delivery = await session.get_one(WebhookDelivery, delivery.id)
    assert delivery.status is DeliveryStatus.DELIVERED
