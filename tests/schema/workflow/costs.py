"""Rates for the cast's policies, and the cost facts a request's process started with."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.groups.models import GroupAccountProduct
from domain.workflow import engine
from domain.workflow.models import WorkflowRequest
from schema.core.relay import decode_id, global_id
from tests.factories import Book, settings_reference
from tests.schema.settings.conftest import set_
from tests.schema.workflow.conftest import Cast


async def priced(cast: Cast, book: Book, session: AsyncSession, plus_schedule: str) -> None:
    """Rates: ACME's products at PS-STD (100.00 a month), MED-PLUS in ACME at `plus_schedule`."""
    await settings_reference(book)
    client = global_id("GroupClient", cast.place.client.id)  # type: ignore[arg-type]
    await set_(cast.admin, client, "PREMIUM_SCHEDULE", premiumSchedule="PS-STD")
    offer = await session.scalar(
        sa.select(col(GroupAccountProduct.id)).where(
            col(GroupAccountProduct.group_account_id) == cast.place.account.id,
            col(GroupAccountProduct.product_id) == book.plus.id,  # type: ignore[attr-defined]
        )
    )
    owner = global_id("GroupAccountProduct", offer)  # type: ignore[arg-type]
    await set_(cast.admin, owner, "PREMIUM_SCHEDULE", premiumSchedule=plus_schedule)


async def cost_facts(session: AsyncSession, made: dict[str, Any]) -> dict[str, Any]:
    """The cost facts the request's process started with."""
    row = await session.get_one(WorkflowRequest, decode_id(made["id"], "WorkflowRequest"))
    await session.refresh(row)
    data = engine.load(row.workflow).get_tasks()[0].data
    keys = ("price", "employer_share", "premium_change", "employer_premium_change")
    return {key: data[key] for key in (*keys, "employer_cost_change", "currency")}
