"""A full file (834 maintenance type 030): who is covered now and missing from the file.

A full file lists every member the sender covers. Its members are compared and made so row by
row (families.py); after them, each member covered in the group client (within the sender's
reach, on a policy with an employee number) whom no applied row of the file names is told on
a row of its own, at the file's last line, as a TERMINATE: the whole policy when its family is
missing, else the member. Their cover ends the day before the file was made (BGN03; today
without one), through the same services (`policyTerminate`, `policyMemberRemove`). A family
the file has but refused is left as it is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import visible
from domain.groups.models import GroupAccount
from domain.intake.census import CensusRow
from domain.intake.families import Outcome, apply_families
from domain.intake.models import RowAction, RowOutcome
from domain.intake.within import Within
from domain.policies.limits import PolicyLimits
from domain.policies.models import (
    Person,
    Policy,
    PolicyAccountLink,
    PolicyMember,
    PolicyStatus,
    Relationship,
)
from domain.policies.persons import PersonData


async def missing(
    session: AsyncSession,
    *,
    actor: Actor,
    limits: PolicyLimits,
    clients: Within,
    outcomes: list[Outcome],
    line: int,
    made: date | None,
) -> list[Outcome]:
    """End the cover of every member the full file leaves out; a row for each."""
    last = (made or limits.today()) - timedelta(days=1)
    refused = {o.row.employee_number for o in outcomes if o.outcome == RowOutcome.REFUSED}
    sent = {o.row.employee_number for o in outcomes}
    named = {o.person_id for o in outcomes if o.person_id is not None}
    gone: dict[str, list[CensusRow]] = defaultdict(list)
    for number, person, relationship in await _covered(session, actor, clients, last):
        if number in refused or person.id in named:
            continue
        if number not in sent and relationship != Relationship.SUBSCRIBER:
            continue  # the policy's end ends them too
        gone[number].append(_row(line, number, person, relationship, last))
    return await apply_families(
        session, actor=actor, limits=limits, clients=clients, families=list(gone.values())
    )


async def _covered(
    session: AsyncSession, actor: Actor, clients: Within, last: date
) -> list[tuple[str, Person, Relationship]]:
    """Each member covered after `last` in the clients' accounts, with their employee number."""
    in_client = (
        sa.select(col(PolicyAccountLink.policy_id))
        .join(GroupAccount, col(GroupAccount.id) == col(PolicyAccountLink.group_account_id))
        .where(col(GroupAccount.group_client_id).in_(clients.ids))
    )
    stmt = (
        sa.select(col(Policy.employee_number), Person, col(PolicyMember.relationship))
        .join(PolicyMember, col(PolicyMember.policy_id) == col(Policy.id))
        .join(Person, col(Person.id) == col(PolicyMember.person_id))
        .where(
            col(Policy.id).in_(in_client),
            col(Policy.employee_number).is_not(None),
            col(Policy.status) == PolicyStatus.ACTIVE,
            sa.or_(col(PolicyMember.end_date).is_(None), col(PolicyMember.end_date) > last),
            visible(actor.scope, Policy),
        )
        .order_by(col(Policy.employee_number), col(PolicyMember.id))
    )
    return [tuple(r) for r in (await session.execute(stmt)).all()]  # type: ignore[misc]


def _row(line: int, number: str, person: Person, relationship: Relationship, last: date) -> Any:
    return CensusRow(
        line=line,
        employee_number=number,
        relationship=relationship,
        action=RowAction.TERMINATE,
        person=PersonData(**{f.name: getattr(person, f.name) for f in fields(PersonData)}),
        member_id=person.national_id,
        end_date=last,
    )
