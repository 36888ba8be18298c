"""Which requests a principal sees and which inbox tasks it may act on, as SQL predicates.

A request carries the group account, policy, person and restrictions it is about (copied
when it is submitted). Whoever submitted a request always sees it. A group manager sees the
requests of the accounts in their subtrees (but for those about someone's health) and acts
on the manager's tasks there; the back
office sees what its restrictions allow and acts on its own tasks and on any task that is
overdue (escalated); a vendor sees the requests of its types about its group clients (the
types the policy lets vendors take: by default none about health) and acts on their
back-office tasks of its task kinds; an employee sees the requests about themselves. Each
predicate is built once per scope (see authz.access.SCOPES).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import SCOPES, Outsourced, RowScope
from domain.core.reach import Entity, declare
from domain.groups import reach as groups
from domain.groups.models import GroupAccount
from domain.policies.models import Person
from domain.reference.reach import any_of, everyone, restricted
from domain.workflow.engine import Assignee
from domain.workflow.models import (
    ProcessDefinition,
    RequestType,
    WorkflowEvent,
    WorkflowRequest,
    WorkflowTask,
)

HEALTH_TYPES = (RequestType.MEDICAL_AUTHORIZATION, RequestType.VIDEO_CONSULTATION)
"""Requests about someone's health: never shown to the employer's managers or partners."""


def _fixed(types: Iterable[RequestType]) -> list[Any]:
    """Request types the code fixes, written into the SQL rather than sent as parameters.

    A statement psycopg has prepared (from its fifth run on a connection) is planned by
    PostgreSQL once for any parameters: not knowing which types `type NOT IN ($1, $2)` leaves
    out, it guessed that one request in 500 passes and chose nested loops over every request.
    Prepared, the group manager's inbox on the bench book took 2.1 ms of PostgreSQL's CPU for
    its page, 2.0 for its count and 2.1 for the timelines that way, and 0.8, 0.6 and 0.6 with
    the types written in. A request reads outside any transaction (domain.database's
    request_sessions), so nothing rolls back and psycopg keeps what it prepared across
    requests: each of the inbox's statements runs prepared from its sixth run on a connection."""
    kind = WorkflowRequest.__table__.c.type.type  # type: ignore[attr-defined]
    return [sa.literal(value, kind, literal_execute=True) for value in types]


def _in_subtrees(scope: RowScope) -> Any:
    if not scope.subtrees:
        return sa.false()
    return col(WorkflowRequest.type).not_in(_fixed(HEALTH_TYPES)) & col(
        WorkflowRequest.group_account_id
    ).in_(
        sa.select(col(GroupAccount.id)).where(
            groups.in_subtree(scope, col(GroupAccount.group_client_id))
        )
    )


def _of_vendor(work: Outsourced) -> Any:
    return col(WorkflowRequest.type).in_(sorted(work.types)) & col(
        WorkflowRequest.group_account_id
    ).in_(
        sa.select(col(GroupAccount.id)).where(
            groups.in_subtree(RowScope(subtrees=work.subtrees), col(GroupAccount.group_client_id))
        )
    )


def _outsourced(scope: RowScope) -> Any:
    """Requests of a vendor's types about its group clients."""
    return any_of(*(_of_vendor(work) for work in sorted(scope.outsourced, key=repr)))


def _vendor_tasks(scope: RowScope) -> Any:
    """Back-office tasks (joined with their request) of a vendor's work and task kinds."""
    return any_of(
        *(
            sa.and_(
                col(WorkflowTask.assignee) == Assignee.BACK_OFFICE,
                col(WorkflowTask.kind).in_(sorted(work.task_kinds))
                if work.task_kinds
                else sa.true(),
                _of_vendor(work),
            )
            for work in sorted(scope.outsourced, key=repr)
        )
    )


def _about_them(scope: RowScope) -> Any:
    if scope.person is None:
        return sa.false()
    return col(WorkflowRequest.person_id).in_(
        sa.select(col(Person.id)).where(col(Person.person_number) == scope.person)
    )


def _restricted(scope: RowScope) -> Any:
    return restricted(
        scope, col(WorkflowRequest.data_access_group_id), col(WorkflowRequest.line_of_business_id)
    )


@lru_cache(maxsize=SCOPES)
def requests(scope: RowScope) -> Any:
    """Requests the scope reaches, and those its holder submitted."""
    if scope.everything:
        return sa.true()
    return any_of(
        col(WorkflowRequest.submitted_by) == scope.subject
        if scope.subject is not None
        else sa.false(),
        _restricted(scope),
        _in_subtrees(scope),
        _outsourced(scope),
        _about_them(scope),
    )


@lru_cache(maxsize=SCOPES)
def actionable(manager: RowScope, back_office: RowScope) -> Any:
    """Tasks (joined with their request) that a manager's and a back office's scope act on."""
    if manager.everything or back_office.everything:
        return sa.true()
    return any_of(
        sa.and_(col(WorkflowTask.assignee) == Assignee.GROUP_MANAGER, _in_subtrees(manager))
        if manager.subtrees
        else sa.false(),
        sa.and_(
            sa.or_(
                col(WorkflowTask.assignee) == Assignee.BACK_OFFICE,
                col(WorkflowTask.escalated_at).is_not(None),
            ),
            _restricted(back_office),
        )
        if back_office.restrictions
        else sa.false(),
        _vendor_tasks(back_office),
    )


@lru_cache(maxsize=SCOPES)
def of_requests(scope: RowScope, request_id: Any) -> Any:
    """Rows that belong to a request the scope (or its sender) reaches."""
    if scope.everything:
        return sa.true()
    return request_id.in_(sa.select(col(WorkflowRequest.id)).where(requests(scope)))


async def _request_client(session: AsyncSession, request_id: int) -> set[int]:
    """The group client of the account a request is about (none for one about no account)."""
    account = await session.scalar(
        sa.select(col(WorkflowRequest.group_account_id)).where(
            col(WorkflowRequest.id) == request_id
        )
    )
    return await groups.client_of(session, account) if account is not None else set()


declare(
    WorkflowRequest,
    Entity(
        noun="workflow request",
        reach=requests,
        # The process state is the engine's; details and the sender's grants stay out of
        # the audit trail (the details name persons).
        omit=frozenset({"workflow", "details", "requester_scope"}),
        concerns=lambda session, row: _request_client(session, row.id),
    ),
)
declare(
    WorkflowTask,
    Entity(
        noun="task",
        reach=lambda scope: of_requests(scope, col(WorkflowTask.request_id)),
        concerns=lambda session, row: _request_client(session, row.request_id),
    ),
)
declare(
    WorkflowEvent,
    Entity(
        noun="timeline entry", reach=lambda scope: of_requests(scope, col(WorkflowEvent.request_id))
    ),
)
declare(
    ProcessDefinition,
    Entity(noun="process definition", reach=everyone, omit=frozenset({"bpmn", "dmn"})),
)
