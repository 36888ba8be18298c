"""One refusal never empties an answer: every field that may be FORBIDDEN is nullable, and a
query of every field a role may not read answers FORBIDDEN at exactly those paths, data elsewhere.

Which fields a role may not read is not written here: it comes from the needs the fields were
declared with (`guarded`, `direct(need=...)`: schema.core.permissions.declared) and casbin's
answer for the role (authz.access.Access), so a new guarded field is tested the day it is added.
The query for a role is built from the schema: the shortest way from the root to each object
type through fields the role may read, then every field of that type it may not.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)
from httpx import AsyncClient

from authz.access import Access
from authz.principal import Principal
from schema.core.permissions import declared, need_of
from schema.core.relay import global_id
from schema.root import schema
from tests.authz.test_role_matrix import PRINCIPALS, World
from tests.authz.test_role_matrix import world as world  # the seeded rows, a fixture
from tests.conftest import token_for
from tests.graphql import GraphQLClient

Path = tuple[str, ...]

ARGUMENTS: dict[tuple[str, str], Any] = {
    ("Query", "person"): lambda w: {"id": global_id("Person", w.subscriber.id)},
    ("Query", "groupClient"): lambda w: {"code": w.root.code},
    ("Query", "groupAccount"): lambda w: {"code": w.account.code},
    ("Query", "policy"): lambda w: {"number": w.policy.number},
    ("Query", "claimsSummaries"): lambda w: {"personId": global_id("Person", w.subscriber.id)},
    ("Query", "membershipStats"): lambda w: {"asOf": "2026-01-01"},
    ("Query", "workflowStats"): lambda w: {"from": "2026-01-01", "to": "2026-01-31"},
    ("Query", "vendorStats"): lambda w: {"from": "2026-01-01", "to": "2026-01-31"},
    # Refused to a vendor only (every other role may call them), so walked for it alone.
    ("Query", "bills"): lambda w: {"filter": {"period": "2026-01"}},
    ("Query", "groupClientFhirBundle"): lambda w: {"code": w.root.code, "asOf": "2026-01-01"},
    ("Query", "groupClientX12File"): lambda w: {"code": w.root.code, "asOf": "2026-01-01"},
    ("Query", "webhookDeliveries"): lambda w: {"endpointId": global_id("WebhookEndpoint", 1)},
}
"""The arguments the walk passes to a field that needs some to answer (seeded rows); a field
with a required argument not given here is not walked through."""


@pytest.mark.parametrize(("type_name", "field_name"), [(t, f) for t, f, _, _ in declared(schema)])
def test_every_field_that_may_be_forbidden_is_nullable(type_name: str, field_name: str) -> None:
    # given
    graphql_type = schema._schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    # when
    declared_type = graphql_type.fields[field_name].type
    # then
    assert not isinstance(declared_type, GraphQLNonNull), (
        f"{type_name}.{field_name} may be FORBIDDEN, so it must be nullable"
    )


def test_fields_of_every_kind_are_declared() -> None:
    # given / when
    found = {(t, f) for t, f, _, _ in declared(schema)}
    # then: root fields, resolved fields and directly resolved fields all declare their need
    assert {("Query", "workflowTasks"), ("Policy", "effectiveSettings")} <= found
    assert {("Person", "nationalId"), ("Policy", "employment")} <= found


def _literal(value: Any) -> str:
    """A value as a GraphQL literal: an input object's keys are names, not strings."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


@dataclass
class Selection:
    """A node of the query being built: its arguments and the fields selected below it."""

    arguments: dict[str, Any] = field(default_factory=dict)
    below: dict[str, Selection] = field(default_factory=dict)

    def render(self) -> str:
        parts = []
        for name, child in self.below.items():
            args = ", ".join(f"{k}: {_literal(v)}" for k, v in child.arguments.items())
            head = f"{name}({args})" if args else name
            parts.append(f"{head} {child.render()}" if child.below else head)
        return "{ " + " ".join(parts) + " }"


def _forbidden(access: Access, graphql_field: GraphQLField) -> bool:
    need = need_of(graphql_field)
    return need is not None and not access.allows(need)


def _arguments(
    type_name: str, name: str, graphql_field: GraphQLField, world: World
) -> dict[str, Any] | None:
    """The arguments to walk through a field with; None when a required one has no value."""
    given = ARGUMENTS.get((type_name, name))
    if given is not None:
        return dict(given(world))
    required = [n for n, a in graphql_field.args.items() if isinstance(a.type, GraphQLNonNull)]
    return None if required else {}


def _shortest_ways(
    graphql_schema: GraphQLSchema, access: Access, world: World
) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """For each object type: the shortest way to it from Query through readable fields."""
    ways: dict[str, list[tuple[str, dict[str, Any]]]] = {"Query": []}
    queue = deque(["Query"])
    while queue:
        type_name = queue.popleft()
        graphql_type = graphql_schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        for name, graphql_field in graphql_type.fields.items():
            target = get_named_type(graphql_field.type)
            arguments = _arguments(type_name, name, graphql_field, world)
            if (
                not isinstance(target, GraphQLObjectType)
                or target.name in ways
                or _forbidden(access, graphql_field)
                or arguments is None
            ):
                continue
            ways[target.name] = [*ways[type_name], (name, arguments)]
            queue.append(target.name)
    return ways


def _query(access: Access, world: World) -> tuple[str, set[Path]]:
    """A query of every field the role may not read, and the paths where they are asked."""
    graphql_schema = schema._schema
    root, asked = Selection(), set()
    for type_name, way in _shortest_ways(graphql_schema, access, world).items():
        graphql_type = graphql_schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        refused = [n for n, f in graphql_type.fields.items() if _forbidden(access, f)]
        if not refused:
            continue
        node = root
        for name, arguments in way:
            node = node.below.setdefault(name, Selection(arguments))
        for name in refused:
            refused_field = graphql_type.fields[name]
            leaf = is_leaf_type(get_named_type(refused_field.type))
            node.below[name] = Selection(
                # A refused field with a required argument is asked with the seeded one.
                _arguments(type_name, name, refused_field, world) or {},
                below={} if leaf else {"__typename": Selection()},
            )
            asked.add((*(n for n, _ in way), name))
    return root.render(), asked


def _instances(data: Any, path: Path, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The concrete paths (with list indexes) where `path` is answered under a non-null parent."""
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield from _instances(item, path, (*at, index))
        return
    if data is None:
        return
    if len(path) == 1:
        yield (*at, path[0])
        return
    yield from _instances(data[path[0]], path[1:], (*at, path[0]))


@pytest.mark.parametrize("role", [r for r in PRINCIPALS if r != "admin"])
async def test_a_query_of_every_forbidden_field_keeps_the_rest(
    http: AsyncClient, world: World, role: str
) -> None:
    # given
    principal: Principal = PRINCIPALS[role]
    query, asked = _query(Access(principal), world)
    caller = GraphQLClient(http, token_for(principal))
    # when
    body = await caller.raw(query)
    # then
    assert body["data"] is not None, body
    answered = {instance for path in asked for instance in _instances(body["data"], path)}
    errors = body.get("errors", [])
    assert {e["extensions"]["code"] for e in errors} <= {"FORBIDDEN"}, errors
    assert sorted(map(tuple, (e["path"] for e in errors)), key=str) == sorted(answered, key=str)
    assert answered, f"the seeded rows let {role} meet none of the fields it may not read"


def test_admin_may_read_every_field() -> None:
    access = Access(PRINCIPALS["admin"])
    assert [(t, f) for t, f, _, need in declared(schema) if not access.allows(need)] == []
