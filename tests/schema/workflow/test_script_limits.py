"""A process whose script loops fails its request saying why, a deploy whose trial run loops
is refused, and the server answers meanwhile (issue 14)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.jobs import InProcess
from authz.principal import Principal, Role
from domain.workflow import scripts
from domain.workflow.engine import shipped
from domain.workflow.scripts import ScriptLimits
from tests.api.served import served
from tests.conftest import SETTINGS, token_for
from tests.domain.workflow.test_engine import _scripted
from tests.graphql import GraphQLClient, ok, refused
from tests.schema.workflow.conftest import Cast
from tests.schema.workflow.requests import submitted
from tests.schema.workflow.test_process_definitions import DEPLOY

BPMN, DMN = shipped()
# Loops for a real request; the trial run at deployment has request_id 0 and passes.
LOOPS_ON_REQUESTS = _scripted("while request_id > 0:\n    x = 1")
LOOPS_ALWAYS = _scripted("while True:\n    x = 1")
ADMIN = Principal("admin-1", frozenset({Role.ADMIN}))


@pytest.fixture
def tight(cast: Cast) -> Iterator[None]:
    """Small limits (after the app has set its own from the settings)."""
    before = scripts.limits()
    scripts.configure(ScriptLimits(max_steps=10_000, max_seconds=5))
    yield
    scripts.configure(before)


async def test_a_request_whose_script_loops_fails_with_the_reason(cast: Cast, tight: None) -> None:
    # given a process whose script loops on every real request
    ok(await cast.admin.mutate(DEPLOY, {"input": {"bpmn": LOOPS_ON_REQUESTS, "dmn": DMN}}))
    # when an employee sends a request
    request = await submitted(
        cast.employee, type="CERTIFICATE", channel="EMPLOYEE", policyId=cast.policy_id
    )
    # then it failed, and its timeline says why
    assert request["state"] == "FAILED"
    assert request["timeline"][-1] == {
        "actor": "groupcover",
        "action": "FAILED",
        "state": "FAILED",
        "message": "The process stopped: `compute`: a script ran more than 10000 steps; "
        "it was stopped.",
    }


async def test_a_deploy_whose_trial_run_loops_is_refused(cast: Cast, tight: None) -> None:
    # when
    payload = await cast.admin.mutate(DEPLOY, {"input": {"bpmn": LOOPS_ALWAYS, "dmn": DMN}})
    # then
    refused(payload, "INVALID_FORMAT", ["input", "bpmn"])
    assert "a script ran more than 10000 steps" in payload["errors"][0]["message"]
    assert (await cast.admin.query("{ processDefinitions { version } }")) == {
        "processDefinitions": []
    }


async def test_the_server_answers_while_a_script_loops(
    sessions: async_sessionmaker[AsyncSession], runner: InProcess, database_url: str
) -> None:
    # given a server whose scripts may run 1.5 s, however many steps
    limits = ScriptLimits(max_steps=10**12, max_seconds=1.5)
    settings = replace(SETTINGS, database_url=database_url, script_limits=limits)
    app = create_app(settings, sessions=sessions, runner=runner)
    async with served(app) as base, httpx.AsyncClient(base_url=f"http://{base}") as http:
        admin = GraphQLClient(http, token_for(ADMIN))
        # when an admin deploys a process that loops, and /healthz is asked meanwhile
        deploying = asyncio.create_task(
            admin.mutate(DEPLOY, {"input": {"bpmn": LOOPS_ALWAYS, "dmn": DMN}})
        )
        await asyncio.sleep(0.3)
        waits = []
        while not deploying.done():
            started = time.monotonic()
            assert (await http.get("/healthz")).status_code == 200
            waits.append(time.monotonic() - started)
            await asyncio.sleep(0.05)
        payload = await deploying
    # then the deploy was refused after 1.5 s, and /healthz answered at once all along
    assert "ran longer than 1.5 s" in payload["errors"][0]["message"]
    assert len(waits) >= 5
    assert max(waits) < 0.5, waits
