"""A covered query answered by its compiled plan gives the executor's answer, with its statements.

Each test sends the same document as the same caller to two apps on the same database: one
with compiled reads (the default), one without (GROUPCOVER_COMPILED_READS=false). The answers
must be the same JSON, and the plan must have served the first when it covers the document.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from api.app import create_app
from api.jobs import InProcess
from authz.principal import Principal, Role
from bench.load_queries import NESTED, QUERIES
from domain.groups.models import GroupClient, InsurableClass
from domain.policies.limits import utc_today
from schema.core import compiled
from schema.core.relay import cursor_of
from schema.policies import queries as policy_queries
from tests.conftest import SETTINGS, StatementCounter, token_for
from tests.factories import Book, Place, families, place, viewers

NESTED_QUERY = QUERIES[NESTED]


class Served:
    """Which requests the plan answered (True) or declined (False), in order."""

    def __init__(self) -> None:
        self.answers: list[bool] = []

    def clear(self) -> None:
        self.answers.clear()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    seen = Served()
    answer = compiled.answer

    async def recording(*args: Any) -> Any:
        data = await answer(*args)
        seen.answers.append(data is not None)
        return data

    monkeypatch.setattr(compiled, "answer", recording)
    return seen


@pytest.fixture
async def executor(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess
) -> AsyncIterator[AsyncClient]:
    """An HTTP client of the app with compiled reads off: every field through graphql-core."""
    app = create_app(replace(SETTINGS, compiled_reads=False), sessions=sessions, runner=runner)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


class Both:
    """Sends one request to each app and keeps both bodies and statement counts."""

    def __init__(
        self, http: AsyncClient, executor: AsyncClient, statements: StatementCounter
    ) -> None:
        self.http = http
        self.executor = executor
        self.statements = statements

    async def send(
        self, principal: Principal, query: str, variables: dict[str, Any] | None = None
    ) -> tuple[Any, Any]:
        """(compiled body, statements), (executor body, statements)."""
        sent = {"query": query, "variables": variables or {}}
        headers = {"Authorization": f"Bearer {token_for(principal)}"}
        answers = []
        for client in (self.http, self.executor):
            self.statements.reset()
            response = await client.post("/graphql", json=sent, headers=headers)
            answers.append((response.json(), self.statements.count))
        return answers[0], answers[1]


@pytest.fixture
def both(http: AsyncClient, executor: AsyncClient, statements: StatementCounter) -> Both:
    return Both(http, executor, statements)


def canonical(body: Any) -> str:
    """The body as JSON with its keys in order: what 'the same answer' means here."""
    return json.dumps(body, sort_keys=True)


async def _book(session: AsyncSession) -> dict[str, Principal]:
    book = await Book(session).setup()
    for code in ("ACME", "GLOBEX"):
        where = await place(book, code=code)
        await families(book, where, 3, since=utc_today() - timedelta(days=10))
    return viewers("ACME")


@pytest.mark.parametrize("role", ["admin", "backoffice", "group_manager"])
@pytest.mark.parametrize("query", [NESTED, "an employee's own coverage"])
async def test_the_benchmarks_documents_are_answered_by_their_plan_as_by_the_executor(
    session: AsyncSession, both: Both, served: Served, database_url: str, role: str, query: str
) -> None:
    # given two clients of 3 families each, and a caller who may read all or one of them
    principal = (await _book(session))[role]
    # when the benchmark's document is sent to both apps
    (compiled_body, compiled_statements), (body, executed) = await both.send(
        principal, QUERIES[query]
    )
    # then the same answer
    assert canonical(compiled_body) == canonical(body)
    if "errors" in body and role == "group_manager" and database_url.startswith("postgresql"):
        # main's bug, not the plan's: the executor fails it too (see _GROUP_MANAGERS_PAGES)
        assert served.answers == [False]
        pytest.xfail(_GROUP_MANAGERS_PAGES)
    # and the plan gave it, with as many statements
    assert "errors" not in body, body
    assert served.answers == [True]
    assert compiled_statements == executed


_GROUP_MANAGERS_PAGES = (
    "On PostgreSQL a group manager's page of an account's policies (LATERAL) is a cartesian "
    "product to SQLAlchemy's linter, an error under the tests' warning filter"
)


UNCOVERED = {
    "a fragment": "query { policies(first: 2) { ...Page } } "
    "fragment Page on PolicyConnection { edges { node { number } } }",
    "a directive": "query { policies(first: 2) { edges @include(if: true) { node { number } } } }",
    "a filter": 'query { policies(first: 2, filter: {search: "x"}) { edges { node { number } } } }',
    "a resolver not covered": "query { policies(first: 2) { edges { node { number "
    "effectiveSettings { collectionSetting { value } } } } } }",
    "an interface": 'query { node(id: "x") { id } }',
    "a key twice": "query { policies(first: 1) { totalCount } policies(first: 1) { totalCount } }",
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


# --- random documents over random data and callers -------------------------------------------
#
# A document is drawn from a small grammar of what the plan covers: pages of group clients,
# their children, accounts and policies, policies with members, persons, products and
# employment, pageInfo, cursors, ids, aliases, `first` (sometimes a variable, sometimes out
# of range) and `asOf`. The data: clients (some under another) in EU or US, each with
# accounts of a few families, some policies moved to US, some not yet in force. The caller:
# one of the roles, with grants on a client or on data access groups.

TODAY = utc_today()
DAYS = (None, TODAY - timedelta(days=15), TODAY + timedelta(days=30))
FIRSTS = (0, 1, 2, 3, 100)
# No cursor, cursors of low and high row ids (the ids of an example's rows run on across
# examples); and at the root one this server never gave out (the executor's error). Not
# deeper: a refused `after` on a non-null page (children, groupAccounts) makes graphql-core
# cancel its siblings' statements mid-flight, which breaks the tests' shared connection,
# with or without plans (a bug of its own, see the report of issue 21's item 4).
AFTER = (None, None, cursor_of(3), cursor_of(40), cursor_of(2_000))
BAD_CURSOR = "not-a-cursor"


def _page(draw: Any, node: str, *, dated: bool, root: bool = False) -> str:
    first = draw(st.sampled_from(FIRSTS + ((101,) if root else ())))
    arguments = f"first: {'$n' if root else first}"
    after = draw(st.sampled_from(AFTER + ((BAD_CURSOR,) if root else ())))
    if after is not None:
        arguments += f', after: "{after}"'
    day = draw(st.sampled_from(DAYS)) if dated else None
    if day is not None:
        arguments += f', asOf: "{day.isoformat()}"'
    parts = []
    if draw(st.booleans()):
        parts.append("totalCount")
    if draw(st.booleans()):
        asked = draw(st.lists(st.sampled_from(PAGE_INFO), min_size=1, max_size=4, unique=True))
        parts.append("pageInfo { " + " ".join(asked) + " }")
    cursor = "cursor " if draw(st.booleans()) else ""
    parts.append(f"edges {{ {cursor}node {{ {node} }} }}")
    return f"({arguments}) {{ {' '.join(parts)} }}"


PAGE_INFO = ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")
PERSON = "person { id personNumber givenName familyName nationalId }"
MEMBER_FIELDS = ("relationship", "startDate", "endDate", "ageLimitDate", "refundIban", PERSON)
POLICY_FIELDS = (
    "id",
    "__typename",
    "number",
    "status",
    "startDate",
    "endDate",
    "version",
    "employment { employeeNumber salary }",
    "subscriber { personNumber givenName }",
    "groupAccount { code }",
)
ACCOUNT_FIELDS = ("id", "code", "name", "endDate", "version", "groupClient { code }")
CLIENT_FIELDS = (
    "id",
    "__typename",
    "code",
    "name",
    "status",
    "inPremiumCalculation",
    "parent { code }",
)


def _pick(draw: Any, fields: tuple[str, ...]) -> list[str]:
    """Some of `fields`, each perhaps under an alias of its own."""
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True))
    return [f"k{n}: {f}" if draw(st.booleans()) else f for n, f in enumerate(chosen)]


@st.composite
def policy_node(draw: Any) -> str:
    parts = _pick(draw, POLICY_FIELDS)
    if draw(st.booleans()):
        day = draw(st.sampled_from(DAYS))
        member = " ".join(_pick(draw, MEMBER_FIELDS))
        asked = f'(asOf: "{day.isoformat()}")' if day else ""
        parts.append(f"members{asked} {{ {member} }}")
    if draw(st.booleans()):
        parts.append("enrollmentProducts { coverageTier startDate product { code name } }")
    return " ".join(parts)


@st.composite
def account_node(draw: Any, depth: int) -> str:
    parts = _pick(draw, ACCOUNT_FIELDS)
    if depth and draw(st.booleans()):
        parts.append("policies" + _page(draw, draw(policy_node()), dated=True))
    return " ".join(parts)


@st.composite
def client_node(draw: Any, depth: int) -> str:
    parts = _pick(draw, CLIENT_FIELDS)
    if depth and draw(st.booleans()):
        parts.append("children" + _page(draw, draw(client_node(depth - 1)), dated=False))
    if depth and draw(st.booleans()):
        parts.append("groupAccounts" + _page(draw, draw(account_node(depth - 1)), dated=False))
    if depth and draw(st.booleans()):
        parts.append("policies" + _page(draw, draw(policy_node()), dated=True))
    return " ".join(parts)


@st.composite
def documents(draw: Any) -> tuple[str, int]:
    """A query and the `first` its variable $n gives the root page."""
    if draw(st.booleans()):
        root = "groupClients" + _page(draw, draw(client_node(2)), dated=False, root=True)
    else:
        root = "policies" + _page(draw, draw(policy_node()), dated=False, root=True)
    first = draw(st.sampled_from((*FIRSTS, 101)))
    return f"query Random($n: Int) {{ {root} }}", first


@dataclass(frozen=True)
class AccountDraft:
    families: int
    data_access_group: str
    since_days: int
    moved: int
    """How many of its policies are in the US data access group."""


@dataclass(frozen=True)
class ClientDraft:
    under_previous: bool
    data_access_group: str
    accounts: list[AccountDraft]


DRAFTS = st.lists(
    st.builds(
        ClientDraft,
        under_previous=st.booleans(),
        data_access_group=st.sampled_from(("EU", "US")),
        accounts=st.lists(
            st.builds(
                AccountDraft,
                families=st.integers(0, 3),
                data_access_group=st.sampled_from(("EU", "US")),
                since_days=st.sampled_from((-40, -5, 20)),
                moved=st.integers(0, 2),
            ),
            max_size=2,
        ),
    ),
    min_size=1,
    max_size=4,
)
CALLERS = st.one_of(
    st.just(Principal("admin-1", frozenset({Role.ADMIN}))),
    st.builds(
        lambda role, dags: Principal(
            "bo-1",
            frozenset({role}),
            data_access_groups=dags,
            lines_of_business=frozenset({"HEALTH"}),
        ),
        st.sampled_from((Role.BACKOFFICE, Role.REPORTING)),
        st.sampled_from((frozenset({"EU"}), frozenset({"US"}), frozenset({"EU", "US"}))),
    ),
    st.builds(
        lambda role, n: Principal("hr-1", frozenset({role}), groups=frozenset({f"RC{n}"})),
        st.sampled_from((Role.GROUP_MANAGER, Role.PARTNER)),
        st.integers(0, 3),
    ),
    st.just(Principal("emp-1", frozenset({Role.EMPLOYEE}))),
)


async def _write(session: AsyncSession, drafts: list[ClientDraft]) -> None:
    book = await Book(session).setup()
    dags = {"EU": book.dag_eu, "US": book.dag_us}
    made: list[GroupClient] = []
    for n, draft in enumerate(drafts):
        parent = made[-1] if draft.under_previous and made else None
        client = await book.client(parent, code=f"RC{n}", dag=dags[draft.data_access_group])
        made.append(client)
        for account_draft in draft.accounts:
            account = await book.account(client)
            account.data_access_group_id = dags[account_draft.data_access_group].id
            staff = InsurableClass(group_account_id=account.id, code="STAFF", name="Staff")
            session.add(staff)
            await session.flush()
            since = TODAY + timedelta(days=account_draft.since_days)
            where = Place(client, account, staff, staff)
            policies = await families(book, where, account_draft.families, since=since)
            for policy in policies[: account_draft.moved]:
                policy.data_access_group_id = book.dag_us.id
    await session.commit()


def _never_ran(body: dict[str, Any]) -> bool:
    """Refused before running (over the cost limit): neither path was asked."""
    return body.get("data") is None and all("path" not in e for e in body.get("errors", [1]))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drafts=DRAFTS, caller=CALLERS, document=documents())
async def test_a_random_read_gets_the_executors_answer_from_its_plan(
    connection: AsyncConnection,
    sessions: async_sessionmaker[AsyncSession],
    both: Both,
    served: Served,
    drafts: list[ClientDraft],
    caller: Principal,
    document: tuple[str, int],
) -> None:
    # Each example writes in a savepoint of its own, rolled back at its end.
    savepoint = await connection.begin_nested()
    served.clear()
    try:
        # given random clients, accounts and families, and a random caller
        async with sessions() as session:
            await _write(session, drafts)
        query, first = document
        # when the same random document is sent to both apps
        (compiled_body, compiled_statements), (body, executed) = await both.send(
            caller, query, {"n": first}
        )
        # then the answers are the same, byte for byte after key order; an answer with
        # errors is the executor's; one the plan gave took no more statements
        assert canonical(compiled_body) == canonical(body)
        if _never_ran(body):
            assert served.answers == []
        elif "errors" in body:
            assert served.answers == [False]  # a plan writes no error: the executor does
        elif served.answers == [True]:
            # Fewer at times: a wave gathers loads that the executor's unbatched pages
            # (GroupClient.policies reads each client's page alone) leave in separate ticks.
            assert compiled_statements <= executed
    finally:
        await savepoint.rollback()
