"""Fixtures of the policy tests: reference data and a group account to enrol members in."""

from __future__ import annotations

import pytest

from tests.factories import Book, Place, place


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    return await place(book)
