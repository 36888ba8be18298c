"""Bearer-token authentication of /graphql, over HTTP: who gets in, and what the others are told."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import tokens
from api.app import create_app
from api.settings import Settings
from authz.principal import Principal, Role
from tests.conftest import TEST_SECRET
from tests.factories import Book

LIST_CLIENTS = "{ groupClients(first: 5) { totalCount edges { node { code } } } }"
ADMIN = Principal(subject="admin-1", roles=frozenset({Role.ADMIN}))
OTHER_SECRET = "another-server-" + "y" * 40


async def post(http: AsyncClient, authorization: str | None) -> Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return await http.post("/graphql", json={"query": LIST_CLIENTS}, headers=headers)


def assert_unauthorized(response: Response, says: str) -> None:
    """A 401 with a JSON GraphQL error that says why, and the challenge a client needs."""
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert says in error["message"]
    assert "data" not in response.json()


def signed(claims: dict[str, object], *, algorithm: str = tokens.ALGORITHM) -> str:
    """A token signed with the test key: valid claims, overridden by `claims` (None drops one)."""
    now = datetime.now(UTC)
    base = {"iss": tokens.ISSUER, "sub": "someone", "iat": now, "exp": now + timedelta(hours=1)}
    merged = {name: value for name, value in {**base, **claims}.items() if value is not None}
    key = None if algorithm == "none" else TEST_SECRET
    return jwt.encode(merged, key, algorithm=algorithm)


async def test_a_request_without_a_token_is_refused_and_told_how_to_sign_in(
    http: AsyncClient,
) -> None:
    # when
    response = await post(http, None)
    # then
    assert_unauthorized(response, "Authorization: Bearer <token>")
    assert response.headers["content-type"].startswith("application/json")


async def test_a_token_signed_with_another_key_is_refused(http: AsyncClient) -> None:
    # given
    forged = tokens.issue(ADMIN, secret=OTHER_SECRET)
    # when
    response = await post(http, f"Bearer {forged}")
    # then
    assert_unauthorized(response, "signature")


async def test_an_expired_token_is_refused_saying_it_expired(http: AsyncClient) -> None:
    # given
    expired = tokens.issue(ADMIN, secret=TEST_SECRET, lifetime=timedelta(minutes=-1))
    # when
    response = await post(http, f"Bearer {expired}")
    # then
    assert_unauthorized(response, "expired")


async def test_a_token_that_got_in_is_refused_once_it_has_expired(http: AsyncClient) -> None:
    # given: a token that got in, so the server remembers it verified (the JWT's `exp` is in
    # whole seconds: it ends between one and two seconds from now)
    token = tokens.issue(ADMIN, secret=TEST_SECRET, lifetime=timedelta(seconds=2))
    assert (await post(http, f"Bearer {token}")).status_code == 200
    # when
    await asyncio.sleep(2.1)
    response = await post(http, f"Bearer {token}")
    # then
    assert_unauthorized(response, "expired")


def test_verified_tokens_forget_the_least_recently_used_beyond_their_bound() -> None:
    # given
    remembered = tokens.VerifiedTokens(TEST_SECRET, remember=2)
    first, second, third = (
        tokens.issue(
            Principal(subject=f"user-{n}", roles=frozenset({Role.ADMIN})), secret=TEST_SECRET
        )
        for n in range(3)
    )
    # when
    for token in (first, second, first, third):
        remembered.verified(token)
    # then: `second` went, the least recently used; each token still names its own subject
    assert list(remembered._known) == [first, third]
    assert remembered.verified(second)[0].subject == "user-1"


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Basic x", "must be `Bearer <token>`"),
        ("Bearer", "must be `Bearer <token>`"),
        ("Bearer    ", "must be `Bearer <token>`"),
        ("Bearer not.a.jwt", "malformed"),
        ("Bearer not-a-jwt-at-all", "malformed"),
    ],
)
async def test_a_malformed_authorization_header_is_refused(
    http: AsyncClient, header: str, says: str
) -> None:
    # when
    response = await post(http, header)
    # then
    assert_unauthorized(response, says)


async def test_a_token_with_an_unknown_role_is_refused(http: AsyncClient) -> None:
    # given: correctly signed, but naming a role this server does not know
    token = signed({"roles": ["superuser"]})
    # when
    response = await post(http, f"Bearer {token}")
    # then
    assert_unauthorized(response, "malformed")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"roles": {"admin": 1}}, id="roles as a mapping"),
        pytest.param({"roles": "admin"}, id="roles as a string"),
        pytest.param({"roles": [["admin"]]}, id="roles nested"),
        pytest.param({"groups": 5}, id="groups as a number"),
        pytest.param({"dags": [["EU"]]}, id="data access groups nested"),
        pytest.param({"lobs": {"HEALTH": True}}, id="lines as a mapping"),
        pytest.param({"person": 12}, id="person as a number"),
        pytest.param({"sub": ["admin"]}, id="subject as a list"),
    ],
)
async def test_a_signed_token_with_claims_of_the_wrong_shape_is_refused(
    http: AsyncClient, claims: dict[str, object]
) -> None:
    # given: signed with the server's own key, but a claim is not what the server issues
    token = signed({"roles": ["reporting"], **claims})
    # when
    response = await post(http, f"Bearer {token}")
    # then: refused as malformed, never read as a grant (nor a 500)
    assert_unauthorized(response, "malformed")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"iss": "someone-else"}, id="for another issuer"),
        pytest.param({"exp": None}, id="that never expires"),
        pytest.param({"sub": None}, id="without a subject"),
    ],
)
async def test_a_token_not_made_by_this_server_is_refused(
    http: AsyncClient, claims: dict[str, object]
) -> None:
    # given: correctly signed, claiming to be an administrator
    token = signed({"roles": ["admin"], **claims})
    # when
    response = await post(http, f"Bearer {token}")
    # then
    assert_unauthorized(response, "malformed")


async def test_an_unsigned_token_is_refused(http: AsyncClient) -> None:
    # given: the `alg: none` trick, claiming to be an administrator
    unsigned = signed({"roles": ["admin"]}, algorithm="none")
    # when
    response = await post(http, f"Bearer {unsigned}")
    # then
    assert_unauthorized(response, "malformed")


async def test_a_valid_token_gets_the_data(http: AsyncClient, session: AsyncSession) -> None:
    # given
    book = await Book(session).setup()
    await book.client(code="ACME")
    await session.commit()
    token = tokens.issue(ADMIN, secret=TEST_SECRET)
    # when
    response = await post(http, f"Bearer {token}")
    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    clients = body["data"]["groupClients"]
    assert clients["totalCount"] == 1
    assert [edge["node"]["code"] for edge in clients["edges"]] == ["ACME"]


async def test_the_scheme_name_is_case_insensitive(http: AsyncClient) -> None:
    # given
    token = tokens.issue(ADMIN, secret=TEST_SECRET)
    # when
    response = await post(http, f"bearer {token}")
    # then
    assert response.status_code == 200, response.text
    assert response.json()["data"]["groupClients"]["totalCount"] == 0


async def test_the_graphiql_page_opens_without_a_token_in_development(http: AsyncClient) -> None:
    # when
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_the_graphiql_exception_runs_no_query_without_a_token(http: AsyncClient) -> None:
    # when: a browser-like GET that carries a query
    response = await http.get(
        "/graphql", params={"query": LIST_CLIENTS}, headers={"Accept": "text/html"}
    )
    # then
    assert_unauthorized(response, "Authorization: Bearer <token>")


async def test_a_post_asking_for_html_still_needs_a_token(http: AsyncClient) -> None:
    # when
    response = await http.post(
        "/graphql", json={"query": LIST_CLIENTS}, headers={"Accept": "text/html"}
    )
    # then
    assert_unauthorized(response, "Authorization: Bearer <token>")


async def test_production_serves_no_graphiql_page_without_a_token(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given
    settings = Settings(database_url="unused", secret_key=TEST_SECRET, env="production")
    app = create_app(settings, sessions=sessions)
    # when
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})
    # then
    assert_unauthorized(response, "Authorization: Bearer <token>")


async def test_health_answers_without_a_token(http: AsyncClient) -> None:
    # when
    response = await http.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
