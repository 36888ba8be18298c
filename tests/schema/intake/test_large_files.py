"""A file over the threshold is applied by its background job; its node shows the progress."""

from __future__ import annotations

from dataclasses import replace

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.jobs import InProcess
from domain.intake import background
from tests.conftest import SETTINGS
from tests.domain.intake.census import csv_of, family
from tests.factories import Place
from tests.schema.intake.test_enrollment_file_submit import ACME_HR, _client
from tests.schema.intake.upload import submitted

NODE = """
query File($id: ID!) {
  node(id: $id) { ... on EnrollmentFile { state rowsDone rowsTotal appliedRows refusedRows
    rows { line outcome } } }
}
"""


async def _node(http: AsyncClient, file_id: str) -> dict:  # type: ignore[type-arg]
    response = await http.post(
        "/graphql",
        json={"query": NODE, "variables": {"id": file_id}},
        headers={"Authorization": f"Bearer {ACME_HR}"},
    )
    return response.json()["data"]["node"]  # type: ignore[no-any-return]


async def test_a_large_file_is_applied_in_parts_by_its_job(
    sessions: async_sessionmaker[AsyncSession], acme: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a server that applies files of more than 4 rows in the background, in parts of 3
    monkeypatch.setattr(background, "PART_ROWS", 3)
    runner = InProcess(sessions, SETTINGS.policy_limits, autostart=False)
    app = create_app(replace(SETTINGS, intake_background_rows=4), sessions=sessions, runner=runner)
    data = csv_of(*family("E1", "Ann"), *family("E2", "Bob"), *family("E3", "Cy"))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        # when a 9-row file is sent
        payload = await submitted(http, ACME_HR, data, groupClientId=_client(acme))
        record = payload["enrollmentFile"]
        # then it is received, nothing applied yet
        assert (record["state"], record["rows"]) == ("RECEIVED", [])
        before = await _node(http, record["id"])
        assert (before["rowsDone"], before["rowsTotal"]) == (0, 9)
        # when its job runs
        await runner.drain()
        # then every part is applied and the node says so
        after = await _node(http, record["id"])
        assert (after["state"], after["rowsDone"], after["appliedRows"]) == ("APPLIED", 9, 9)
        assert [r["line"] for r in after["rows"]] == list(range(2, 11))
        # and the same file again changes nothing
        again = await submitted(http, ACME_HR, data, groupClientId=_client(acme))
        await runner.drain()
        second = await _node(http, again["enrollmentFile"]["id"])
        assert (second["state"], second["appliedRows"]) == ("APPLIED", 0)
        assert {r["outcome"] for r in second["rows"]} == {"NO_CHANGE"}


async def test_a_small_file_stays_in_the_request(
    sessions: async_sessionmaker[AsyncSession], acme: Place
) -> None:
    runner = InProcess(sessions, SETTINGS.policy_limits, autostart=False)
    app = create_app(replace(SETTINGS, intake_background_rows=4), sessions=sessions, runner=runner)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        payload = await submitted(http, ACME_HR, csv_of(*family("E1", "Ann")), groupClientId=_client(acme))  # fmt: skip
    assert payload["enrollmentFile"]["state"] == "APPLIED"
