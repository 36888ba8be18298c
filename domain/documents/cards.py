"""Member ID cards: a card-sized PDF of a policy's cover on a day."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core import changes
from domain.core.columns import utcnow
from domain.core.periods import in_force
from domain.documents.models import Document, DocumentKind
from domain.documents.producing import produce
from domain.groups.models import GroupAccount, GroupClient
from domain.policies.insured import insured_on, products_on
from domain.policies.models import Person, Policy, PolicyAccountLink


async def issue_id_card(
    session: AsyncSession, *, actor: Actor, policy_id: int, day: date
) -> Document:
    """Make an ID card of a policy the actor reaches, as its cover stands on `day`."""
    policy = await changes.load(session, actor, Policy, policy_id, field="policyId")
    assert policy.id is not None
    subscriber = await session.get_one(Person, policy.subscriber_id)
    employer = await session.scalar(
        sa.select(col(GroupClient.name))
        .join(GroupAccount, col(GroupAccount.group_client_id) == col(GroupClient.id))
        .join(PolicyAccountLink, col(PolicyAccountLink.group_account_id) == col(GroupAccount.id))
        .where(col(PolicyAccountLink.policy_id) == policy.id, in_force(PolicyAccountLink, day))
        .limit(1)
    )
    data = {
        "memberName": f"{subscriber.given_name} {subscriber.family_name}",
        "policyNumber": policy.number,
        "groupClient": employer or "",
        "asOf": day.isoformat(),
        "insured": await insured_on(session, policy.id, day),
        "products": list(await products_on(session, policy.id, day)),
        "issuedAt": utcnow().isoformat(timespec="seconds"),
    }
    return await produce(
        session,
        actor=actor,
        kind=DocumentKind.ID_CARD,
        data=data,
        file_name=f"ID-{policy.number}-{day:%Y%m%d}.pdf",
        policy_id=policy.id,
    )
