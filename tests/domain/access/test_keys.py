"""API keys in the domain: the lifetime rule at its edges, and what authenticate answers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import EVERYTHING, Actor
from authz.principal import Principal, Role
from domain.access.keys import (
    MAX_LIFETIME,
    KeyRefused,
    authenticate,
    create_api_key,
    is_api_key,
    revoke_api_key,
)
from domain.access.models import ApiKey
from domain.core.errors import DomainError
from tests.factories import Book

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
ADMIN = Actor("admin-1", EVERYTHING)


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    made = await Book(session).setup()
    await made.client(code="ACME")
    await session.commit()
    return made


async def _make(
    session: AsyncSession,
    *,
    name: str = "acme-portal",
    expires_at: datetime = NOW + timedelta(days=30),
) -> tuple[ApiKey, str]:
    key, presented = await create_api_key(
        session,
        actor=ADMIN,
        name=name,
        group_client_codes=["ACME"],
        expires_at=expires_at,
        now=NOW,
    )
    await session.commit()
    return key, presented


def _codes(error: DomainError) -> list[tuple[str, tuple[str, ...]]]:
    return [(p.code.value, p.field) for p in error.problems]


@pytest.mark.parametrize(
    ("expires_at", "code"),
    [
        pytest.param(NOW, "EXPIRED", id="now"),
        pytest.param(NOW - timedelta(days=1), "EXPIRED", id="yesterday"),
        pytest.param(NOW + MAX_LIFETIME + TICK, "NOT_ALLOWED", id="just-over-366-days"),
        pytest.param(NOW.replace(tzinfo=None) + timedelta(days=1), "INVALID_FORMAT", id="no-zone"),
    ],
)
async def test_a_lifetime_outside_the_window_is_refused(
    session: AsyncSession, book: Book, expires_at: datetime, code: str
) -> None:
    # when
    with pytest.raises(DomainError) as refused:
        await _make(session, expires_at=expires_at)
    # then
    assert _codes(refused.value) == [(code, ("expires_at",))]


@pytest.mark.parametrize(
    "expires_at",
    [
        pytest.param(NOW + TICK, id="a-tick-ahead"),
        pytest.param(NOW + MAX_LIFETIME, id="exactly-366-days"),
    ],
)
async def test_a_lifetime_inside_the_window_is_accepted(
    session: AsyncSession, book: Book, expires_at: datetime
) -> None:
    # when
    key, _ = await _make(session, expires_at=expires_at)
    # then
    assert key.expires_at == expires_at


async def test_only_a_hash_of_the_secret_is_kept(session: AsyncSession, book: Book) -> None:
    # when
    key, presented = await _make(session)
    # then
    mark, prefix, secret = presented.split("_", 2)
    assert (mark, prefix) == ("gck", key.prefix)
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = (await session.execute(sa.select(ApiKey.__table__))).one()  # type: ignore[attr-defined]
    assert all(secret not in str(value) for value in stored)


async def test_every_key_gets_its_own_prefix_and_secret(session: AsyncSession, book: Book) -> None:
    # when
    made = [await _make(session, name=f"key-{i}") for i in range(5)]
    # then
    assert len({key.prefix for key, _ in made}) == 5
    assert len({presented for _, presented in made}) == 5


async def test_a_valid_key_signs_in_as_its_partner_subject(
    session: AsyncSession, book: Book
) -> None:
    # given
    _, presented = await _make(session, expires_at=NOW + timedelta(days=1))
    # when
    principal = await authenticate(session, presented, now=NOW + timedelta(days=1) - TICK)
    # then the key's scope comes from its stored grants, never from the principal itself
    assert principal == Principal(subject="apikey:acme-portal", roles=frozenset({Role.PARTNER}))


async def test_a_key_is_expired_at_its_expiry_instant(session: AsyncSession, book: Book) -> None:
    # given
    _, presented = await _make(session, expires_at=NOW + timedelta(days=1))
    # when
    with pytest.raises(KeyRefused) as refused:
        await authenticate(session, presented, now=NOW + timedelta(days=1))
    # then
    assert str(refused.value) == "The API key has expired."


async def test_a_revoked_key_says_revoked_even_once_expired(
    session: AsyncSession, book: Book
) -> None:
    # given
    key, presented = await _make(session, expires_at=NOW + timedelta(days=1))
    await revoke_api_key(session, actor=ADMIN, key_id=key.id or 0, now=NOW)
    await session.commit()
    # when
    with pytest.raises(KeyRefused) as refused:
        await authenticate(session, presented, now=NOW + timedelta(days=2))
    # then
    assert str(refused.value) == "The API key has been revoked."


@pytest.mark.parametrize(
    "presented",
    ["gck_", "gck_x", "gck__", "gck_x_", "gck__secret", "gck_" + "a" * 17 + "_secret"],
)
async def test_a_malformed_key_is_not_valid(
    session: AsyncSession, book: Book, presented: str
) -> None:
    # given
    await _make(session)
    # when
    with pytest.raises(KeyRefused) as refused:
        await authenticate(session, presented, now=NOW)
    # then
    assert str(refused.value) == "The API key is not valid."


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        ("gck_abc_def", True),
        ("gck_", True),
        ("GCK_abc_def", False),
        ("eyJhbGciOiJIUzI1NiJ9.e30.sig", False),
        ("", False),
    ],
)
def test_tells_an_api_key_from_a_token(credential: str, expected: bool) -> None:
    # when / then
    assert is_api_key(credential) is expected
