"""Where a webhook may be sent: https only in production, never to a private address.

A URL is checked when its endpoint is made or changed AND again before every attempt, on the
addresses the name resolves to then: a name that pointed to a public address at creation and
to 127.0.0.1 later (DNS rebinding) is refused at the attempt, and the attempt connects to the
very address checked (see api.webhooks), so a second lookup cannot swap it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.core.errors import ErrorCode, Problem

MAX_URL_LENGTH = 2000
IP = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class AddressRules:
    """What the deployment lets endpoints point at."""

    https_only: bool = True
    allow_private: bool = False
    """Loopback, private and link-local addresses: for development and tests only."""


class Refused(Exception):
    """The URL or an address it resolves to may not receive webhooks; says why."""


def check_url(field: str, url: str, rules: AddressRules, problems: list[Problem]) -> str:
    """Return the trimmed URL, recording why its form is unacceptable if it is."""
    url = url.strip()
    parts = urlsplit(url)
    schemes = ("https",) if rules.https_only else ("https", "http")
    if len(url) > MAX_URL_LENGTH:
        problems.append(
            Problem(
                (field,), ErrorCode.TOO_LONG, f"{field} is at most {MAX_URL_LENGTH} characters."
            )
        )
    elif parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        problems.append(
            Problem(
                (field,),
                ErrorCode.INVALID_FORMAT,
                f"{field} must be an {' or '.join(schemes)} URL with a host and no credentials.",
            )
        )
    elif not url.isprintable() or any(char.isspace() for char in url):
        problems.append(
            Problem((field,), ErrorCode.INVALID_FORMAT, f"{field} must not hold spaces.")
        )
    return url


def is_public(address: IP) -> bool:
    """Whether an address is on the public internet (not private, loopback, link-local...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


async def resolve(url: str, rules: AddressRules) -> list[IP]:
    """The addresses the URL's host has now, all allowed by the rules, or Refused."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(f"The host {host!r} does not resolve.") from error
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
    if not rules.allow_private and (not addresses or not all(map(is_public, addresses))):
        raise Refused(f"The host {host!r} resolves to a private or local address.")
    return addresses


async def check_address(field: str, url: str, rules: AddressRules, problems: list[Problem]) -> None:
    """Record a problem when the URL's host does not resolve to allowed addresses now."""
    try:
        await resolve(url, rules)
    except Refused as refused:
        problems.append(Problem((field,), ErrorCode.NOT_ALLOWED, str(refused)))
