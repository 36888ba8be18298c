"""What describes a member's cover among the effective settings of their enrolment products.

Two settings: the provider group the member is assigned to (where they may be treated) and the
product's parameter values (a deductible, a co-payment: how much of a bill is covered). The
rest of the priority table is the insurer's and the employer's business, not a description of
the cover: premium schedules and adjustments (prices), commission rates and brokers (what
intermediaries earn), billing accounts, bill allocation and collection (who pays how), process
flows (internal routing). Those stay behind `settings:read` in `effectiveSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.paging import fetch_by_id
from domain.core.reach import visible
from domain.policies.models import EnrollmentProduct
from domain.settings.chains import effective_for
from domain.settings.effective import Effective
from domain.settings.models import ProviderGroup, SettingKind, SettingLevel


@dataclass(frozen=True)
class Cover:
    """An enrolment product's provider group (a row, or None) and parameter values by name."""

    provider_group: Any | None = None
    parameters: dict[str, str] = field(default_factory=dict)


async def cover_of(
    session: AsyncSession, enrollment_product_ids: list[int], day: date, *, scope: RowScope
) -> dict[int, Cover]:
    """The cover of each enrolment product `scope` reaches, on `day`; the others are left out.

    A fixed number of statements for any number of products: the reach, the chains (see
    domain.settings.chains) and the provider groups named."""
    stmt = sa.select(col(EnrollmentProduct.id)).where(
        col(EnrollmentProduct.id).in_(enrollment_product_ids), visible(scope, EnrollmentProduct)
    )
    reached = [i for i in await session.scalars(stmt) if i is not None]
    if not reached:
        return {}
    chosen = await effective_for(session, SettingLevel.ENROLLMENT_PRODUCT, reached, day)
    wanted = {g for e in chosen.values() if (g := _assigned(e)) is not None}
    groups = await fetch_by_id(session, ProviderGroup, wanted, where=sa.true())
    return {i: _cover(e, groups) for i, e in chosen.items()}


def _assigned(effective: Effective) -> int | None:
    chosen = effective.single.get(SettingKind.ASSIGNED_PROVIDER_GROUP)
    return chosen.setting.provider_group_id if chosen else None


def _cover(effective: Effective, groups: dict[int, Any]) -> Cover:
    group_id = _assigned(effective)
    return Cover(
        provider_group=groups.get(group_id) if group_id is not None else None,
        parameters={n: c.setting.value_text or "" for n, c in sorted(effective.parameters.items())},
    )
