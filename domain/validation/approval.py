"""Validating and submitting a group client: the rules in sequence, enrichments as they go.

Each enabled rule, in its sequence, looks at the client (GROUP_CLIENT rules) or at each of
its accounts (GROUP_ACCOUNT rules). Where its condition holds, a rule with an enrichment
sets that setting on the object, and later rules see it; any other rule reports a
violation. Validating changes nothing; submitting keeps the enrichments and approves the
client only when no ERROR was found, and otherwise keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import EVERYTHING, Actor
from domain.audit.service import record, snapshot
from domain.core.columns import utcnow
from domain.core.errors import DomainError
from domain.groups.editing import load_client
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


@dataclass
class Outcome:
    """Everything the rules found, in the order they ran."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def approvable(self) -> bool:
        """No ERROR-level violation."""
        return not any(f.rule.severity == Severity.ERROR and not f.enriched for f in self.findings)


async def validate_group_client(
    session: AsyncSession, *, actor: Actor, group_client_id: int
) -> tuple[GroupClient, Outcome]:
    """Run the rules as a submit would, then undo whatever they did."""
    client = await load_client(session, group_client_id, field="id", scope=actor.scope)
    savepoint = await session.begin_nested()
    try:
        outcome = await _run(session, client)
    finally:
        await savepoint.rollback()
    await session.refresh(client)
    return client, outcome


async def submit_group_client(
    session: AsyncSession, *, actor: Actor, group_client_id: int
) -> tuple[GroupClient, Outcome]:
    """Run the rules; approve the client and keep the enrichments only if nothing failed."""
    client = await load_client(session, group_client_id, field="id", scope=actor.scope)
    before = snapshot(client)
    savepoint = await session.begin_nested()
    outcome = await _run(session, client)
    if not outcome.approvable:
        await savepoint.rollback()
        await session.refresh(client)
        return client, outcome
    await savepoint.commit()
    client.status = GroupStatus.APPROVED
    client.updated_at = utcnow()
    await record(
        session, actor=actor.subject, action="groupClientSubmit", entity=client, before=before
    )
    return client, outcome


# Enrichments are the rules' own doing, whoever submits: they reach the client they run on.
_RULES = Actor(subject="rules", scope=EVERYTHING)


async def _run(session: AsyncSession, client: GroupClient) -> Outcome:
    outcome = Outcome()
    day = utc_today()
    accounts = list(await accounts_of(session, client))
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
            enriched = rule.enrichment_setting is not None and await _enrich(session, rule, target)
            outcome.findings.append(
                Finding(rule, rule.level, target.id, target.code, enriched)  # type: ignore[arg-type]
            )
    return outcome


async def _enrich(
    session: AsyncSession, rule: ValidationRule, target: GroupClient | GroupAccount
) -> bool:
    """Set the rule's setting on the object from today; False when it cannot be set there
    (e.g. the object has it set from a later day), which then counts as a violation."""
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
                actor=_RULES,
                kind=kind,
                level=SettingLevel(rule.level.value),
                owner_id=target.id,  # type: ignore[arg-type]
                value=SettingValue(**value),
                start_date=utc_today(),
            )
    except DomainError:
        return False
    return True
