"""The limits' caches: a document's cost, kept by the page sizes its variables give, is the cost
reckoned afresh for any variables."""

from __future__ import annotations

from typing import Any

import pytest

from schema.core.cost import operation_cost
from schema.core.limits import Documents, QueryLimits
from schema.root import schema

PAGES = (
    "query($n: Int, $m: Int = 3, $f: PolicyFilter) { a: policies(first: $n, filter: $f) "
    "{ edges { node { number } } } b: policies(first: $m) { edges { node { number } } } }"
)


@pytest.mark.parametrize(
    "variables",
    [
        None,
        {},
        {"n": 7},
        {"n": 7, "m": 2},
        {"n": 0, "m": -4},
        {"n": 10_000},
        {"n": True},
        {"n": None, "m": None},
        {"n": "7"},
        {"n": 7.0},
        {"n": [7], "f": {"search": "x"}},
    ],
)
def test_a_cached_cost_is_the_cost_of_the_variables_sent(variables: Any) -> None:
    # given a schema's documents, which have costed the document for other variables first
    documents = Documents(QueryLimits(), production=False)
    graphql = schema._schema
    document = documents.parsed(PAGES)
    for other in ({"n": 1}, {"n": 7, "m": 2}, {"n": False}, None):
        documents.cost(graphql, document, None, other)
    # when it is costed for these, twice
    costs = [documents.cost(graphql, document, None, variables) for _ in range(2)]
    # then each time it costs what the document costs for them, reckoned afresh
    assert costs == [operation_cost(graphql, document.node, None, variables)] * 2
