"""Partners' API keys: made once, kept as a hash, checked on every request.

A key reads `gck_<prefix>_<secret>`: the prefix finds the row, the secret (256 random bits)
is compared by its SHA-256 hash. With that much entropy a plain hash is enough; a slow
password hash would only cost every request time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from authz.principal import Grant, GrantKind, Principal, Role
from domain.access.models import AccessGrant, ApiKey
from domain.access.service import stored_grants
from domain.core.changes import Action, changing
from domain.core.errors import DomainError, ErrorCode, Problem
from domain.core.fields import check_code
from domain.core.paging import Slice, Window, count, fetch_slice
from domain.groups.queries import client_by_code

KEY_MARK = "gck_"
UNKNOWN = "The API key is not valid."
MAX_LIFETIME = timedelta(days=366)
KEY_ROLES = frozenset({Role.PARTNER, Role.VENDOR})


class KeyRefused(Exception):
    """The key is unknown, revoked or expired; the message says which, for the partner."""


class KeyUnknown(KeyRefused):
    """No key has this prefix and secret."""


class UnknownKeys:
    """Keys found unknown lately, by the SHA-256 of the whole key, each for `seconds`: a client
    repeating a made-up key costs no database round trip meanwhile. A key's text is made when
    the key is, so only one presented before it existed (256 random bits guessed) would wait
    up to `seconds` to work. At most `remember` are kept, the oldest forgotten first."""

    def __init__(self, seconds: float, remember: int = 10_000) -> None:
        self.seconds = seconds
        self.remember = remember
        self._until: OrderedDict[str, float] = OrderedDict()

    def holds(self, presented: str, now: float) -> bool:
        """Whether this key was found unknown less than `seconds` ago."""
        digest = _hash(presented)
        until = self._until.get(digest)
        if until is not None and until <= now:
            del self._until[digest]
            return False
        return until is not None

    def add(self, presented: str, now: float) -> None:
        """Remember that this key is unknown."""
        if self.seconds <= 0:
            return
        digest = _hash(presented)
        self._until.pop(digest, None)
        self._until[digest] = now + self.seconds
        while len(self._until) > self.remember:
            self._until.popitem(last=False)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_api_key(presented: str) -> bool:
    """Tell whether a bearer credential is shaped like an API key rather than a token."""
    return presented.startswith(KEY_MARK)


async def create_api_key(
    session: AsyncSession,
    *,
    actor: Actor,
    name: str,
    group_client_codes: Sequence[str],
    expires_at: datetime,
    now: datetime,
    role: Role = Role.PARTNER,
) -> tuple[ApiKey, str]:
    """Make a partner's (or a vendor's) key scoped to these group clients; return it and the
    key, shown once. A vendor's request types are grants added to its subject afterwards.

    The grants are part of the key's change: its audit event lists the clients it reaches,
    and never the key's hash (see ApiKey's declaration in domain.access.reach).
    """
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    async with changing(session, actor, Action.API_KEY_CREATE, ApiKey) as change:
        problems: list[Problem] = []
        name = check_code("name", name, problems)
        if not problems and await session.scalar(
            sa.select(col(ApiKey.id)).where(col(ApiKey.name) == name)
        ):
            problems.append(Problem(("name",), ErrorCode.DUPLICATE, f"An API key {name!r} exists."))
        _check_expiry(expires_at, now, problems)
        if role not in KEY_ROLES:
            problems.append(
                Problem(
                    ("role",), ErrorCode.NOT_ALLOWED, "A key signs in as a partner or a vendor."
                )
            )
        codes = await _client_codes(session, actor.scope, group_client_codes, problems)
        if problems:
            raise DomainError(*problems)
        key = change.add(
            ApiKey(
                name=name,
                prefix=prefix,
                secret_hash=_hash(secret),
                created_by=actor.subject,
                expires_at=expires_at.astimezone(UTC),
                role=role,
            )
        )
        await _grant(session, actor, key, codes)
    return key, f"{KEY_MARK}{prefix}_{secret}"


async def _grant(session: AsyncSession, actor: Actor, key: ApiKey, codes: list[str]) -> None:
    """Give the key's subject a grant of its role on each client, unless it holds one already."""
    # An admin may have granted the key's subject clients before the key existed.
    held = await stored_grants(session, key.subject)
    session.add_all(
        AccessGrant(
            subject=key.subject,
            role=key.role,
            kind=GrantKind.GROUP_CLIENT,
            code=code,
            created_by=actor.subject,
        )
        for code in codes
        if Grant(key.role, GrantKind.GROUP_CLIENT, code) not in held
    )


