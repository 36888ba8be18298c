"""A browser portal on its own origin calls the API: the origins in GROUPCOVER_CORS_ORIGINS may,
others get no CORS header at all, and a preflight needs no token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.settings import SettingsError, load_settings
from authz.principal import Principal, Role
from tests.conftest import SETTINGS, token_for
from tests.graphql import answer

PORTAL = "https://portal.example.com"
QUERY = {"query": "{ linesOfBusiness { code } }"}
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}
ADMIN_TOKEN = token_for(Principal(subject="admin-1", roles=frozenset({Role.ADMIN})))


@pytest.fixture
async def http(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncClient]:
    """The app allowing the portal's origin (and a local one) to call it."""
    settings = replace(SETTINGS, cors_origins=(PORTAL, "http://localhost:3000"))
    app = create_app(settings, sessions=sessions)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        yield client


def _cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("access-control-")}


async def test_a_preflight_from_an_allowed_origin_is_answered_without_a_token(
    http: AsyncClient,
) -> None:
    # when the browser asks whether the portal may send a token and JSON
    response = await http.options("/graphql", headers={"Origin": PORTAL, **PREFLIGHT})
    # then
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == PORTAL
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type"} <= {h.strip() for h in allowed.split(",")}
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


async def test_an_allowed_origin_reads_the_answer_and_the_reason_for_a_refusal(
    http: AsyncClient,
) -> None:
    # when the portal sends a query, once signed in and once not
    signed_in = await http.post(
        "/graphql", json=QUERY, headers={"Origin": PORTAL, "Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    anonymous = await http.post("/graphql", json=QUERY, headers={"Origin": PORTAL})
    # then both answers are readable by the page, the 401's challenge included
    assert answer(signed_in.json()) == {"data": {"linesOfBusiness": []}}
    assert signed_in.headers["access-control-allow-origin"] == PORTAL
    assert anonymous.status_code == 401
    assert anonymous.headers["access-control-allow-origin"] == PORTAL
    assert "www-authenticate" in anonymous.headers["access-control-expose-headers"].lower()


async def test_an_origin_not_listed_gets_no_cors_header(http: AsyncClient) -> None:
    # given a page on another origin
    evil = {"Origin": "https://evil.example.net"}
    # when it asks first, then sends anyway
    preflight = await http.options("/graphql", headers={**evil, **PREFLIGHT})
    sent = await http.post(
        "/graphql", json=QUERY, headers={**evil, "Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    # then the browser is allowed nothing, and the refusal is JSON like any other
    assert preflight.status_code == 400
    assert _cors_headers(dict(preflight.headers)) == {}
    (error,) = preflight.json()["errors"]
    assert error == {"message": "Disallowed CORS origin.", "extensions": {"code": "CORS_REFUSED"}}
    assert _cors_headers(dict(sent.headers)) == {}


async def test_no_origin_is_allowed_unless_configured(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given the default settings
    app = create_app(SETTINGS, sessions=sessions)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        # when
        response = await http.options("/graphql", headers={"Origin": PORTAL, **PREFLIGHT})
    # then
    assert response.status_code == 400
    assert _cors_headers(dict(response.headers)) == {}


def test_origins_are_read_as_browsers_send_them() -> None:
    # when
    settings = load_settings(
        {
            "GROUPCOVER_SECRET_KEY": "k" * 40,
            "GROUPCOVER_CORS_ORIGINS": " https://Portal.Example.com:443/ ,http://localhost:3000,",
        }
    )
    # then
    assert settings.cors_origins == ("https://portal.example.com", "http://localhost:3000")
    assert load_settings({"GROUPCOVER_SECRET_KEY": "k" * 40}).cors_origins == ()


@pytest.mark.parametrize(
    "value", ["*", "portal.example.com", "https://portal.example.com/app", "ftp://files", "null"]
)
def test_anything_but_an_origin_stops_the_server(value: str) -> None:
    with pytest.raises(SettingsError, match="GROUPCOVER_CORS_ORIGINS"):
        load_settings({"GROUPCOVER_SECRET_KEY": "k" * 40, "GROUPCOVER_CORS_ORIGINS": value})
