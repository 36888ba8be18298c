"""Fixtures of the intake tests: ACME ready to enrol in, and GLOBEX beside it."""

from __future__ import annotations

import pytest

from tests.factories import Book, Place, place


@pytest.fixture
async def book(session) -> Book:  # type: ignore[no-untyped-def]
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    return await place(book)


@pytest.fixture
async def globex(book: Book) -> Place:
    return await place(book, code="GLOBEX")
