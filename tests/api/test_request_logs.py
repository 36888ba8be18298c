"""One line per request, in JSON or plain text, that says what ran and never who was named."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.groups import queries
from tests.api.observed import client, request_lines
from tests.factories import Book, place
from tests.schema.policies.enrol import ENROLL, enrol_input, person

PAGE = "query Page { policies(first: 5) { edges { node { number } } } }"
NATIONAL_ID = "NID-77-SECRET-4411"


async def test_each_request_writes_one_json_line_with_what_it_did(
    sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    # given
    await Book(session).setup()
    with request_lines() as lines:
        async with client(sessions) as http:
            # when
            response = await http.post(
                "/graphql", json={"query": PAGE}, headers={"X-Request-ID": "req-123"}
            )
    # then
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-123"
    (line,) = lines
    logged = json.loads(line)
    assert logged["request_id"] == "req-123"
    assert logged["subject"] == "admin-1"
    assert (logged["operation"], logged["type"], logged["status"]) == ("Page", "query", 200)
    assert logged["outcome"] == "ok"
    assert logged["statements"] >= 2  # the grants, then the page and its count
    assert logged["duration_ms"] > 0


async def test_a_national_id_in_the_variables_leaves_no_trace_in_the_line(
    sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    # given an enrolment naming a person by national id, sent with a token
    acme = await place(await Book(session).setup())
    variables = enrol_input(acme, subscriber={"person": person("Ann", nationalId=NATIONAL_ID)})
    with request_lines() as lines:
        async with client(sessions) as http:
            # when
            response = await http.post("/graphql", json={"query": ENROLL, "variables": variables})
            token = http.headers["Authorization"].split()[1]
    # then the request ran and wrote statements, and its line names no value it carried
    assert response.json()["data"]["policyEnroll"]["errors"] == []
    (line,) = lines
    assert json.loads(line)["operation"] == "Enroll"
    for secret in (NATIONAL_ID, "Ann", token, token[-20:], "Doe"):
        assert secret not in line


async def test_refused_and_failed_requests_say_so(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given
    with request_lines() as lines:
        async with client(sessions) as http:
            # when: no token, then a document that does not parse, then a free-text name
            await http.post("/graphql", json={"query": PAGE}, headers={"Authorization": ""})
            await http.post("/graphql", json={"query": "{ nope"})
            await http.post("/graphql", json={"query": PAGE, "operationName": "Page\n{forged: 1}"})
    # then
    first, second, third = (json.loads(line) for line in lines)
    assert (first["status"], first["outcome"], first["subject"]) == (401, "refused", "-")
    assert (second["outcome"], second["errors"]) == ("errors", ["INVALID_REQUEST"])
    assert third["operation"] == "-"  # not a GraphQL name: not written as given


async def test_in_development_the_line_is_plain_text(
    sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    # given
    await Book(session).setup()
    with request_lines(json=False) as lines:
        async with client(sessions) as http:
            # when
            await http.post("/graphql", json={"query": PAGE})
    # then
    (line,) = lines
    assert line.startswith("200 ok query Page ")
    assert "subject=admin-1" in line


async def _boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("connection to 10.0.0.7 refused")


async def test_a_bug_is_a_failed_request_even_when_masked_in_production(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a query whose database work fails unexpectedly
    monkeypatch.setattr(queries, "list_group_clients", _boom)
    with request_lines() as lines:
        async with client(sessions, env="production") as http:
            # when
            await http.post("/graphql", json={"query": "{ groupClients(first: 1) { totalCount } }"})
    # then
    (line,) = lines
    assert (json.loads(line)["outcome"], json.loads(line)["errors"]) == ("failed", ["UNEXPECTED"])
    assert "10.0.0.7" not in line


@pytest.mark.parametrize("name", [{"a": 1}, ["Page"], 7])
async def test_an_operation_name_that_is_not_text_is_a_bad_request_and_logged_as_none(
    sessions: async_sessionmaker[AsyncSession], name: object
) -> None:
    # given / when: an object, a list or a number where the operation's name goes
    with request_lines() as lines:
        async with client(sessions) as http:
            response = await http.post("/graphql", json={"query": PAGE, "operationName": name})
    # then the request is refused as the spec says, and the line names no operation
    assert response.status_code == 400, response.text
    (line,) = lines
    assert (json.loads(line)["operation"], json.loads(line)["status"]) == ("-", 400)
