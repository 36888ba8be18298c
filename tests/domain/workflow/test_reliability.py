"""What survives a race and a crash: on a real database whose commits are real."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col

from api import jobs
from authz.access import EVERYTHING, NOTHING, Actor, RowScope
from authz.principal import Role
from domain.audit.models import AuditEvent
from domain.core.errors import DomainError, ErrorCode
from domain.core.transactions import atomic
from domain.policies.limits import PolicyLimits
from domain.policies.models import Policy
from domain.workflow import kinds, steps, submit, tasks
from domain.workflow.models import (
    Channel,
    Decision,
    RequestState,
    RequestType,
    WorkflowEvent,
    WorkflowRequest,
    WorkflowTask,
)
from tests.live import BACKENDS, Live, groupcover, live_database

LIMITS = PolicyLimits()
MANAGERS = RowScope(subtrees=frozenset({"ACME"}))


@pytest.fixture(params=BACKENDS)
async def live(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database(request.param, tmp_path) as database:
        yield database


async def _submit(live: Live, channel: Channel, type_: RequestType, **details: object) -> int:
    subject = {Channel.EMPLOYEE: "emp-1", Channel.GROUP_PORTAL: "hr-0"}[channel]
    async with live.sessions() as session, atomic(session):
        made = await submit.submit(
            session,
            actor=Actor(subject, EVERYTHING),
            roles=frozenset({Role.ADMIN}),
            limits=LIMITS,
            submission=submit.Submission(type_, channel, details),
        )
    return made.id  # type: ignore[return-value]


async def _state(live: Live, request_id: int) -> tuple[RequestState, bool]:
    async with live.sessions() as session:
        made = await session.get_one(WorkflowRequest, request_id)
        return made.state, made.waits_on_server


async def _count(live: Live, stmt: sa.Select) -> int:  # type: ignore[type-arg]
    async with live.sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())))


def _enrolment(live: Live, number: str) -> dict[str, object]:
    person = {
        "given_name": "Max",
        "family_name": "Roe",
        "birth_date": "1980-01-01",
        "gender": "MALE",
        "national_id": f"NID-{number}",
    }
    return {
        "enrolment": {
            "group_account_id": live.account_id,
            "start_date": date.today().isoformat(),
            "insurable_class_id": live.class_id,
            "number": number,
            "subscriber": {"person": person},
            "products": [{"product_code": "MED-PPO", "coverage_tier": "EMPLOYEE_ONLY"}],
        }
    }


async def test_two_managers_approving_at_once_one_wins_and_it_is_registered_once(
    live: Live,
) -> None:
    # given an employee's termination waiting for ACME's managers
    request_id = await _submit(
        live,
        Channel.EMPLOYEE,
        RequestType.TERMINATION,
        policy_id=live.policy_id,
        end_date=date.today().isoformat(),
    )
    async with live.sessions() as session:
        task_id = await session.scalar(
            sa.select(col(WorkflowTask.id)).where(col(WorkflowTask.request_id) == request_id)
        )

    async def approve(subject: str) -> str:
        async with live.sessions() as session:
            try:
                async with atomic(session):
                    await tasks.complete_task(
                        session,
                        actor=Actor(subject, MANAGERS),
                        manager=MANAGERS,
                        back_office=NOTHING,
                        given=tasks.TaskDecision(task_id, Decision.APPROVE, None, None),
                    )  # type: ignore[arg-type]
            except DomainError as error:
                return error.problems[0].code
            return "approved"

    # when both approve at the same moment, then the steps run, twice over
    outcomes = await asyncio.gather(approve("hr-1"), approve("hr-2"))
    await asyncio.gather(
        jobs.drive(live.sessions, LIMITS, request_id), jobs.drive(live.sessions, LIMITS, request_id)
    )
    # then
    assert sorted(outcomes) == sorted(["approved", ErrorCode.WRONG_STATUS])
    assert await _state(live, request_id) == (RequestState.COMPLETED, False)
    terminations = sa.select(AuditEvent).where(col(AuditEvent.action) == "policyTerminate")
    assert await _count(live, terminations) == 1
    registered = sa.select(WorkflowEvent).where(col(WorkflowEvent.action) == "REGISTERED")
    assert await _count(live, registered) == 1


async def test_a_crash_inside_a_step_loses_it_whole_and_a_restart_does_it_once(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an enrolment from the group portal: approved at once, registration due
    request_id = await _submit(
        live, Channel.GROUP_PORTAL, RequestType.ENROLMENT, **_enrolment(live, "P-CRASH")
    )
    registered = kinds.register

    async def register_then_lose_power(*args: object, **kwargs: object) -> object:
        await registered(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("power cut")

    monkeypatch.setattr(kinds, "register", register_then_lose_power)
    # when the server dies in the middle of the registration
    with pytest.raises(RuntimeError):
        await jobs.drive(live.sessions, LIMITS, request_id)
    monkeypatch.setattr(kinds, "register", registered)
    after_crash = await _state(live, request_id)
    policies_after_crash = await _count(
        live, sa.select(Policy).where(col(Policy.number) == "P-CRASH")
    )
    # and a new server starts: its sweep finds the request and runs its steps
    restarted = jobs.InProcess(live.sessions, LIMITS, autostart=False)
    await restarted.sweep()
    await restarted.drain()
    # then
    assert after_crash == (RequestState.APPROVED, True)
    assert policies_after_crash == 0
    assert await _state(live, request_id) == (RequestState.COMPLETED, False)
    assert await _count(live, sa.select(Policy).where(col(Policy.number) == "P-CRASH")) == 1


async def test_a_crash_between_two_steps_goes_on_from_the_second(live: Live) -> None:
    # given the registration committed, then the process died before telling the employee
    request_id = await _submit(
        live, Channel.GROUP_PORTAL, RequestType.ENROLMENT, **_enrolment(live, "P-HALF")
    )
    async with live.sessions() as session, atomic(session):
        more = await steps.server_step(session, request_id, LIMITS)
    # when a new server starts
    restarted = jobs.InProcess(live.sessions, LIMITS, autostart=False)
    await restarted.sweep()
    await restarted.drain()
    # then
    assert more is True
    assert await _state(live, request_id) == (RequestState.COMPLETED, False)
    async with live.sessions() as session:
        actions = (
            await session.scalars(
                sa.select(col(WorkflowEvent.action))
                .where(col(WorkflowEvent.request_id) == request_id)
                .order_by(col(WorkflowEvent.id))
            )
        ).all()
    assert actions.count("REGISTERED") == 1
    assert actions.count("NOTIFIED") == 1


@pytest.mark.postgresql(reason="the worker runs on PostgreSQL")
async def test_a_worker_killed_after_a_step_is_replaced_and_the_request_completes(
    live: Live, tmp_path: Path
) -> None:
    if not live.url.startswith("postgresql"):
        pytest.skip("the worker runs on PostgreSQL")
    # given a registration queued for a worker
    request_id = await _submit(
        live, Channel.GROUP_PORTAL, RequestType.ENROLMENT, **_enrolment(live, "P-KILL")
    )
    async with jobs.queue_on(live.url) as queue:
        await jobs.defer_advance(queue, request_id)
    # when the worker dies (os._exit, as by SIGKILL) right after its first committed step
    first = await groupcover(live, "worker", "--once", **{jobs.CRASH_AFTER: "1"})
    after_kill = await _state(live, request_id)
    # and a new worker starts
    second = await groupcover(live, "worker", "--once")
    # then
    assert first.returncode == 17, first.stderr.decode()[-2000:]
    assert after_kill == (RequestState.APPROVED, True)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    assert await _state(live, request_id) == (RequestState.COMPLETED, False)
    assert await _count(live, sa.select(Policy).where(col(Policy.number) == "P-KILL")) == 1
