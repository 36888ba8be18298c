"""The demo book's premiums: every policy of an approved client is charged this month, in
the currency of its client's schedule, and a rerun of the demo adds nothing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.demo.book import load_demo_book
from authz.access import EVERYTHING
from domain.policies.limits import utc_today
from domain.premiums import bills
from domain.premiums.models import PremiumCharge, PremiumRun, RunStatus


async def test_the_demo_book_has_charges_and_bills(session: AsyncSession) -> None:
    # when
    added = await load_demo_book(session, families=20)
    again = await load_demo_book(session, families=20)
    # then
    found = (await session.scalars(sa.select(PremiumRun))).all()
    assert {r.status for r in found} == {RunStatus.DONE}
    assert sum(r.error_count for r in found) == 0
    charges = await session.scalar(sa.select(sa.func.count()).select_from(PremiumCharge))
    assert added["premium charges"] == charges > 0
    assert again["premium charges"] == 0
    currencies = set(await session.scalars(sa.select(col(PremiumCharge.currency)).distinct()))
    assert currencies == {"EUR", "USD"}
    month = await bills.bills(session, scope=EVERYTHING, period=utc_today().strftime("%Y-%m"))
    assert month and all(b.total > 0 for b in month)