def _check_expiry(expires_at: datetime, now: datetime, problems: list[Problem]) -> None:
    if expires_at.tzinfo is None:
        problems.append(
            Problem(("expires_at",), ErrorCode.INVALID_FORMAT, "expires_at needs a time zone.")
        )
    elif expires_at <= now:
        problems.append(
            Problem(("expires_at",), ErrorCode.EXPIRED, "expires_at must be in the future.")
        )
    elif expires_at > now + MAX_LIFETIME:
        problems.append(
            Problem(
                ("expires_at",),
                ErrorCode.NOT_ALLOWED,
                f"An API key may live at most {MAX_LIFETIME.days} days.",
            )
        )


async def _client_codes(
    session: AsyncSession, scope: RowScope, codes: Sequence[str], problems: list[Problem]
) -> list[str]:
    if not codes:
        problems.append(
            Problem(
                ("group_client_codes",),
                ErrorCode.REQUIRED,
                "Name at least one group client the key may reach.",
            )
        )
    return await reached_codes(session, scope, codes, problems)


async def reached_codes(
    session: AsyncSession, scope: RowScope, codes: Sequence[str], problems: list[Problem]
) -> list[str]:
    """The codes of these group clients, each once, recording NOT_FOUND for one out of reach."""
    found: list[str] = []
    for index, code in enumerate(codes):
        client = await client_by_code(session, code, scope=scope)
        if client is None:
            problems.append(
                Problem(
                    ("group_client_codes", str(index)),
                    ErrorCode.NOT_FOUND,
                    f"No group client {code!r}.",
                )
            )
        elif client.code not in found:
            found.append(client.code)
    return found


async def revoke_api_key(
    session: AsyncSession, *, actor: Actor, key_id: int, now: datetime
) -> ApiKey:
    """Stop a key from working: its next request gets HTTP 401."""
    async with changing(session, actor, Action.API_KEY_REVOKE, ApiKey, key_id) as change:
        if change.row.revoked_at is not None:
            raise DomainError.of("id", ErrorCode.NOT_ALLOWED, "This API key is already revoked.")
        change.row.revoked_at = now
    return change.row


def prefix_of(presented: str) -> str:
    """The part of a key that names its row (not secret)."""
    return presented.removeprefix(KEY_MARK).partition("_")[0]


async def refused_keys(
    session: AsyncSession, prefixes: Sequence[str], *, now: datetime
) -> dict[str, str]:
    """Of these keys (by prefix), those that no longer sign in, each with the reason; in one
    query, so that a process checks all its open sockets at once."""
    if not prefixes:
        return {}
    rows = (
        await session.execute(
            sa.select(col(ApiKey.prefix), col(ApiKey.revoked_at), col(ApiKey.expires_at)).where(
                col(ApiKey.prefix).in_(set(prefixes))
            )
        )
    ).all()
    found = {prefix: (revoked, expires) for prefix, revoked, expires in rows}
    reasons = {}
    for prefix in prefixes:
        if prefix not in found:
            reasons[prefix] = "The API key is not valid."
            continue
        revoked, expires = found[prefix]
        if revoked is not None:
            reasons[prefix] = "The API key has been revoked."
        elif expires <= now:
            reasons[prefix] = "The API key has expired."
    return reasons


async def authenticate(session: AsyncSession, presented: str, *, now: datetime) -> Principal:
    """Return the partner or vendor a key signs in as, or raise KeyRefused saying why not."""
    prefix, _, secret = presented.removeprefix(KEY_MARK).partition("_")
    key = None
    if prefix and secret and len(prefix) <= 16:
        key = await session.scalar(sa.select(ApiKey).where(col(ApiKey.prefix) == prefix))
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        raise KeyUnknown(UNKNOWN)
    if key.revoked_at is not None:
        raise KeyRefused("The API key has been revoked.")
    if key.expires_at <= now:
        raise KeyRefused("The API key has expired.")
    return Principal(subject=key.subject, roles=frozenset({key.role}))


async def list_api_keys(session: AsyncSession, *, window: Window) -> Slice[ApiKey]:
    """Return a window of every API key, oldest first."""
    return await fetch_slice(session, sa.select(ApiKey), ApiKey, window)


async def count_api_keys(session: AsyncSession) -> int:
    """Count every API key."""
    return await count(session, sa.select(ApiKey))
