"""Per-request loaders of effective settings and of the settings' reference data."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from authz.access import GROUPS_READ, POLICIES_READ, SETTINGS_READ, Access
from domain.settings.chains import effective_for
from domain.settings.cover import Cover, cover_of
from domain.settings.effective import Effective
from domain.settings.models import (
    AdjustmentRule,
    BillingAccount,
    BrokerAgent,
    PremiumRate,
    PremiumSchedule,
    ProviderGroup,
    SettingLevel,
)
from domain.settings.sources import Owner, hidden_sources, sources
from schema.core.batch import by_day, lists_by, rows_by_id

EffectiveKey = tuple[SettingLevel, int, date]
Sourced = tuple[Effective, frozenset[Owner]]
"""An object's effective settings, and the levels they came from that the caller cannot see."""


class SettingsLoaders:
    """Effective settings by (level, id, day), and the rows their values name."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        # Settings' reference data carries no restrictions: a caller reads all or none.
        readable = sa.true() if caller.allows(SETTINGS_READ) else sa.false()
        self.premium_schedule_by_id = rows_by_id(session, PremiumSchedule, where=readable)
        self.premium_rates_by_schedule = lists_by(
            session, PremiumRate, PremiumRate.premium_schedule_id, where=readable
        )
        self.adjustment_rule_by_id = rows_by_id(session, AdjustmentRule, where=readable)
        self.broker_agent_by_id = rows_by_id(session, BrokerAgent, where=readable)
        self.billing_account_by_id = rows_by_id(session, BillingAccount, where=readable)
        self.provider_group_by_id = rows_by_id(session, ProviderGroup, where=readable)

        async def effective(keys: list[EffectiveKey]) -> list[Sourced]:
            # One batch of chains per kind of object and day: a page asks for one day.
            asked: dict[tuple[SettingLevel, date], list[int]] = defaultdict(list)
            for level, row_id, day in keys:
                asked[(level, day)].append(row_id)
            found: dict[EffectiveKey, Effective] = {}
            for (level, day), ids in asked.items():
                chosen = await effective_for(session, level, ids, day)
                found.update({(level, i, day): effective for i, effective in chosen.items()})
            # The objects asked are in the caller's reach: only the levels above them may not be.
            above = {o for e in found.values() for o in sources(e)} - {(lv, i) for lv, i, _ in keys}
            hidden = await hidden_sources(
                session,
                above,
                groups=caller.scope(GROUPS_READ),
                policies=caller.scope(POLICIES_READ),
            )
            return [(found[key], hidden) for key in keys]

        self.effective_settings = DataLoader(load_fn=effective)

        async def covers(keys: list[tuple[int, date]]) -> list[Cover | None]:
            found: dict[tuple[int, date], Cover] = {}
            for day, ids in by_day(keys).items():
                covered = await cover_of(session, ids, day, scope=caller.scope(POLICIES_READ))
                found.update({(i, day): c for i, c in covered.items()})
            return [found.get(key) for key in keys]

        # Whoever reads an enrolment product reads what describes its cover (domain.settings.cover).
        self.cover_by_enrollment_product = DataLoader(load_fn=covers)
