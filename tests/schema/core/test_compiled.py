"""A covered query answered by its compiled plan gives the executor's answer, with its statements.

Each test sends the same document as the same caller to two apps on the same database
(tests/schema/core/conftest.py): one with compiled reads (the default), one without
(GROUPCOVER_COMPILED_READS=false). The answers must be the same JSON, and the plan must have
served the first when it covers the document; test_compiled_oracle.py does the same for
random documents, data and callers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from bench.load_queries import NESTED, QUERIES
from domain.policies.limits import utc_today
from schema.policies import queries as policy_queries
from tests.factories import Book, families, place, viewers
from tests.schema.core.conftest import Both, Served, canonical

NESTED_QUERY = QUERIES[NESTED]


async def _book(session: AsyncSession) -> dict[str, Principal]:
    book = await Book(session).setup()
    for code in ("ACME", "GLOBEX"):
        where = await place(book, code=code)
        await families(book, where, 3, since=utc_today() - timedelta(days=10))
    return viewers("ACME")


@pytest.mark.parametrize("role", ["admin", "backoffice", "group_manager"])
@pytest.mark.parametrize("query", [NESTED, "an employee's own coverage"])
async def test_the_benchmarks_documents_are_answered_by_their_plan_as_by_the_executor(
    session: AsyncSession, both: Both, served: Served, role: str, query: str
) -> None:
    # given two clients of 3 families each, and a caller who may read all or one of them
    principal = (await _book(session))[role]
    # when the benchmark's document is sent to both apps
    (compiled_body, compiled_statements), (body, executed) = await both.send(
        principal, QUERIES[query]
    )
    # then the same answer
    assert canonical(compiled_body) == canonical(body)
    # and the plan gave it, with as many statements
    assert "errors" not in body, body
    assert served.answers == [True]
    assert compiled_statements == executed


UNCOVERED = {
    "a filter of a field not covered": "query { workflowRequests(first: 2, "
    "filter: {state: SUBMITTED}) { edges { node { state } } } }",
    "a resolver not covered": "query { groupClients(first: 2) { edges { node { code "
    "lineOfBusiness { code } } } } }",
    "a directive not covered": "query { policies(first: 2) { edges @deprecated { node { number } } } }",
    "introspection": "query { __schema { queryType { name } } }",
    "a mutation": 'mutation { groupClientSubmit(input: {id: "x"}) { errors { code } } }',
}


@pytest.mark.parametrize("query", list(UNCOVERED.values()), ids=list(UNCOVERED))
async def test_a_document_the_plan_does_not_cover_runs_the_executor(
    session: AsyncSession, both: Both, served: Served, query: str
) -> None:
    # given a book an admin reads
    principal = (await _book(session))["admin"]
    # when a document with something no plan covers is sent
    (compiled_body, _), (body, _) = await both.send(principal, query)
    # then no plan was asked to answer it, and the executor's answer is the one given
    assert served.answers == []
    assert canonical(compiled_body) == canonical(body)


REFUSALS = {
    # A reporting user may read policies, not persons' names: a FORBIDDEN per member.
    "reporting": (
        Principal(
            "rep-1",
            frozenset({Role.REPORTING}),
            data_access_groups=frozenset({"EU"}),
            lines_of_business=frozenset({"HEALTH"}),
        ),
        NESTED,
    ),
    # An employee may read no group clients: one FORBIDDEN at the root.
    "employee": (Principal("emp-1", frozenset({Role.EMPLOYEE})), NESTED),
    # `first` out of range: the executor's error at the page's path.
    "a page too large": (Principal("admin-1", frozenset({Role.ADMIN})), "many"),
}


@pytest.mark.parametrize("who", list(REFUSALS))
async def test_a_refused_field_gets_the_executors_errors_at_the_same_paths(
    session: AsyncSession, both: Both, served: Served, who: str
) -> None:
    # given a book, and a caller refused something the document asks
    await _book(session)
    principal, name = REFUSALS[who]
    query = QUERIES.get(name) or "query { policies(first: 101) { edges { node { number } } } }"
    # when it is sent to both apps
    (compiled_body, _), (body, _) = await both.send(principal, query)
    # then the plan declined, and the errors, their paths and the nulls are the executor's
    assert served.answers == [False]
    assert body["errors"]
    assert canonical(compiled_body) == canonical(body)


async def test_a_plan_that_fails_half_way_leaves_the_answer_to_the_executor(
    session: AsyncSession, both: Both, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a book, and accounts' pages of policies that fail the first time they are read
    principal = (await _book(session))["admin"]
    pages = policy_queries.account_policies
    calls: list[int] = []

    async def failing_once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug met half way")
        return await pages(*args)

    monkeypatch.setattr(policy_queries, "account_policies", failing_once)
    # when the nested query is sent, first where the plan meets the failure
    (compiled_body, _), (body, _) = await both.send(principal, NESTED_QUERY)
    # then the plan gave up and the executor answered in full, as the other app did
    assert served.answers == [False]
    assert "errors" not in compiled_body, compiled_body
    assert canonical(compiled_body) == canonical(body)
