"""The dialect pieces of reports give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reports.sql import age_on, younger_than

AGES = [
    (date(2000, 6, 8), date(2026, 1, 1), 25),  # 25.9 by the digits: truncated, never rounded
    (date(2000, 6, 8), date(2026, 6, 7), 25),
    (date(2000, 6, 8), date(2026, 6, 8), 26),
    (date(2004, 2, 29), date(2026, 2, 28), 21),  # born on 29 February: older on 1 March
    (date(2004, 2, 29), date(2026, 3, 1), 22),
    (date(2026, 1, 1), date(2026, 1, 1), 0),
]


@pytest.mark.parametrize(("born", "on", "age"), AGES)
async def test_age_on_a_day_in_whole_years(
    session: AsyncSession, born: date, on: date, age: int
) -> None:
    found = await session.scalar(
        sa.select(age_on(sa.literal(born, sa.Date), sa.literal(on, sa.Date)))
    )
    assert found == age


@pytest.mark.parametrize(("born", "on", "age"), AGES)
async def test_younger_than_agrees_with_the_age_on_either_side_of_it(
    session: AsyncSession, born: date, on: date, age: int
) -> None:
    birth, day = sa.literal(born, sa.Date), sa.literal(on, sa.Date)
    for years in (age, age + 1):
        found = await session.scalar(sa.select(younger_than(birth, day, years)))
        assert bool(found) is (age < years), (born, on, years)


async def test_younger_than_on_29_february_and_the_days_around_it(session: AsyncSession) -> None:
    days = [date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1), date(2027, 2, 28)]
    births = [date(2010, 2, 28), date(2010, 3, 1), date(2012, 2, 29), date(2009, 3, 1)]
    for on in days:
        for born in births:
            birth, day = sa.literal(born, sa.Date), sa.literal(on, sa.Date)
            age = await session.scalar(sa.select(age_on(birth, day)))
            for years in (15, 16, 17, 18, 19):
                found = await session.scalar(sa.select(younger_than(birth, day, years)))
                assert bool(found) is (age < years), (born, on, years)
