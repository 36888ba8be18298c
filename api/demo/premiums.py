"""The demo book's premiums: a schedule on every group client, employers' contributions, and
a premium run of this month under each top client, so that `make run` shows premiums,
charges and bills."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.demo import data
from authz.access import EVERYTHING, Actor
from domain.groups.models import GroupClient
from domain.policies.limits import utc_today
from domain.premiums import runs
from domain.premiums.models import PremiumRun
from domain.settings.models import PremiumSchedule, Setting, SettingKind

ACTOR = Actor(subject="demo", scope=EVERYTHING)
SCHEDULE_OF = {"US": "PS-US-STD"}
"""A client's schedule by its data access group; any other group: the EU schedule."""
CONTRIBUTIONS = {"GLOBEX": Decimal(80), "NORTHWIND": Decimal(70), "BRIGHTSIDE": Decimal(50)}
"""The employer's percentage of the premium, set on the top client for its whole tree."""


async def load_premiums(session: AsyncSession, added: dict[str, int]) -> None:
    """Set what prices every demo policy and run this month's premiums, once."""
    if await session.scalar(sa.select(col(PremiumRun.id)).limit(1)) is not None:
        return
    clients = {c.code: c for c in await session.scalars(sa.select(GroupClient))}
    found = await session.execute(sa.select(col(PremiumSchedule.code), col(PremiumSchedule.id)))
    schedules: dict[str, int | None] = {code: i for code, i in found.all()}
    priced = set(
        await session.scalars(
            sa.select(col(Setting.group_client_id)).where(
                col(Setting.kind) == SettingKind.PREMIUM_SCHEDULE
            )
        )
    )
    made = [
        Setting(
            kind=SettingKind.PREMIUM_SCHEDULE,
            group_client_id=clients[spec.code].id,
            premium_schedule_id=schedules[SCHEDULE_OF.get(spec.data_access_group, "PS-EU-STD")],
        )
        for spec in data.CLIENTS
        if clients[spec.code].id not in priced
    ] + [
        Setting(kind=SettingKind.EMPLOYER_CONTRIBUTION, group_client_id=clients[code].id,
                value_decimal=share)
        for code, share in CONTRIBUTIONS.items()
    ]  # fmt: skip
    session.add_all(made)
    await session.flush()
    added["settings"] += len(made)
    for spec in data.CLIENTS:
        if spec.parent is None:
            await _run(session, clients[spec.code], added)


async def _run(session: AsyncSession, client: GroupClient, added: dict[str, int]) -> None:
    """A run of this month under a top client, worked at once (in the server it is a job)."""
    run = await runs.start(
        session, actor=ACTOR, period=utc_today().strftime("%Y-%m"),
        group_client_id=client.id, dry_run=False,  # type: ignore[arg-type]
    )  # fmt: skip
    for batch in await runs.prepare(session, run.id):  # type: ignore[arg-type]
        await runs.charge(session, run.id, batch)  # type: ignore[arg-type]
    await runs.finish(session, run.id)  # type: ignore[arg-type]
    await session.refresh(run)
    added["premium charges"] += run.charges_added
