"""Account teams: created and changed by the back office, assigned to group clients, with a
default team for every client without one."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book, Place, place
from tests.graphql import GraphQLClient, ok, refused

CREATE = """
mutation($input: AccountTeamCreateInput!) { accountTeamCreate(input: $input) {
  accountTeam { code name email isDefault members version } errors { field code message } } }
"""
UPDATE = """
mutation($input: AccountTeamUpdateInput!) { accountTeamUpdate(input: $input) {
  accountTeam { code isDefault version } errors { field code message } } }
"""
ASSIGN = """
mutation($input: AccountTeamAssignInput!) { accountTeamAssign(input: $input) {
  groupClient { code accountTeam { code } } errors { field code message } } }
"""
TEAM_OF = "query($id: ID!) { groupClient(id: $id) { accountTeam { code email members } } }"
TEAMS = "{ accountTeams { code isDefault } }"


def _team(**more: Any) -> dict[str, Any]:
    return {"name": "Team", "email": "team@insurer.example", "members": ["bo-1"], **more}


@pytest.fixture
async def book(session) -> Book:  # type: ignore[no-untyped-def]
    return await Book(session).setup()


@pytest.fixture
async def acme(book: Book) -> Place:
    return await place(book)


def _id(where: Place) -> str:
    return global_id("GroupClient", where.client.id)  # type: ignore[arg-type]


async def test_a_client_falls_to_the_default_team_until_it_has_its_own(
    admin: GraphQLClient, acme: Place
) -> None:
    # given a default team and another one
    ok(await admin.mutate(CREATE, {"input": {"code": "DEFAULT", "team": _team(isDefault=True)}}))
    ok(await admin.mutate(CREATE, {"input": {"code": "NORTH", "team": _team(name="North")}}))
    before = await admin.query(TEAM_OF, {"id": _id(acme)})
    # when
    assigned = await admin.mutate(
        ASSIGN, {"input": {"groupClientId": _id(acme), "teamCode": "NORTH"}}
    )
    after = await admin.query(TEAM_OF, {"id": _id(acme)})
    cleared = await admin.mutate(ASSIGN, {"input": {"groupClientId": _id(acme), "teamCode": None}})
    # then
    assert before["groupClient"]["accountTeam"]["code"] == "DEFAULT"
    assert ok(assigned)["groupClient"]["accountTeam"] == {"code": "NORTH"}
    assert after["groupClient"]["accountTeam"]["members"] == ["bo-1"]
    assert ok(cleared)["groupClient"]["accountTeam"] == {"code": "DEFAULT"}


async def test_one_team_at_most_is_the_default(admin: GraphQLClient, acme: Place) -> None:
    ok(await admin.mutate(CREATE, {"input": {"code": "A", "team": _team(isDefault=True)}}))
    ok(await admin.mutate(CREATE, {"input": {"code": "B", "team": _team()}}))
    ok(
        await admin.mutate(
            UPDATE, {"input": {"code": "B", "version": 1, "team": _team(isDefault=True)}}
        )
    )
    teams = await admin.query(TEAMS)
    assert teams["accountTeams"] == [
        {"code": "A", "isDefault": False},
        {"code": "B", "isDefault": True},
    ]


@pytest.mark.parametrize(
    ("team", "field", "code"),
    [
        (_team(email="not-an-address"), ["input", "team", "email"], "INVALID_FORMAT"),
        (_team(email=" "), ["input", "team", "email"], "REQUIRED"),
        (_team(name=""), ["input", "team", "name"], "REQUIRED"),
        (_team(members=["bo-1", "bo-1"]), ["input", "team", "members"], "INVALID_FORMAT"),
        (_team(members=["a\x07"]), ["input", "team", "members", "0"], "INVALID_FORMAT"),
    ],
)
async def test_a_bad_team_is_refused_naming_the_field(
    admin: GraphQLClient, acme: Place, team: dict[str, Any], field: list[str], code: str
) -> None:
    payload = await admin.mutate(CREATE, {"input": {"code": "T", "team": team}})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert (await admin.query(TEAMS))["accountTeams"] == []


async def test_an_unknown_team_or_a_hidden_client_is_not_found(
    admin: GraphQLClient, http: AsyncClient, acme: Place
) -> None:
    ok(await admin.mutate(CREATE, {"input": {"code": "NORTH", "team": _team()}}))
    unknown = await admin.mutate(
        ASSIGN, {"input": {"groupClientId": _id(acme), "teamCode": "SOUTH"}}
    )
    refused(unknown, "NOT_FOUND", ["input", "teamCode"])
    clerk = GraphQLClient(
        http,
        token_for(
            Principal(
                "bo-us", frozenset({Role.BACKOFFICE}),
                data_access_groups=frozenset({"US"}), lines_of_business=frozenset({"HEALTH"}),
            )
        ),
    )  # fmt: skip
    hidden = await clerk.mutate(
        ASSIGN, {"input": {"groupClientId": _id(acme), "teamCode": "NORTH"}}
    )
    refused(hidden, "NOT_FOUND", ["input", "groupClientId"])


@pytest.mark.parametrize("role", [Role.GROUP_MANAGER, Role.PARTNER, Role.EMPLOYEE, Role.REPORTING])
async def test_only_the_back_office_manages_teams_and_members_stay_internal(
    admin: GraphQLClient, http: AsyncClient, acme: Place, role: Role
) -> None:
    ok(await admin.mutate(CREATE, {"input": {"code": "DEFAULT", "team": _team(isDefault=True)}}))
    who = GraphQLClient(
        http, token_for(Principal("x-1", frozenset({role}), groups=frozenset({"ACME"})))
    )
    body = await who.raw(CREATE, {"input": {"code": "X", "team": _team()}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    if role in (Role.GROUP_MANAGER, Role.PARTNER):
        seen = await who.raw(TEAM_OF, {"id": _id(acme)})
        assert seen["data"]["groupClient"]["accountTeam"]["email"] == "team@insurer.example"
        assert seen["data"]["groupClient"]["accountTeam"]["members"] is None
        assert seen["errors"][0]["path"] == ["groupClient", "accountTeam", "members"]
