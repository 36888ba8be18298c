"""A committing database per module, endpoints made as the admin or a partner, a sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from api.deliveries import LocalDeliveries
from api.webhooks import WebhookSettings
from authz.access import Actor, RowScope
from authz.principal import Principal, Role
from domain.core.transactions import atomic
from domain.database import create_engine, request_sessions
from domain.groups.models import GroupClient
from domain.groups.service import update_group_client
from domain.webhooks import service
from domain.webhooks.addresses import AddressRules
from domain.webhooks.delivery import RetryPolicy
from domain.webhooks.models import WebhookEndpoint
from migrations.runner import upgrade
from tests.conftest import _postgres_database
from tests.live import BACKENDS

Sessions = async_sessionmaker[AsyncSession]
LOCAL = AddressRules(https_only=False, allow_private=True)
"""What tests allow: the receiver listens on 127.0.0.1 over http."""
FAST = WebhookSettings(rules=LOCAL, retry=RetryPolicy(max_attempts=4, backoff_seconds=0))
ADMIN = Principal("admin-1", frozenset({Role.ADMIN}))
ADMIN_ACTOR = Actor(subject="admin-1", scope=RowScope(everything=True))


@pytest.fixture(scope="module", params=BACKENDS)
async def sessions(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Sessions]:
    folder = tmp_path_factory.mktemp("webhooks")
    urls = (
        iter([f"sqlite+aiosqlite:///{folder / 'webhooks.db'}"])
        if request.param == "sqlite"
        else _postgres_database()
    )
    for url in urls:
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        try:
            yield request_sessions(engine)
        finally:
            await engine.dispose()


@pytest.fixture(autouse=True)
async def _quiet_endpoints(sessions: Sessions) -> AsyncIterator[None]:
    """Each test hears only its own endpoints: those of earlier tests are switched off."""
    yield
    async with sessions() as session:
        await session.execute(sa.update(WebhookEndpoint).values(enabled=False))
        await session.commit()


async def endpoint(
    sessions: Sessions,
    url: str,
    *,
    owner: Principal = ADMIN,
    actor: Actor = ADMIN_ACTOR,
    codes: list[str] | None = None,
    types: list[str] | None = None,
) -> tuple[int, str]:
    """A committed endpoint made by `owner`; its id and secret."""
    async with sessions() as session, atomic(session):
        row, secret = await service.create_endpoint(
            session,
            actor=actor,
            owner=owner,
            given=service.EndpointInput(
                url=url, event_types=types or [], group_client_codes=codes or []
            ),
            rules=LOCAL,
        )
    assert row.id is not None
    return row.id, secret


async def rename(sessions: Sessions, client_id: int, name: str) -> None:
    """Rename a group client as the admin: one group_client.changed event."""
    async with sessions() as session, atomic(session):
        version = await session.scalar(
            sa.select(col(GroupClient.version)).where(col(GroupClient.id) == client_id)
        )
        await update_group_client(
            session, actor=ADMIN_ACTOR, group_client_id=client_id, version=version, name=name
        )


def sender(sessions: Sessions, settings: WebhookSettings = FAST) -> LocalDeliveries:
    return LocalDeliveries(sessions, settings)
