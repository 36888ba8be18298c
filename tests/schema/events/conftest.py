"""Fixtures of the change feed tests: reference data, and clients as each role."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


def signed_in(http: AsyncClient, role: Role, **grants: Any) -> GraphQLClient:
    """A client signed in with one role and these grants."""
    return GraphQLClient(http, token_for(Principal(f"{role.value}-1", frozenset({role}), **grants)))
