"""Trusted documents over HTTP: a document named by its SHA-256 (Apollo's persisted query
format) runs the trusted text; with trusted-only on, nothing else runs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.jobs import InProcess
from authz.access import EVERYTHING, Actor
from authz.principal import Principal, Role
from domain.persisted import service
from domain.persisted.service import sha256_of
from tests.conftest import SETTINGS, token_for
from tests.factories import Book

OPERATOR = Actor("operator:test", EVERYTHING)
HEADERS = {"Authorization": f"Bearer {token_for(Principal('admin-1', frozenset({Role.ADMIN})))}"}
CLIENTS = "query Clients($first: Int!) { groupClients(first: $first) { edges { node { code } } } }"
COUNT = "query Count { groupClients(first: 1) { totalCount } }"
MUTATION = 'mutation Remove { accessGrantRemove(input: {id: "x"}) { removedId } }'
UNTRUSTED = "{ groupClients(first: 50) { edges { node { code name } } } }"


def persisted(text_or_hash: str) -> dict[str, Any]:
    digest = text_or_hash if len(text_or_hash) == 64 else sha256_of(text_or_hash)
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest.fixture
async def trusted(session: AsyncSession) -> None:
    """ACME and GLOBEX; CLIENTS, COUNT and MUTATION are trusted documents."""
    await add_documents(session)


async def add_documents(session: AsyncSession) -> None:
    """ACME and GLOBEX; CLIENTS, COUNT and MUTATION are trusted documents."""
    book = await Book(session).setup()
    await book.client(code="ACME")
    await book.client(code="GLOBEX")
    for text in (CLIENTS, COUNT, MUTATION):
        await service.add(session, actor=OPERATOR, text=text, operation_names=["x"])
    await session.commit()


@asynccontextmanager
async def _served(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess, *, only: bool
) -> AsyncIterator[AsyncClient]:
    settings = replace(SETTINGS, trusted_documents_only=only)
    app = create_app(settings, sessions=sessions, runner=runner)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
        http.headers.update(HEADERS)
        yield http


@pytest.fixture(params=[False, True], ids=["open", "trusted-only"])
async def client(
    request: pytest.FixtureRequest,
    sessions: async_sessionmaker[AsyncSession],
    runner: InProcess,
    trusted: None,
) -> AsyncIterator[AsyncClient]:
    """A signed-in admin's client, with trusted-only off and on."""
    async with _served(sessions, runner, only=request.param) as http:
        yield http


@pytest.fixture
async def strict(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess, trusted: None
) -> AsyncIterator[AsyncClient]:
    """A signed-in admin's client of a server that runs only trusted documents."""
    async with _served(sessions, runner, only=True) as http:
        yield http


@pytest.fixture
async def open_server(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess, trusted: None
) -> AsyncIterator[AsyncClient]:
    """A signed-in admin's client of a server that runs any document."""
    async with _served(sessions, runner, only=False) as http:
        yield http


