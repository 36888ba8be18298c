"""The cost limit: every query this project sends is within it, and the fan-outs are not."""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import GraphQLError, parse, validate

from schema.core.cost import operation_cost
from schema.core.limits import QueryLimits
from schema.root import schema

ROOT = Path(__file__).resolve().parents[3]
LIMIT = QueryLimits().max_cost
HISTORY = (
    "history { members { relationship person { givenName } } groupAccounts { groupAccount { code } } "
    "insurableClasses { insurableClass { code } } enrollmentProducts { product { code } } }"
)
SETTINGS = (
    "effectiveSettings { premiumSchedule { value { code } source { level } } "
    "brokerAgent { value { code } source { level } } collectionSetting { value source { level } } }"
)
ALIASED_PAGES = (
    "{ "
    + " ".join(
        f"p{i}: policies(first: 100) {{ edges {{ node {{ number {HISTORY} {SETTINGS} }} }} }}"
        for i in range(30)
    )
    + " }"
)
FAN_OUT = (
    "{ groupClients(first: 100) { edges { node { code children { edges { node { code "
    "groupAccounts { edges { node { code policies { edges { node { number } } } } } } } } } } } } }"
)


def _cost(query: str, variables: dict[str, object] | None = None) -> int:
    return operation_cost(schema._schema, parse(query), None, variables)


def _documents(text: str) -> Iterator[str]:
    """The GraphQL documents among strings: those that parse and are valid for our schema."""
    try:
        document = parse(text)
    except GraphQLError:
        return
    if not validate(schema._schema, document):
        yield text


def _module_strings(path: Path) -> Iterator[str]:
    """Every string constant of a module (queries are module-level constants here)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "{" in node.value:
            yield node.value


def _built_queries() -> Iterator[str]:
    """Queries the benchmarks build at import time (bench.load's tree, and its dict)."""
    for path in sorted((ROOT / "bench").glob("*.py")):
        module = importlib.import_module(f"bench.{path.stem}")
        for value in vars(module).values():
            if isinstance(value, str):
                yield value
            elif isinstance(value, dict):
                yield from (v for v in value.values() if isinstance(v, str))


def _readme_queries() -> Iterator[str]:
    text = (ROOT / "README.md").read_text()
    for body in re.findall(r"-d '(\{.*?\})'", text):
        yield json.loads(body)["query"]
    yield from re.findall(r"^```graphql\n(.*?)^```", text, re.M | re.S)


def _every_query() -> list[str]:
    # This module's own fan-outs are meant to be over the limit.
    sources = [
        p
        for d in ("tests", "bench")
        for p in sorted((ROOT / d).rglob("*.py"))
        if p != Path(__file__).resolve()
    ]
    found = [q for path in sources for s in _module_strings(path) for q in _documents(s)]
    found += [q for s in [*_built_queries(), *_readme_queries()] for q in _documents(s)]
    return list(dict.fromkeys(found))


def test_every_query_of_the_tests_benchmarks_and_readme_is_within_the_default_limit() -> None:
    # given every query this project sends
    queries = _every_query()
    assert len(queries) > 100, "the collection found too few queries to mean anything"
    # then none costs more than the default limit
    over = {q[:120]: _cost(q) for q in queries if _cost(q) > LIMIT}
    assert over == {}


@pytest.mark.parametrize("query", [ALIASED_PAGES, FAN_OUT], ids=["aliased pages", "fan-out"])
def test_the_fan_outs_of_issue_14_cost_more_than_the_limit(query: str) -> None:
    assert _cost(query) > LIMIT


def test_a_connection_multiplies_what_its_edges_hold_by_its_first() -> None:
    # each policy: the node (1) and its subscriber (1); the connection and its edges: 2
    query = "query($n: Int) { policies(first: $n) { totalCount edges { node { subscriber { givenName } } } } }"
    assert _cost(query, {"n": 10}) == 2 + 10 * 2
    assert _cost(query, {}) == 2 + 100 * 2  # the default page
    assert _cost(query.replace("$n: Int", "$n: Int = 3"), {}) == 2 + 3 * 2


def test_a_list_multiplies_by_its_declared_bound_and_fragments_count_where_spread() -> None:
    # Policy.members declares 10; a spread fragment costs what its fields would
    inline = '{ policy(number: "P") { members { person { givenName } } } }'
    spread = '{ policy(number: "P") { ...M } } fragment M on Policy { members { ...P } } fragment P on PolicyMember { person { givenName } }'
    assert _cost(inline) == _cost(spread) == 1 + (1 + 10 * 1)
