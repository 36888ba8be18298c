"""A request reads the clock once: every field of its answer that is dated by default speaks of
the same day, also when midnight passes while the answer is built."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from domain.policies.limits import PolicyLimits
from schema.core.context import Context

ADMIN = Principal("admin-1", frozenset({Role.ADMIN}))


async def test_a_request_has_one_today_until_its_loaders_are_reset(session: AsyncSession) -> None:
    # given a clock that passes midnight between two readings
    days = iter([date(2026, 12, 3), date(2026, 12, 4)])
    limits = PolicyLimits(today=lambda: next(days))
    context = Context(session=session, principal=ADMIN, policy_limits=limits)
    # when fields of one answer ask for today
    first, second = context.today(), context.today()
    # then they get the same day
    assert first == second == date(2026, 12, 3)
    # and a subscription's next event (loaders reset) reads the clock again
    context.reset_loaders()
    assert context.today() == date(2026, 12, 4)
