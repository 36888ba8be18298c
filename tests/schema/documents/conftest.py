"""Fixtures of the documents schema tests: the documents tests' families, and callers."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from tests.conftest import token_for
from tests.domain.documents.conftest import acme_policies, book, globex_policies
from tests.graphql import GraphQLClient

ADMIN_2 = token_for(Principal("admin-2", frozenset({Role.ADMIN})))
BACK_OFFICE = token_for(
    Principal(
        "bo-1",
        frozenset({Role.BACKOFFICE}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
)
ACME_HR = token_for(Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"})))
GLOBEX_HR = token_for(
    Principal("hr-2", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"GLOBEX"}))
)
REPORTING = token_for(
    Principal(
        "rep-1",
        frozenset({Role.REPORTING}),
        data_access_groups=frozenset({"EU"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
)


@pytest.fixture
def acme_hr(http: AsyncClient) -> GraphQLClient:
    return GraphQLClient(http, ACME_HR)


@pytest.fixture
def globex_hr(http: AsyncClient) -> GraphQLClient:
    return GraphQLClient(http, GLOBEX_HR)


__all__ = ["acme_policies", "book", "globex_policies"]
