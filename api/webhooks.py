"""Sending one webhook: resolved and checked now, signed as Standard Webhooks, bounded in time.

The host is resolved and every address checked before each attempt (domain.webhooks.
addresses); the request then goes to the address checked, with the name kept for TLS (SNI and
certificate) and the Host header, so a second lookup cannot lead it elsewhere. Redirects are not
followed: a 3xx is a failed attempt, never a way into the private network. The whole attempt,
lookup included, ends after `timeout_seconds`, however slowly the receiver drips its answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from domain.webhooks.addresses import IP, AddressRules, Refused, resolve
from domain.webhooks.delivery import Answer, Attempt, RetryPolicy

USER_AGENT = "groupcover-webhooks/1"


@dataclass(frozen=True)
class WebhookSettings:
    """How this deployment sends webhooks."""

    rules: AddressRules = field(default_factory=AddressRules)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: float = 5.0
    """The longest one attempt may take, from the lookup to the last byte of the answer."""
    poll_seconds: float = 0.25
    """How often new events are looked for."""


def signed_headers(attempt: Attempt, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of an attempt sent at `now`."""
    signature = Webhook(attempt.secret).sign(attempt.message_id, now, attempt.body)
    return {
        "webhook-id": attempt.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def pinned(url: str, address: IP) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL sent to this address; the Host header and TLS name that keep the host's name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        if ipaddress.ip_address(host) == address:
            return url, {}, {}
    except ValueError:
        pass
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), {"host": parts.netloc}, {"sni_hostname": host}


async def send(client: httpx.AsyncClient, attempt: Attempt, settings: WebhookSettings) -> Answer:
    """Make one attempt; what the receiver answered, or why it did not."""
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            addresses = await resolve(attempt.url, settings.rules)
            url, host, extensions = pinned(attempt.url, addresses[0])
            response = await client.post(
                url,
                content=attempt.body.encode(),
                headers={**signed_headers(attempt, datetime.now(UTC)), **host},
                extensions=extensions,
            )
    except Refused as refused:
        return Answer(error=str(refused))
    except TimeoutError:
        return Answer(error=f"No complete answer within {settings.timeout_seconds:g} s.")
    except httpx.HTTPError as error:
        return Answer(error=f"{type(error).__name__}: {str(error)[:200]}")
    return Answer(status_code=response.status_code)


def client(settings: WebhookSettings) -> httpx.AsyncClient:
    """An HTTP client for webhooks: no redirects, no proxies from the environment."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )
