"""exportCreate, the Export node and GET /exports/{id}: each role gets the rows it reaches,
the fields it may read, and only its own files."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.jobs import InProcess
from domain.audit.models import AuditEvent
from domain.policies.models import Person
from schema.core.relay import global_id
from tests.conftest import StatementCounter, token_for
from tests.graphql import GraphQLClient
from tests.schema.reports.books import callers, employers

CREATE = """
mutation Create($input: ExportCreateInput!) {
  exportCreate(input: $input) {
    export { id state progress downloadPath }
    errors { field code message }
  }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) { ... on Export { state kind totalRows writtenRows progress downloadPath } }
}
"""
LIST = "query { exports(first: 100) { totalCount edges { node { kind state } } } }"


async def _export(
    http: AsyncClient, runner: InProcess, principal: Any, **input: Any
) -> tuple[GraphQLClient, dict[str, Any]]:
    """Ask for an export, let the background write it, and read its node."""
    client = GraphQLClient(http, token_for(principal))
    payload = await client.mutate(CREATE, {"input": {"format": "CSV", **input}})
    assert payload["errors"] == [], payload
    assert payload["export"]["state"] == "QUEUED"
    await runner.drain()
    node = (await client.query(NODE, {"id": payload["export"]["id"]}))["node"]
    return client, node


async def _download(http: AsyncClient, client: GraphQLClient, path: str) -> list[dict[str, str]]:
    response = await http.get(path, headers=client.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


# Members exported: ACME's 3 families of three for every restricted role, and GLOBEX's 2
# for the admin; names only for the roles that may read personal fields.
MEMBERS = {
    "admin": (15, True),
    "backoffice": (9, True),
    "group_manager": (9, True),
    "partner": (9, True),
    "reporting": (9, False),
}


@pytest.mark.parametrize("role", list(MEMBERS))
async def test_each_role_exports_the_members_it_reaches_with_the_fields_it_may_read(
    http: AsyncClient, session: AsyncSession, runner: InProcess, role: str
) -> None:
    # given
    await employers(session)
    # when
    client, node = await _export(http, runner, callers("-")[role], kind="MEMBERS")
    rows = await _download(http, client, node["downloadPath"])
    # then
    count, personal = MEMBERS[role]
    assert node["state"] == "READY"
    assert (node["totalRows"], node["writtenRows"], node["progress"]) == (count, count, 1.0)
    assert len(rows) == count
    assert all(bool(r["given_name"]) is personal for r in rows)
    assert all(bool(r["birth_date"]) is personal for r in rows)
    assert {r["relationship"] for r in rows} == {"SUBSCRIBER", "SPOUSE", "CHILD"}


async def test_an_employee_may_not_export(http: AsyncClient, session: AsyncSession) -> None:
    await employers(session, acme=1, globex=0)
    client = GraphQLClient(http, token_for(callers("-")["employee"]))
    body = await client.raw(CREATE, {"input": {"kind": "POLICIES"}})
    assert body["data"] == {"exportCreate": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_audit_events_are_exported_by_admins_only(
    http: AsyncClient, session: AsyncSession, runner: InProcess
) -> None:
    # given an audited change
    await employers(session, acme=1, globex=0)
    session.add(AuditEvent(actor="x", action="policyEnroll", entity_type="Policy", entity_id=1))
    await session.commit()
    # when the back office asks, then it is refused naming the kind, and nothing is saved
    office = GraphQLClient(http, token_for(callers("-")["backoffice"]))
    payload = await office.mutate(CREATE, {"input": {"kind": "AUDIT_EVENTS"}})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        (["input", "kind"], "FORBIDDEN")
    ]
    assert (await office.query(LIST))["exports"]["totalCount"] == 0
    # and an admin gets the trail, without before/after states
    admin, node = await _export(http, runner, callers("-")["admin"], kind="AUDIT_EVENTS")
    rows = await _download(http, admin, node["downloadPath"])
    assert rows and set(rows[0]) == {
        "event_id",
        "occurred_at",
        "actor",
        "decided_by",
        "action",
        "entity_type",
        "entity_id",
    }


async def test_only_the_requester_finds_and_downloads_an_export(
    http: AsyncClient, session: AsyncSession, runner: InProcess
) -> None:
    # given the back office's export
    await employers(session, acme=1, globex=0)
    mine, node = await _export(http, runner, callers("-")["backoffice"], kind="POLICIES")
    path = node["downloadPath"]
    # when someone else with the right to export asks for it
    other = GraphQLClient(http, token_for(callers("-")["reporting"]))
    # then it does not exist for them: not listed, not a node, 404 like an unknown id
    assert (await other.query(LIST))["exports"]["totalCount"] == 0
    assert (await http.get(path, headers=other.headers)).status_code == 404
    assert (await http.get("/exports/999999", headers=mine.headers)).status_code == 404
    assert (await http.get(path)).status_code == 401
    assert (await mine.query(LIST))["exports"]["totalCount"] == 1


async def test_formula_looking_cells_are_escaped(
    http: AsyncClient, session: AsyncSession, runner: InProcess
) -> None:
    # given names that a spreadsheet would run as formulas
    made = await employers(session, acme=2, globex=0)
    names = ['=HYPERLINK("http://x")', "+1-2", "-3", "@SUM(A1)"]
    for n, policy in enumerate(made.acme_policies):
        person = await session.get(Person, policy.subscriber_id)
        assert person is not None
        person.given_name, person.family_name = names[2 * n], names[2 * n + 1]
    await session.commit()
    # when
    client, node = await _export(http, runner, callers("-")["admin"], kind="MEMBERS")
    rows = await _download(http, client, node["downloadPath"])
    # then each is kept whole behind an apostrophe: text, never a formula
    found = {r["given_name"] for r in rows} | {r["family_name"] for r in rows}
    assert {f"'{name}" for name in names} <= found
    assert not any(value.startswith(("=", "+", "-", "@")) for r in rows for value in r.values())


async def test_filters_and_bad_filters(
    http: AsyncClient, session: AsyncSession, runner: InProcess
) -> None:
    # given
    made = await employers(session)
    admin = callers("-")["admin"]
    globex = f"{made.globex.client.id}"
    # when an admin exports GLOBEX's policies only
    _client, node = await _export(
        http,
        runner,
        admin,
        kind="POLICIES",
        filter={"groupClientId": global_id("GroupClient", int(globex)), "asOf": "2026-03-01"},
    )
    # then
    assert node["totalRows"] == 2
    # and a range over 366 days is refused naming it, nothing saved
    client = GraphQLClient(http, token_for(admin))
    payload = await client.mutate(
        CREATE,
        {
            "input": {
                "kind": "WORKFLOW_REQUESTS",
                "filter": {"from": "2025-01-01", "to": "2026-06-01"},
            }
        },
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        (["input", "filter", "to"], "INVALID_FORMAT")
    ]
    # and the group manager naming GLOBEX (another tenant) exports nothing, as for no client
    _client, node = await _export(
        http,
        runner,
        callers("-")["group_manager"],
        kind="POLICIES",
        filter={"groupClientId": global_id("GroupClient", int(globex))},
    )
    assert (node["state"], node["totalRows"]) == ("READY", 0)


@pytest.mark.parametrize("size", [1, 12])
async def test_the_list_of_exports_costs_a_fixed_number_of_statements(
    http: AsyncClient, session: AsyncSession, statements: StatementCounter, size: int
) -> None:
    # given
    await employers(session, acme=1, globex=0)
    client = GraphQLClient(http, token_for(callers("-")["admin"]))
    for _ in range(size):
        await client.mutate(CREATE, {"input": {"kind": "POLICIES"}})
    statements.reset()
    # when
    data = await client.query(LIST)
    # then: the page and its count
    assert data["exports"]["totalCount"] == size
    assert statements.count == 2


async def test_creating_an_export_is_audited(http: AsyncClient, session: AsyncSession) -> None:
    await employers(session, acme=1, globex=0)
    client = GraphQLClient(http, token_for(callers("-")["reporting"]))
    await client.mutate(CREATE, {"input": {"kind": "MEMBERS"}})
    audited = await session.scalar(
        sa.select(AuditEvent).where(col(AuditEvent.action) == "exportCreate")
    )
    assert audited is not None and audited.actor == "rep-1"
    assert "scope" not in (audited.after or {})
