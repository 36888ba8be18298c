"""Fixtures of the documents tests: the book, ACME with two families, and GLOBEX with one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import EVERYTHING, Actor
from domain.policies.models import Policy
from tests.factories import Book, families, place

ADMIN = Actor("admin-1", EVERYTHING)
REVIEWER = Actor("admin-2", EVERYTHING)
SINCE = date(2026, 1, 1)


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme_policies(book: Book) -> list[Policy]:
    return await families(book, await place(book), 2, since=SINCE)


@pytest.fixture
async def globex_policies(book: Book) -> list[Policy]:
    return await families(book, await place(book, code="GLOBEX"), 1, since=SINCE)
