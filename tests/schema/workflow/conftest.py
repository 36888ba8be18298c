"""Fixtures of the workflow tests: a group with a policy, and everyone who takes part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient

from api.jobs import InProcess
from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, place, shop
from tests.graphql import GraphQLClient
from tests.schema.policies.enrol import enrol


@pytest.fixture
async def book(session) -> Book:
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    where = await place(book)
    await shop(book, where)
    return where


@dataclass
class Cast:
    """The people of a request's life, each with their own client."""

    admin: GraphQLClient
    back_office: GraphQLClient
    manager: GraphQLClient
    other_manager: GraphQLClient
    stranger_manager: GraphQLClient
    employee: GraphQLClient
    partner: GraphQLClient
    runner: InProcess
    policy: dict[str, Any]
    place: Place

    def by_channel(self, channel: str) -> GraphQLClient:
        return {
            "BACK_OFFICE": self.back_office,
            "GROUP_PORTAL": self.manager,
            "EMPLOYEE": self.employee,
            "PARTNER": self.partner,
        }[channel]

    @property
    def policy_id(self) -> str:
        return self.policy["id"]

    @property
    def holder_id(self) -> str:
        return self.policy["subscriber"]["id"]

    def account_id(self) -> str:
        return global_id("GroupAccount", self.place.account.id)  # type: ignore[arg-type]


@pytest.fixture
async def cast(http: AsyncClient, admin: GraphQLClient, acme: Place, runner: InProcess) -> Cast:
    policy = await enrol(admin, acme, number="P-1")

    def client(principal: Principal) -> GraphQLClient:
        return GraphQLClient(http, token_for(principal))

    return Cast(
        admin=admin,
        back_office=client(
            Principal(
                "bo-1",
                frozenset({Role.BACKOFFICE}),
                data_access_groups=frozenset({"EU"}),
                lines_of_business=frozenset({"HEALTH"}),
            )
        ),
        manager=client(
            Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"}))
        ),
        other_manager=client(
            Principal("hr-2", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"}))
        ),
        stranger_manager=client(
            Principal("hr-9", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"GLOBEX"}))
        ),
        employee=client(
            Principal(
                "emp-john",
                frozenset({Role.EMPLOYEE}),
                person=policy["subscriber"]["personNumber"],
            )
        ),
        partner=client(
            Principal("partner-1", frozenset({Role.PARTNER}), groups=frozenset({"ACME"}))
        ),
        runner=runner,
        policy=policy,
        place=acme,
    )
