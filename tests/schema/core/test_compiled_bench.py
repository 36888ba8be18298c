"""bench.load's documents with effective settings and the group manager's inbox are answered by
their plans, as the executor answers them, with as many statements; filters reach resolvers as
strawberry converts them, and a filter the executor refuses is the executor's to answer;
`node(id:)` resolves its runtime type as graphql-core does."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.principal import Principal, Role
from bench.load_queries import QUERIES
from domain.groups.models import GroupClient
from domain.policies.limits import utc_today
from domain.policies.models import Person, Policy
from domain.settings.models import CollectionSetting, PremiumSchedule, Setting, SettingKind
from schema.core.relay import global_id
from tests.factories import (
    Book,
    employee_asks_to_end,
    families,
    place,
    settings_reference,
    tree,
    viewers,
)
from tests.schema.core.conftest import Both, Served, canonical

TREE = "6-level tree, accounts, effective settings"
POLICIES = "100 policies, members, effective settings"
INBOX = "a group manager's inbox: 50 of 500 open tasks"
ROOT = "ROOT"
"""The code of the tree's root and the inbox's group (bench.load asks for C1)."""


async def _book(session: AsyncSession) -> None:
    """A 3-level tree configured at its root; ROOT's account with families, one of whose
    policies has a termination waiting for its group manager, and another group's."""
    book = await Book(session).setup()
    await settings_reference(book)
    schedule = await session.scalar(
        sa.select(col(PremiumSchedule.id)).where(col(PremiumSchedule.code) == "PS-STD")
    )
    root = await tree(book, size=13, depth=3)
    root.code = ROOT
    where = await place(book, code="ACME", parent=root)
    elsewhere = await place(book, code="GLOBEX")
    since = utc_today() - timedelta(days=10)
    policies = await families(book, where, 3, since=since)
    policies += await families(book, elsewhere, 1, since=since)
    session.add_all(
        [
            Setting(
                kind=SettingKind.COLLECTION_SETTING,
                group_client_id=root.id,
                value_text=CollectionSetting.GROUP_BILLED,
            ),
            Setting(
                kind=SettingKind.PREMIUM_SCHEDULE,
                group_account_id=where.account.id,
                premium_schedule_id=schedule,
            ),
        ]
    )
    await session.commit()
    end = (utc_today() + timedelta(days=30)).isoformat()
    for policy in policies[1:]:
        await employee_asks_to_end(session, policy.id, end)  # type: ignore[arg-type]
        await session.commit()


@pytest.mark.parametrize("role", ["admin", "backoffice", "group_manager"])
@pytest.mark.parametrize("query", [TREE, POLICIES, INBOX])
async def test_the_benchmarks_settings_and_inbox_are_answered_by_their_plans(
    session: AsyncSession, both: Both, served: Served, role: str, query: str
) -> None:
    # given a configured tree, families and open approvals, and a caller of ROOT or all
    await _book(session)
    principal = viewers(ROOT)[role]
    document = QUERIES[query].replace('"C1"', f'"{ROOT}"')
    # when the benchmark's document is sent to both apps
    (compiled_body, compiled_statements), (body, executed) = await both.send(principal, document)
    # then the same answer, which the plan gave, with as many statements
    assert canonical(compiled_body) == canonical(body)
    assert "errors" not in body, body
    assert served.answers == [True]
    # (the benchmark's caller exactly; another at times fewer: a wave gathers the checks of
    # which levels it may see that the executor sends in separate ticks)
    bench_caller = "group_manager" if query == INBOX else "admin"
    assert (
        compiled_statements == executed if role == bench_caller else compiled_statements <= executed
    )
    # and the documents read what they were written for
    data = body["data"]
    if query == TREE:
        settings = data["groupClient"]["effectiveSettings"]
        assert settings["collectionSetting"]["value"] == "GROUP_BILLED"
    elif query == POLICIES:
        assert any(
            e["node"]["effectiveSettings"]["premiumSchedule"]["value"]
            for e in data["policies"]["edges"]
        )
    elif role == "group_manager":
        assert data["workflowTasks"]["totalCount"] == 2


FILTERS = {
    "a policy's status": ("policies", '{status: ACTIVE, search: "POL"}', ""),
    "a parent's id": ("groupClients", "$filter", '{"parentId": "R3JvdXBDbGllbnQ6MQ=="}'),
    "an id of no group": ("policies", "$filter", '{"groupClientId": "garbage"}'),
    "any state": ("workflowTasks", "{state: null, overdue: false}", ""),
    "an unknown enum": ("workflowTasks", "$filter", '{"state": "NOT_A_STATE"}'),
    "a wrong type": ("groupClients", "$filter", '{"rootsOnly": "yes"}'),
}