def _codes(response: Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


def _clients(response: Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return [edge["node"]["code"] for edge in body["data"]["groupClients"]["edges"]]


async def test_a_hash_alone_runs_the_trusted_document_with_its_variables(
    client: AsyncClient,
) -> None:
    # when
    one = await client.post(
        "/graphql", json={"extensions": persisted(CLIENTS), "variables": {"first": 1}}
    )
    both = await client.post(
        "/graphql", json={"extensions": persisted(CLIENTS), "variables": {"first": 5}}
    )
    # then
    assert _clients(one) == ["ACME"]
    assert _clients(both) == ["ACME", "GLOBEX"]


async def test_an_unknown_hash_answers_apollos_persisted_query_not_found(
    client: AsyncClient,
) -> None:
    # given a hash of a document nobody trusted (an attacker's, or a newer app's)
    # when
    response = await client.post("/graphql", json={"extensions": persisted(UNTRUSTED)})
    # then the answer Apollo's clients retry on, which no cache may keep
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert response.headers["cache-control"] == "private, no-cache, must-revalidate"


async def test_a_trusted_hash_with_another_text_runs_nothing(client: AsyncClient) -> None:
    # given an attacker who knows a trusted hash and sends their own text with it
    # when
    response = await client.post(
        "/graphql", json={"query": MUTATION, "extensions": persisted(COUNT)}
    )
    # then
    assert response.status_code == 400
    assert _codes(response) == ["BAD_REQUEST"]
    assert "not the SHA-256 of the query" in response.text
    assert "data" not in response.json()


async def test_trusted_only_refuses_a_text_not_in_the_manifest(strict: AsyncClient) -> None:
    # when
    alone = await strict.post("/graphql", json={"query": UNTRUSTED})
    hashed = await strict.post(
        "/graphql", json={"query": UNTRUSTED, "extensions": persisted(UNTRUSTED)}
    )
    # then
    for response in (alone, hashed):
        assert response.status_code == 403
        assert _codes(response) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        assert "runs only trusted documents" in response.text


async def test_trusted_only_runs_a_trusted_text_sent_in_full(strict: AsyncClient) -> None:
    # when
    response = await strict.post("/graphql", json={"query": CLIENTS, "variables": {"first": 9}})
    # then
    assert _clients(response) == ["ACME", "GLOBEX"]


async def test_without_trusted_only_any_text_runs_and_is_not_registered(
    open_server: AsyncClient,
) -> None:
    # given a text sent with its hash, as Apollo's clients do after PersistedQueryNotFound
    sent = await open_server.post(
        "/graphql", json={"query": UNTRUSTED, "extensions": persisted(UNTRUSTED)}
    )
    # when the hash is sent alone again
    again = await open_server.post("/graphql", json={"extensions": persisted(UNTRUSTED)})
    # then the text ran, and no client put it in the manifest
    assert _clients(sent) == ["ACME", "GLOBEX"]
    assert _codes(again) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_get_by_hash_reads_and_no_shared_cache_keeps_it(client: AsyncClient) -> None:
    # when, as a CDN-friendly URL
    params = {
        "extensions": json.dumps(persisted(CLIENTS)),
        "variables": json.dumps({"first": 1}),
        "operationName": "Clients",
    }
    response = await client.get("/graphql", params=params, headers={"Accept": "*/*"})
    # then
    assert _clients(response) == ["ACME"]
    assert response.headers["cache-control"] == "private"


async def test_a_trusted_mutation_by_hash_over_get_is_refused(client: AsyncClient) -> None:
    # when
    params = {"extensions": json.dumps(persisted(MUTATION))}
    response = await client.get("/graphql", params=params)
    # then
    assert response.status_code == 400
    assert _codes(response) == ["BAD_REQUEST"]
    assert "mutations are not allowed when using GET" in response.text


async def test_a_browser_get_by_hash_is_no_graphiql_visit(
    open_server: AsyncClient,
) -> None:
    # given a browser without a token
    del open_server.headers["Authorization"]
    # when it asks for a document by hash
    response = await open_server.get(
        "/graphql",
        params={"extensions": json.dumps(persisted(COUNT))},
        headers={"Accept": "text/html"},
    )
    # then it must sign in like any other request
    assert response.status_code == 401


@pytest.mark.parametrize(
    "extensions",
    [
        pytest.param({"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}}, id="version 2"),
        pytest.param({"persistedQuery": {"version": 1, "sha256Hash": "xyz"}}, id="not a sha-256"),
        pytest.param({"persistedQuery": {"version": 1}}, id="no hash"),
        pytest.param({"persistedQuery": "abc"}, id="not an object"),
    ],
)
async def test_a_malformed_persisted_query_is_a_bad_request(
    strict: AsyncClient, extensions: dict[str, Any]
) -> None:
    # when
    response = await strict.post("/graphql", json={"extensions": extensions})
    # then
    assert response.status_code == 400
    assert _codes(response) == ["BAD_REQUEST"]
    assert "extensions.persistedQuery must be" in response.text


async def test_a_removed_document_stops_running_after_the_recheck(
    strict: AsyncClient, session: AsyncSession
) -> None:
    # given a process that ran COUNT, and then an operator removes it
    app: Any = strict._transport.app  # type: ignore[attr-defined]
    assert (await strict.post("/graphql", json={"extensions": persisted(COUNT)})).status_code == 200
    await service.remove(session, actor=OPERATOR, sha256=sha256_of(COUNT))
    await session.commit()
    documents = _documents_of(app)
    # when the process's memory of it is fresh, then stale
    fresh = await strict.post("/graphql", json={"extensions": persisted(COUNT)})
    documents.recheck_seconds = 0
    stale = await strict.post("/graphql", json={"extensions": persisted(COUNT)})
    # then
    assert fresh.json()["data"] == {"groupClients": {"totalCount": 2}}
    assert _codes(stale) == ["PERSISTED_QUERY_NOT_FOUND"]


def _documents_of(app: Any) -> Any:
    """The GraphQL view's trusted documents, found through the app's middleware."""
    route = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    layer = route.app
    while not hasattr(layer, "documents"):
        layer = layer.app
    return layer.documents


async def test_a_trusted_hash_costs_one_lookup_per_process_not_one_per_request(
    strict: AsyncClient, statements: Any
) -> None:
    # given
    body = {"extensions": persisted(COUNT)}
    statements.reset()
    # when the same hash is asked for three times
    for _ in range(3):
        assert (await strict.post("/graphql", json=body)).status_code == 200
    # then the manifest was read once
    lookups = [s for s in statements.statements if "trusted_document" in s]
    assert len(lookups) == 1, lookups


async def test_a_trusted_mutation_runs_by_hash_over_post(client: AsyncClient) -> None:
    # when the manifest is read first, then the mutation writes in its own transaction
    response = await client.post("/graphql", json={"extensions": persisted(MUTATION)})
    # then it ran (refusing the unknown id as data)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["accessGrantRemove"]["removedId"] is None, response.text
