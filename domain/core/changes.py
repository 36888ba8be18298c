"""The one write path: every change, from any entry point, is made by `changing`.

A change looks its target up within the reach of the actor who asked (a row out of reach is
NOT_FOUND, exactly as an unknown id), checks the version the actor saw, snapshots the row,
lets the caller apply the change, then re-checks that the row is still within the actor's
reach, marks the group clients whose configuration holds the row CHANGED, and records the
audit event with its `Action`, all in the caller's transaction. Mutations, workflow steps
(as the requester, with the approver recorded), and later file rows, campaigns and webhooks
all write through it, so no entry point can skip a step.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor
from domain.audit.models import AuditEvent
from domain.audit.service import snapshot
from domain.core.errors import DomainError, ErrorCode, Problem, check_version
from domain.core.reach import Entity, entity, load_areas, visible

M = TypeVar("M")


class Action(StrEnum):
    """What a change did, as the audit trail names it (the mutation's name)."""

    GROUP_CLIENT_CREATE = "groupClientCreate"
    GROUP_CLIENT_UPDATE = "groupClientUpdate"
    GROUP_CLIENT_MOVE = "groupClientMove"
    GROUP_CLIENT_DELETE = "groupClientDelete"
    GROUP_CLIENT_SUBMIT = "groupClientSubmit"
    GROUP_ACCOUNT_CREATE = "groupAccountCreate"
    GROUP_ACCOUNT_UPDATE = "groupAccountUpdate"
    GROUP_ACCOUNT_TERMINATE = "groupAccountTerminate"
    INSURABLE_CLASS_CREATE = "insurableClassCreate"
    GROUP_ACCOUNT_PRODUCT_ADD = "groupAccountProductAdd"
    GROUP_ACCOUNT_PRODUCT_REMOVE = "groupAccountProductRemove"
    POLICY_ENROLL = "policyEnroll"
    POLICY_MEMBER_ADD = "policyMemberAdd"
    POLICY_MEMBER_REMOVE = "policyMemberRemove"
    POLICY_TERMINATE = "policyTerminate"
    POLICY_REINSTATE = "policyReinstate"
    POLICY_MOVE = "policyMove"
    POLICY_EMPLOYMENT_UPDATE = "policyEmploymentUpdate"
    POLICY_REFUND_ACCOUNT_SET = "policyRefundAccountSet"
    """Not a mutation yet: a DATA_CHANGE request's registration sets it."""
    POLICY_PRODUCT_UPGRADE = "policyProductUpgrade"
    """Not a mutation: a PRODUCT_UPGRADE request's registration, along the catalogue's path."""
    CATALOGUE_ITEM_ADD = "catalogueItemAdd"
    CATALOGUE_ITEM_END = "catalogueItemEnd"
    PERSON_UPDATE = "personUpdate"
    SETTING_SET = "settingSet"
    SETTING_REMOVE = "settingRemove"
    ADJUSTMENT_PERIOD_ADD = "adjustmentPeriodAdd"
    PREMIUM_SCHEDULE_CREATE = "premiumScheduleCreate"
    ADJUSTMENT_RULE_CREATE = "adjustmentRuleCreate"
    BROKER_AGENT_CREATE = "brokerAgentCreate"
    BILLING_ACCOUNT_CREATE = "billingAccountCreate"
    PROVIDER_GROUP_CREATE = "providerGroupCreate"
    PRODUCT_PARAMETER_CREATE = "productParameterCreate"
    LINE_OF_BUSINESS_CREATE = "lineOfBusinessCreate"
    LINE_OF_BUSINESS_UPDATE = "lineOfBusinessUpdate"
    DATA_ACCESS_GROUP_CREATE = "dataAccessGroupCreate"
    DATA_ACCESS_GROUP_UPDATE = "dataAccessGroupUpdate"
    PRODUCT_CREATE = "productCreate"
    PRODUCT_UPDATE = "productUpdate"
    VALIDATION_RULE_CREATE = "validationRuleCreate"
    VALIDATION_RULE_UPDATE = "validationRuleUpdate"
    ACCESS_GRANT_ADD = "accessGrantAdd"
    ACCESS_GRANT_REMOVE = "accessGrantRemove"
    API_KEY_CREATE = "apiKeyCreate"
    API_KEY_REVOKE = "apiKeyRevoke"
    WORKFLOW_REQUEST_SUBMIT = "workflowRequestSubmit"
    WORKFLOW_TASK_COMPLETE = "workflowTaskComplete"
    WORKFLOW_REQUEST_CANCEL = "workflowRequestCancel"
    WORKFLOW_REQUEST_REGISTER = "workflowRequestRegister"
    """Not a mutation: the server's step that registers an approved request as its sender."""
    POLICY_CHANGE_REVERSE = "policyChangeReverse"
    """Not a mutation: the server's step undoing a registration whose ratification was refused."""
    PERSON_CHANGE_REVERSE = "personChangeReverse"
    """Not a mutation: the same step giving a person back the data before the registration."""
    PROCESS_DEFINITION_DEPLOY = "processDefinitionDeploy"
    TRUSTED_DOCUMENT_ADD = "trustedDocumentAdd"
    """Not a mutation: an operator's `groupcover documents add`."""
    TRUSTED_DOCUMENT_REMOVE = "trustedDocumentRemove"
    """Not a mutation: an operator's `groupcover documents remove`."""
    ENROLLMENT_FILE_SUBMIT = "enrollmentFileSubmit"
    DYNAMIC_FIELD_DEFINE = "dynamicFieldDefine"
    DYNAMIC_FIELD_UPDATE = "dynamicFieldUpdate"
    ACCOUNT_TEAM_CREATE = "accountTeamCreate"
    ACCOUNT_TEAM_UPDATE = "accountTeamUpdate"
    ACCOUNT_TEAM_ASSIGN = "accountTeamAssign"
    DRUG_ADD = "drugAdd"
    """Not a mutation: a drug a claims file names for the first time."""
    CLAIMS_SUMMARY_LOAD = "claimsSummaryLoad"
    MARKET_EVENT_RECORD = "marketEventRecord"
    LETTER_TEMPLATE_CREATE = "letterTemplateCreate"
    LETTER_TEMPLATE_APPROVE = "letterTemplateApprove"
    DOCUMENT_CREATE = "documentCreate"
    """Not a mutation: a document made by a producer (a certificate, an ID card, a letter)."""
    EXPORT_CREATE = "exportCreate"
    WEBHOOK_ENDPOINT_CREATE = "webhookEndpointCreate"
    WEBHOOK_ENDPOINT_UPDATE = "webhookEndpointUpdate"
    WEBHOOK_ENDPOINT_DISABLE = "webhookEndpointDisable"
    """Also the server's, as the endpoint's owner, when the receiver answers 410 Gone."""
    WEBHOOK_DELIVERY_RETRY = "webhookDeliveryRetry"
    PREMIUM_SCHEDULE_RATE_SET = "premiumScheduleRateSet"
    PREMIUM_RUN_START = "premiumRunStart"
    PREMIUM_RUN_CHARGE = "premiumRunCharge"
    """Not a mutation: a premium run's background step writing a batch of its charges, as
    the actor who started the run."""
    PREMIUM_RUN_FINISH = "premiumRunFinish"
    """Not a mutation: a premium run's background step closing it with its outcome."""
    ENROLLMENT_FILE_APPLY = "enrollmentFileApply"
    """Not a mutation: the background job applying part of a large file, as its sender."""
    CAMPAIGN_DEFINITION_SHIP = "campaignDefinitionShip"
    """Not a mutation: the server keeps its shipped campaign definition on first use."""
    CAMPAIGN_RUN_START = "campaignRunStart"
    """Not a mutation: a market event starts a run of each campaign it matches."""
    CAMPAIGN_RUN_STEP = "campaignRunStep"
    """Not a mutation: a run's background steps (a client asked, a task expired, letters)."""
    CAMPAIGN_TASK_COMPLETE = "campaignTaskComplete"
    DOCUMENT_PURGE = "documentPurge"
    """Not a mutation: an operator's `groupcover documents purge` at the end of retention."""


@dataclass
class Change(Generic[M]):
    """One change in progress: its target (None until `add` for a new row) and its state."""

    session: AsyncSession
    actor: Actor
    action: Action
    model: type[M]
    target: M | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    """The state to record, when the caller knows it better than the row's columns."""
    deleted: bool = False
    marks_changed: bool = True
    tree_field: str | None = None
    _groups: set[int] = field(default_factory=set)

    @property
    def concerns(self) -> frozenset[int]:
        """The group clients whose configuration held the row before or holds it after."""
        return frozenset(self._groups)

    @property
    def row(self) -> M:
        """The target; a change that has none yet must `add` one first."""
        assert self.target is not None, "this change has no target yet"
        return self.target

    def add(self, row: M) -> M:
        """Make a new row the target of this change."""
        self.session.add(row)
        self.target = row
        return row

    async def delete(self) -> None:
        """Delete the target once the change is recorded."""
        self.deleted = True


async def find(session: AsyncSession, actor: Actor, model: type[M], row_id: int) -> M | None:
    """The row of `model` with this id if the actor reaches it; None as for an unknown id."""
    stmt = sa.select(model).where(model.id == row_id, visible(actor.scope, model))  # type: ignore[attr-defined]
    return await session.scalar(stmt)  # type: ignore[no-any-return]


async def load(
    session: AsyncSession, actor: Actor, model: type[M], row_id: int, *, field: str
) -> M:
    """The row the actor reaches, or a refusal of `field` that reads as for an unknown id."""
    row = await find(session, actor, model, row_id)
    if row is None:
        raise not_found(field, entity(model).noun)
    return row


def not_found(field: str, noun: str) -> DomainError:
    """The refusal of an id that names no row the caller may see; it never says which."""
    return DomainError(Problem((field,), ErrorCode.NOT_FOUND, f"No {noun} with this id."))


@asynccontextmanager
async def changing(
    session: AsyncSession,
    actor: Actor,
    action: Action,
    model: type[M],
    target_id: int | None = None,
    *,
    field: str = "id",
    version: int | None = None,
    marks_changed: bool = True,
    tree_field: str | None = None,
) -> AsyncIterator[Change[M]]:
    """Make one change to a row of `model` as `actor`; see the module's docstring.

    With `target_id`, the row is loaded within the actor's reach (`field` names the input at
    fault when it is not) and `version`, when given, must be the row's; without it, the
    block creates the row with `change.add`. `tree_field` names the input that places the
    row in the tree, blamed when a subtree grant no longer reaches the row.
    """
    declared = entity(model)
    change: Change[M] = Change(
        session, actor, action, model, marks_changed=marks_changed, tree_field=tree_field
    )
    if target_id is not None:
        change.target = await load(session, actor, model, target_id, field=field)
        if version is not None:
            check_version(change.target, version)
        change.before = await _state(session, declared, change.target)
        change._groups = await declared.groups(session, change.target)
    yield change
    await _finish([change], declared)


@asynccontextmanager
async def adding(
    session: AsyncSession,
    actor: Actor,
    action: Action,
    model: type[M],
    count: int,
    *,
    tree_field: str | None = None,
) -> AsyncIterator[list[Change[M]]]:
    """Create `count` rows of `model` as `actor`, one change each (`change.add` in the block),
    finished together as `changing` finishes one: the groups marked, the reach re-checked and
    the audit events written once for all, so a batch costs the statements of one change."""
    declared = entity(model)
    changes = [Change(session, actor, action, model, tree_field=tree_field) for _ in range(count)]
    yield changes
    await _finish(changes, declared)


async def _finish(changes: list[Change[Any]], declared: Entity) -> None:
    if not changes:
        return
    session, marked = changes[0].session, set()
    for change in changes:
        if not change.deleted:
            # Read before the flush, so that marking the groups and the change itself are
            # one UPDATE of each row (each UPDATE moves a row's version on).
            change._groups |= await declared.groups(session, change.row)
        else:
            await session.delete(change.row)
        if change.marks_changed:
            marked |= change._groups
    await mark_changed(session, marked)
    await session.flush()
    await _ensure_reachable([c for c in changes if not c.deleted], declared)
    for change in changes:
        row = change.row
        after = None if change.deleted else change.after or await _state(session, declared, row)
        audit = AuditEvent(
            actor=change.actor.subject,
            decided_by=change.actor.decided_by,
            action=change.action.value,
            entity_type=change.model.__name__,
            entity_id=row.id,
            before=change.before,
            after=after,
        )
        state = after if after is not None else change.before or {}
        await _RECORDERS[0](change, declared, state, audit)
    # What a recorder only added (a change without an event: its audit) is written now, as the
    # change is, so the transaction reads it; nothing pending sends nothing.
    await session.flush()


async def _state(session: AsyncSession, declared: Entity, row: Any) -> dict[str, Any]:
    if declared.snapshot is not None:
        return await declared.snapshot(session, row)
    return snapshot(row, omit=declared.omit)


async def _ensure_reachable(changes: list[Change[Any]], declared: Entity) -> None:
    """Refuse changes that would leave a row outside the rows the actor may change."""
    if not changes or changes[0].actor.scope.everything:
        return
    change, scope, model = changes[0], changes[0].actor.scope, changes[0].model
    ids = {c.row.id for c in changes}
    stmt = sa.select(model.id).where(model.id.in_(ids), visible(scope, model))
    if set(await change.session.scalars(stmt)) == ids:
        return
    fields = [*(declared.restriction_fields if scope.restrictions else ())]
    if scope.subtrees and change.tree_field:
        fields.append(change.tree_field)
    raise DomainError(
        *(
            Problem(
                (name,),
                ErrorCode.FORBIDDEN,
                "Your grants do not reach a row placed like this; choose a value they cover.",
            )
            for name in fields or ["id"]
        )
    )


Recorder = Callable[["Change[Any]", Entity, dict[str, Any], AuditEvent], Awaitable[None]]


async def write_audit(
    change: Change[Any], declared: Entity, state: dict[str, Any], audit: AuditEvent
) -> None:
    """Write the change's audit event alone (with the next flush)."""
    change.session.add(audit)


_RECORDERS: list[Recorder] = [write_audit]


def on_changed(recorder: Recorder) -> None:
    """Register how every change's audit event is written together with what else the change
    writes in its transaction (the events area's outbox: its event, in the same statement),
    given the change, its model's declaration, the state it left (the state before, for a
    deletion) and the audit event to write."""
    _RECORDERS[:] = [recorder]


Marker = Callable[[AsyncSession, set[int]], Awaitable[None]]
_MARKER: list[Marker] = []


def on_groups_changed(marker: Marker) -> None:
    """Register how group clients are marked CHANGED; the groups area does, once."""
    _MARKER[:] = [marker]


async def mark_changed(session: AsyncSession, group_client_ids: set[int]) -> None:
    """Mark these group clients CHANGED: their configuration must be approved again.

    A client the actor cannot see is marked too: restrictions are per row, and a change to an
    account the actor reaches changes its client's configuration all the same.
    """
    ids = {i for i in group_client_ids if i is not None}
    if ids:
        load_areas()
        await _MARKER[0](session, ids)
