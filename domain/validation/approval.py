"""Validating and submitting a group client: the rules in sequence, enrichments as they go.

Each enabled rule, in its sequence, looks at the client (GROUP_CLIENT rules) or at each of
its accounts (GROUP_ACCOUNT rules). Where its condition holds, a rule with an enrichment
sets that setting on the object, and later rules see it; any other rule reports a
violation. Validating changes nothing; submitting keeps the enrichments and approves the
client only when no ERROR was found, and otherwise keeps nothing.

The rules look at every account of the client, whoever asks: an approval covers the whole
configuration. Enrichments are the caller's changes, made through the write path within
their reach (an account out of it cannot be enriched, which counts as a violation), and a
finding on an account the caller cannot see is counted, never named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, load
from domain.core.columns import utcnow
from domain.core.errors import DomainError
from domain.core.reach import visible
from domain.groups.models import GroupAccount, GroupClient, GroupStatus
from domain.policies.limits import utc_today
from domain.settings.models import SettingKind, SettingLevel
from domain.settings.service import SettingValue, set_setting
from domain.validation.conditions import holds
from domain.validation.facts import account_facts, accounts_of, client_facts
from domain.validation.models import RuleLevel, Severity, ValidationRule
from domain.validation.service import enabled_rules


@dataclass(frozen=True)
class Finding:
    """What one rule did to or found on one object."""

    rule: ValidationRule
    level: RuleLevel
    object_id: int
    object_code: str
    enriched: bool
    reached: bool = True
    """Whether the caller reaches the object; one they do not is counted, never named."""


@dataclass
class Outcome:
    """Everything the rules found, in the order they ran."""

    every: list[Finding] = field(default_factory=list)
    """Including the findings on objects the caller cannot see: for deciding, not showing."""

    @property
    def approvable(self) -> bool:
        """No ERROR-level violation, on any object."""
        return not any(f.rule.severity == Severity.ERROR and not f.enriched for f in self.every)

    @property
    def findings(self) -> list[Finding]:
        """The findings on objects the caller reaches."""
        return [f for f in self.every if f.reached]

    @property
    def hidden(self) -> int:
        """How many findings are on objects the caller cannot see."""
        return sum(not f.reached for f in self.every)


async def validate_group_client(
    session: AsyncSession, *, actor: Actor, group_client_id: int
) -> tuple[GroupClient, Outcome]:
    """Run the rules as a submit would, then undo whatever they did."""
    client = await load(session, actor, GroupClient, group_client_id, field="id")
    savepoint = await session.begin_nested()
    try:
        outcome = await _run(session, actor, client)
    finally:
        await savepoint.rollback()
    await session.refresh(client)
    return client, outcome


async def submit_group_client(
    session: AsyncSession, *, actor: Actor, group_client_id: int
) -> tuple[GroupClient, Outcome]:
    """Run the rules; approve the client and keep the enrichments only if nothing failed."""
    client = await load(session, actor, GroupClient, group_client_id, field="id")
    savepoint = await session.begin_nested()
    outcome = await _run(session, actor, client)
    if not outcome.approvable:
        await savepoint.rollback()
        await session.refresh(client)
        return client, outcome
    await savepoint.commit()
    # Approving is the one change to a client that must not make it CHANGED again.
    async with changing(
        session, actor, Action.GROUP_CLIENT_SUBMIT, GroupClient, client.id, marks_changed=False
    ) as change:
        change.row.status = GroupStatus.APPROVED
        change.row.updated_at = utcnow()
    return change.row, outcome


async def _run(session: AsyncSession, actor: Actor, client: GroupClient) -> Outcome:
    outcome = Outcome()
    day = utc_today()
    accounts = list(await accounts_of(session, client))
    reached = await _reached(session, actor, accounts)
    for rule in await enabled_rules(session):
        targets: list[GroupClient | GroupAccount] = (
            [client] if rule.level is RuleLevel.GROUP_CLIENT else list(accounts)
        )
        for target in targets:
            facts = await (
                client_facts(session, target, day)  # type: ignore[arg-type]
                if isinstance(target, GroupClient)
                else account_facts(session, target, day)
            )
            if not holds(rule.condition, facts):
                continue
            enriched = rule.enrichment_setting is not None and await _enrich(
                session, actor, rule, target
            )
            seen = isinstance(target, GroupClient) or target.id in reached
            outcome.every.append(
                Finding(rule, rule.level, target.id, target.code, enriched, seen)  # type: ignore[arg-type]
            )
    return outcome


async def _reached(
    session: AsyncSession, actor: Actor, accounts: Sequence[GroupAccount]
) -> set[int]:
    """The ids of the accounts the actor reaches (restrictions are per row, not inherited)."""
    if not accounts:
        return set()
    stmt = sa.select(col(GroupAccount.id)).where(
        col(GroupAccount.id).in_([a.id for a in accounts]), visible(actor.scope, GroupAccount)
    )
    return set(await session.scalars(stmt))


async def _enrich(
    session: AsyncSession, actor: Actor, rule: ValidationRule, target: GroupClient | GroupAccount
) -> bool:
    """Set the rule's setting on the object from today, as the actor, the rule deciding; False
    when it cannot be set there (set from a later day, or the object is out of the actor's
    reach), which then counts as a violation."""
    kind = rule.enrichment_setting
    assert kind is not None and rule.enrichment_value is not None
    field = {
        SettingKind.COLLECTION_SETTING: "collection_setting",
        SettingKind.BILL_ALLOCATION: "bill_allocation",
        SettingKind.GROUP_COMMISSION_RATE: "group_commission_rate",
        SettingKind.PROCESS_FLOW: "process_flow",
    }[kind]
    given: Any = rule.enrichment_value
    if kind is SettingKind.GROUP_COMMISSION_RATE:
        given = Decimal(given)
    value = {field: given}
    try:
        async with session.begin_nested():
            await set_setting(
                session,
                actor=replace(actor, decided_by=f"rule {rule.code}"),
                kind=kind,
                level=SettingLevel(rule.level.value),
                owner_id=target.id,  # type: ignore[arg-type]
                value=SettingValue(**value),
                start_date=utc_today(),
                marks_changed=False,
            )
    except DomainError:
        return False
    return True
