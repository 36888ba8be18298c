"""The demo settings and rules: every kind of source shows, and the rules have work to do."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.demo.book import load_demo_book
from authz.access import EVERYTHING, Actor
from domain.groups.models import GroupClient
from domain.policies.limits import utc_today
from domain.policies.models import Policy
from domain.settings.chains import chains_for
from domain.settings.effective import choose
from domain.settings.models import Setting, SettingKind, SettingLevel
from domain.validation.approval import validate_group_client
from domain.validation.models import ValidationRule


async def test_the_demo_settings_show_each_source_and_the_rules_find_something(
    session: AsyncSession,
) -> None:
    # when
    added = await load_demo_book(session, families=20)
    again = await load_demo_book(session, families=20)
    # then
    settings = await session.scalar(sa.select(sa.func.count()).select_from(Setting))
    rules = await session.scalar(sa.select(sa.func.count()).select_from(ValidationRule))
    # 15 of the settings' own, and the premiums' (a schedule on each client that lacks one,
    # 3 employers' contributions: api.demo.premiums)
    assert (added["settings"], added["validation rules"]) == (settings, rules) == (15 + 23, 4)
    assert (again["settings"], again["validation rules"]) == (0, 0)
    # a direct-billed policy in a group-billed group, and a group that inherits
    policy = await session.scalar(sa.select(Policy).where(col(Policy.number) == "P-DEMO-000001"))
    assert policy is not None
    day = utc_today()
    chain = (await chains_for(session, SettingLevel.POLICY, [policy.id], day))[policy.id]  # type: ignore[list-item,index]
    chosen = choose(chain, day).single[SettingKind.COLLECTION_SETTING]
    assert (chosen.level, chosen.setting.value_text) == (SettingLevel.POLICY, "DIRECT_BILLED")
    # the rules: Globex has a collection setting but no bill allocation
    globex = await session.scalar(sa.select(GroupClient).where(col(GroupClient.code) == "GLOBEX"))
    assert globex is not None
    _, outcome = await validate_group_client(
        session,
        actor=Actor("demo", EVERYTHING),
        group_client_id=globex.id,  # type: ignore[arg-type]
    )
    assert [(f.rule.code, f.enriched) for f in outcome.findings] == [("DEFAULT-BILL", True)]
    assert outcome.approvable
