"""Where webhooks may go: in production https to public addresses only, checked when an
endpoint is made and again at every attempt (a name that later resolves to 127.0.0.1)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlmodel import col

from api.webhooks import pinned
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.core.transactions import atomic
from domain.webhooks import service
from domain.webhooks.addresses import AddressRules, check_address, check_url, is_public
from domain.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.domain.events.test_outbox import _client
from tests.domain.webhooks.conftest import (
    ADMIN,
    ADMIN_ACTOR,
    FAST,
    Sessions,
    endpoint,
    rename,
    sender,
)
from tests.receiver import receiving

PRODUCTION = AddressRules(https_only=True, allow_private=False)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
    ],
)
def test_only_public_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://user:pw@example.com/hook",
        "ftp://example.com/",
        "https:///nohost",
        "https://exa mple.com/",
        "https://example.com/" + "x" * 2000,
    ],
)
def test_a_url_of_the_wrong_form_is_refused_in_production(url: str) -> None:
    problems: list[Problem] = []
    check_url("url", url, PRODUCTION, problems)
    assert [p.field for p in problems] == [("url",)]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]:8443/",
        "https://10.0.0.5/",
    ],
)
async def test_a_host_resolving_to_a_private_address_is_refused_in_production(url: str) -> None:
    problems: list[Problem] = []
    await check_address("url", url, PRODUCTION, problems)
    assert [(p.field, p.code) for p in problems] == [(("url",), ErrorCode.NOT_ALLOWED)]


async def test_making_an_endpoint_to_a_private_host_is_refused_naming_the_url(
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        with pytest.raises(DomainError) as refused:
            async with atomic(session):
                await service.create_endpoint(
                    session,
                    actor=ADMIN_ACTOR,
                    owner=ADMIN,
                    given=service.EndpointInput(url="https://localhost:8443/hook"),
                    rules=PRODUCTION,
                )
    assert [(p.field, p.code) for p in refused.value.problems] == [
        (("url",), ErrorCode.NOT_ALLOWED)
    ]


async def test_an_address_turned_private_after_creation_is_refused_at_the_attempt(
    sessions: Sessions,
) -> None:
    # given an endpoint made while local addresses were allowed (as a name that resolved to
    # a public address then and to 127.0.0.1 now would be)
    client_id = await _client(sessions, "REBIND")
    async with receiving() as receiver:
        endpoint_id, receiver.secret = await endpoint(sessions, receiver.url)
        await rename(sessions, client_id, "Rebound")
        # when the sender runs under production's rules
        strict = replace(FAST, rules=replace(PRODUCTION, https_only=False))
        await sender(sessions, strict).drain()
    # then nothing reached the address, and the delivery says why
    assert receiver.received == []
    async with sessions() as session:
        delivery = await session.scalar(
            sa.select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
        )
    assert delivery is not None and delivery.status is DeliveryStatus.DEAD
    assert "private or local" in (delivery.last_error or "")


def test_a_request_goes_to_the_address_checked_keeping_the_name_for_tls() -> None:
    url, host, extensions = pinned(
        "https://hooks.example.com:8443/in?x=1", ipaddress.ip_address("93.184.216.34")
    )
    assert url == "https://93.184.216.34:8443/in?x=1"
    assert host == {"host": "hooks.example.com:8443"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
