"""The one change unit: within the actor's reach, on the current version, audited, marking the
group CHANGED once, and never leaving a row where the actor's grants do not reach."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import EVERYTHING, Actor, Restriction, RowScope
from domain.audit.models import AuditEvent
from domain.core.changes import Action, changing
from domain.core.errors import DomainError, ErrorCode
from domain.core.transactions import atomic
from domain.groups.models import GroupAccount, GroupClient, GroupStatus
from tests.factories import Book

EU_HEALTH = RowScope(
    restrictions=frozenset({Restriction(frozenset({"EU"}), frozenset({"HEALTH"}))}), writes=True
)
BACK_OFFICE = Actor("bo-1", EU_HEALTH)
ADMIN = Actor("admin-1", EVERYTHING)
Refusal = list[tuple[ErrorCode, tuple[str, ...], str]]


@pytest.fixture
async def book(session: AsyncSession) -> Book:
    return await Book(session).setup()


async def _approved(session: AsyncSession, *clients: GroupClient) -> None:
    for client in clients:
        client.status = GroupStatus.APPROVED
    await session.commit()


_UPDATES = {GroupClient: Action.GROUP_CLIENT_UPDATE, GroupAccount: Action.GROUP_ACCOUNT_UPDATE}


async def _rename(
    session: AsyncSession, actor: Actor, model: Any, row_id: int, **given: Any
) -> None:
    """Rename a row as `actor`, in a transaction of its own, as a mutation would."""
    action = _UPDATES[model]
    async with atomic(session), changing(session, actor, action, model, row_id, **given) as change:
        change.row.name = "Renamed"


async def _refusal(session: AsyncSession, actor: Actor, client_id: int, **given: Any) -> Refusal:
    with pytest.raises(DomainError) as refused:
        await _rename(session, actor, GroupClient, client_id, **given)
    return [(p.code, p.field, p.message) for p in refused.value.problems]


async def _events(session: AsyncSession) -> list[AuditEvent]:
    return list((await session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))).all())


async def test_a_row_out_of_reach_reads_exactly_as_an_unknown_id(
    session: AsyncSession, book: Book
) -> None:
    # given a US client, and a back office granted EU only
    hidden = await book.client(code="US-CO", dag=book.dag_us)
    await session.commit()
    # when
    out_of_reach = await _refusal(session, BACK_OFFICE, hidden.id)  # type: ignore[arg-type]
    unknown = await _refusal(session, BACK_OFFICE, 999_999)
    # then
    assert (
        out_of_reach == unknown == [(ErrorCode.NOT_FOUND, ("id",), "No group client with this id.")]
    )
    assert await _events(session) == []


async def test_a_change_on_a_stale_version_is_refused(session: AsyncSession, book: Book) -> None:
    # given
    client = await book.client(code="ACME")
    await session.commit()
    # when
    refusal = await _refusal(session, ADMIN, client.id, version=client.version + 1)  # type: ignore[arg-type]
    # then
    assert [(code, field) for code, field, _ in refusal] == [
        (ErrorCode.STALE_VERSION, ("version",))
    ]
    await session.refresh(client)
    assert (client.name, client.version) == ("Client", 1)


async def test_a_change_is_audited_with_its_action_the_states_and_who_decided(
    session: AsyncSession, book: Book
) -> None:
    # given a back office acting on a manager's decision
    client = await book.client(code="ACME")
    await session.commit()
    actor = Actor("bo-1", EU_HEALTH, decided_by="hr-2")
    # when
    await _rename(session, actor, GroupClient, client.id, version=1)  # type: ignore[arg-type]
    # then
    (event,) = await _events(session)
    assert (event.action, event.actor, event.decided_by) == ("groupClientUpdate", "bo-1", "hr-2")
    assert (event.entity_type, event.entity_id) == ("GroupClient", client.id)
    assert event.before is not None and event.after is not None
    assert (event.before["name"], event.after["name"]) == ("Client", "Renamed")
    assert (event.before["version"], event.after["version"]) == (1, 2)


async def test_a_deletion_is_audited_with_no_state_after(session: AsyncSession, book: Book) -> None:
    # given
    client = await book.client(code="GONE")
    await session.commit()
    # when
    async with (
        atomic(session),
        changing(session, ADMIN, Action.GROUP_CLIENT_DELETE, GroupClient, client.id) as change,
    ):
        await change.delete()
    # then
    (event,) = await _events(session)
    assert (event.action, event.entity_id, event.after) == ("groupClientDelete", client.id, None)
    assert event.before is not None and event.before["code"] == "GONE"
    assert await session.get(GroupClient, client.id) is None


async def test_a_change_marks_its_group_changed_once(session: AsyncSession, book: Book) -> None:
    # given an approved client with an account
    client = await book.client(code="ACME")
    account = await book.account(client, code="ACME-GA")
    await _approved(session, client)
    # when its account changes, then the client itself
    await _rename(session, ADMIN, GroupAccount, account.id)  # type: ignore[arg-type]
    after_account = (client.status, client.version)
    await _rename(session, ADMIN, GroupClient, client.id)  # type: ignore[arg-type]
    # then each change moved the client's version by one, the mark and the change alike
    assert after_account == (GroupStatus.CHANGED, 3)
    assert (client.status, client.version) == (GroupStatus.CHANGED, 4)


async def test_a_change_that_must_not_mark_leaves_the_status_alone(
    session: AsyncSession, book: Book
) -> None:
    # given
    client = await book.client(code="ACME")
    await _approved(session, client)
    # when (as a submit approves)
    async with (
        atomic(session),
        changing(
            session,
            ADMIN,
            Action.GROUP_CLIENT_SUBMIT,
            GroupClient,
            client.id,
            marks_changed=False,
        ) as change,
    ):
        change.row.name = "Renamed"
    # then
    assert (client.status, client.version) == (GroupStatus.APPROVED, 3)


async def test_a_change_that_leaves_the_actors_reach_is_refused_and_nothing_saved(
    session: AsyncSession, book: Book
) -> None:
    # given an approved EU client, and a back office granted EU only
    client = await book.client(code="ACME")
    await _approved(session, client)
    eu, us = book.dag_eu.id, book.dag_us.id
    # when the back office moves it to the US data access group
    with pytest.raises(DomainError) as refused:
        async with (
            atomic(session),
            changing(
                session, BACK_OFFICE, Action.GROUP_CLIENT_UPDATE, GroupClient, client.id
            ) as change,
        ):
            change.row.data_access_group_id = us  # type: ignore[assignment]
    # then the fields that decide reach are blamed
    assert [(p.code, p.field) for p in refused.value.problems] == [
        (ErrorCode.FORBIDDEN, ("line_of_business",)),
        (ErrorCode.FORBIDDEN, ("data_access_group",)),
    ]
    # and nothing was kept: not the change, its mark, or an audit event
    await session.refresh(client)
    assert (client.data_access_group_id, client.status, client.version) == (
        eu,
        GroupStatus.APPROVED,
        2,
    )
    assert await _events(session) == []