@pytest.mark.parametrize("name", list(FILTERS))
async def test_a_filter_gets_the_executors_answer(
    session: AsyncSession, both: Both, served: Served, name: str
) -> None:
    # given the book, and a filter given inline or by a variable, good or bad
    await _book(session)
    root, given, variable = FILTERS[name]
    kind = {"policies": "PolicyFilter", "groupClients": "GroupClientFilter"}.get(
        root, "WorkflowTaskFilter"
    )
    node = {"policies": "number", "groupClients": "code"}.get(root, "title state")
    declared = f"($filter: {kind})" if variable else ""
    query = (
        f"query{declared} {{ {root}(first: 10, filter: {given}) "
        f"{{ totalCount edges {{ node {{ {node} }} }} }} }}"
    )
    variables = {"filter": json.loads(variable)} if variable else {}
    # when it is sent to both apps, by an admin
    admin = Principal("admin-1", frozenset({Role.ADMIN}))
    (compiled_body, _), (body, _) = await both.send(admin, query, variables)
    # then the executor's answer from the plan, or the executor's errors (the plan declined a
    # value that does not convert; a variable that does not coerce finds no plan at all)
    assert canonical(compiled_body) == canonical(body)
    assert served.answers in (([], [False]) if "errors" in body else ([True],))


NODES = {
    "a policy": lambda ids: global_id("Policy", ids["policy"]),
    "a group client": lambda ids: global_id("GroupClient", ids["client"]),
    "another group's client": lambda ids: global_id("GroupClient", ids["other"]),
    "a row that is not there": lambda ids: global_id("GroupAccount", 10**6),
    "a type that is no row": lambda ids: global_id("PolicyConnection", 1),
    "the interface": lambda ids: global_id("Node", 1),
    "garbage": lambda ids: "garbage",
}


@pytest.mark.parametrize("role", ["admin", "group_manager"])
@pytest.mark.parametrize("name", list(NODES))
async def test_a_node_by_id_is_answered_by_its_plan_for_its_runtime_type(
    session: AsyncSession, both: Both, served: Served, role: str, name: str
) -> None:
    # given the book, and the global id of a row, of a hidden row, or of nothing
    await _book(session)
    ids = {
        "policy": await session.scalar(sa.select(sa.func.min(col(Policy.id)))),
        "client": await session.scalar(
            sa.select(col(GroupClient.id)).where(col(GroupClient.code) == ROOT)
        ),
        "other": await session.scalar(
            sa.select(col(GroupClient.id)).where(col(GroupClient.code) == "GLOBEX")
        ),
    }
    query = "query($id: ID!) { node(id: $id) { __typename id } again: node(id: $id) { id } }"
    # when it is asked of both apps
    (compiled_body, compiled_statements), (body, executed) = await both.send(
        viewers(ROOT)[role], query, {"id": NODES[name](ids)}
    )
    # then the plan gave the executor's answer, with the statements it sent
    assert canonical(compiled_body) == canonical(body)
    assert "errors" not in body, body
    assert served.answers == [True]
    assert compiled_statements == executed
    # and a row the caller sees is answered as its own type
    if name in ("a policy", "a group client"):
        assert body["data"]["node"]["__typename"] == {"a policy": "Policy"}.get(name, "GroupClient")


@pytest.mark.parametrize("query", [POLICIES, INBOX])
async def test_a_caller_refused_a_field_gets_the_executors_errors(
    session: AsyncSession, both: Both, served: Served, query: str
) -> None:
    # given the book, an employee of its first policy (who may not read settings) and a
    # partner of ROOT (who may not act on tasks)
    await _book(session)
    holder = await session.scalar(
        sa.select(col(Person.person_number))
        .join(Policy, col(Policy.subscriber_id) == col(Person.id))
        .order_by(col(Policy.id))
        .limit(1)
    )
    employee = Principal("emp-1", frozenset({Role.EMPLOYEE}), person=holder)
    partner = Principal("partner-1", frozenset({Role.PARTNER}), groups=frozenset({ROOT}))
    # when the document is sent to both apps
    caller = employee if query == POLICIES else partner
    (compiled_body, _), (body, _) = await both.send(caller, QUERIES[query])
    # then the plan declined, and the FORBIDDEN errors and nulls are the executor's
    assert served.answers == [False]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert canonical(compiled_body) == canonical(body)
