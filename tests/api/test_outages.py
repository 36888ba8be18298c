"""While the database cannot be reached, a live server answers 503 with Retry-After and the
code UNAVAILABLE, never the driver's text, and serves again once it can, without a restart."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import tokens
from authz.principal import Principal, Role
from migrations.runner import upgrade
from tests.graphql import answer
from tests.live import SECRET, environment, live_database, served, unreachable

LIST_CLIENTS = {"query": "{ groupClients(first: 5) { totalCount } }"}
ADMIN = tokens.issue(Principal("admin-1", frozenset({Role.ADMIN})), secret=SECRET)
MADE_UP_KEY = "gck_0123abcd4567_" + "s" * 43


async def _ask(base: str, credential: str = ADMIN) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"http://{base}/graphql",
            json=LIST_CLIENTS,
            headers={"Authorization": f"Bearer {credential}"},
        )


def assert_unavailable(response: httpx.Response, *never: str) -> None:
    """503, a wait to retry after, one coded GraphQL error, and nothing of the driver's text."""
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert response.json() == {
        "errors": [
            {
                "message": "The database cannot be reached right now; retry shortly.",
                "extensions": {"code": "UNAVAILABLE"},
            }
        ]
    }
    for text in ("SELECT", "FATAL", "sqlite", *never):
        assert text not in response.text


async def _until_served(base: str) -> httpx.Response:
    for _ in range(50):
        answer = await _ask(base)
        if answer.status_code != 503:
            return answer
        await asyncio.sleep(0.2)
    return answer


async def test_a_sqlite_file_that_cannot_be_opened_is_a_503_until_it_can(tmp_path: Path) -> None:
    # given a server on a SQLite file in a folder that does not exist yet
    folder = tmp_path / "not-yet"
    url = f"sqlite+aiosqlite:///{folder / 'book.db'}"
    env = {**os.environ, "GROUPCOVER_DATABASE_URL": url, "GROUPCOVER_SECRET_KEY": SECRET}
    async with served(env) as base:
        # when it is asked, with a token and with an API key
        with_token, with_key = await _ask(base), await _ask(base, MADE_UP_KEY)
        # and the file is then made
        folder.mkdir()
        await asyncio.to_thread(upgrade, url)
        later = await _until_served(base)
    # then
    assert_unavailable(with_token, str(folder))
    assert_unavailable(with_key, str(folder))
    assert later.status_code == 200, later.text
    assert answer(later.json()) == {"data": {"groupClients": {"totalCount": 0}}}


@pytest.mark.postgresql(reason="needs PostgreSQL")
async def test_a_postgresql_database_that_takes_no_connections_is_a_503_until_it_does(
    tmp_path: Path,
) -> None:
    async with live_database("postgresql", tmp_path) as live, served(environment(live)) as base:
        # given a server that has answered
        before = await _ask(base)
        # when its database refuses connections and ended the open ones
        during: list[Any] = []
        with unreachable(live.url):
            during += [await _ask(base), await _ask(base), await _ask(base, MADE_UP_KEY)]
        # and takes them again
        after = await _until_served(base)
    # then
    assert before.status_code == 200, before.text
    for refused in during:
        assert_unavailable(refused, live.url.rsplit("/", 1)[-1])
    assert after.status_code == 200, after.text
    assert after.json() == before.json()
