"""Recording market events: the outside facts that start campaigns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.campaigns.models import DRUG_KINDS, Drug, MarketEvent, MarketEventKind
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.fields import check_name
from domain.reference.models import Product

MAX_CODES = 100
HORIZON = timedelta(days=5 * 366)
"""How far from today an event's date may lie, either way."""


async def record_event(
    session: AsyncSession,
    *,
    actor: Actor,
    kind: MarketEventKind,
    drug_codes: Sequence[str],
    product_codes: Sequence[str],
    effective_date: date,
    description: str,
) -> MarketEvent:
    """Record a market event; every drug and product it names must be known."""
    problems: list[Problem] = []
    drugs = await _known(session, Drug, "drug_codes", drug_codes, problems)
    products = await _known(session, Product, "product_codes", product_codes, problems)
    if kind in DRUG_KINDS and not drug_codes:
        problems.append(Problem(("drug_codes",), ErrorCode.REQUIRED, f"A {kind} names drugs."))
    if kind is MarketEventKind.PRODUCT_CHANGE and not product_codes:
        message = "A product change names products."
        problems.append(Problem(("product_codes",), ErrorCode.REQUIRED, message))
    if abs(effective_date - utcnow().date()) > HORIZON:
        message = "A date within five years of today."
        problems.append(Problem(("effective_date",), ErrorCode.INVALID_FORMAT, message))
    text = check_name("description", description, problems, max_length=2000)
    raise_if(problems)
    same = await _recorded(session, kind, drugs, products, effective_date)
    if same is not None:
        return same
    async with changing(
        session, actor, Action.MARKET_EVENT_RECORD, MarketEvent, marks_changed=False
    ) as change:
        change.add(
            MarketEvent(
                kind=kind, drug_codes=drugs, product_codes=products,
                effective_date=effective_date, description=text, recorded_by=actor.subject,
            )
        )  # fmt: skip
    return change.row


async def _recorded(
    session: AsyncSession, kind: MarketEventKind, drugs: list[str], products: list[str],
    day: date,
) -> MarketEvent | None:  # fmt: skip
    """The event recorded already with this kind, day, drugs and products: recording it again
    (a feed sending it twice, a person retrying) records and starts nothing new."""
    stmt = sa.select(MarketEvent).where(
        col(MarketEvent.kind) == kind, col(MarketEvent.effective_date) == day
    )
    for found in await session.scalars(stmt.order_by(col(MarketEvent.id))):
        if sorted(found.drug_codes) == sorted(drugs) and sorted(found.product_codes) == sorted(
            products
        ):
            return found
    return None


async def _known(
    session: AsyncSession, model: type, name: str, codes: Sequence[str], problems: list[Problem]
) -> list[str]:
    """The codes, trimmed, each recorded as a problem when no row of `model` has it."""
    wanted = [code.strip() for code in codes]
    if len(wanted) > MAX_CODES or len(set(wanted)) != len(wanted):
        message = f"At most {MAX_CODES} codes, each once."
        problems.append(Problem((name,), ErrorCode.INVALID_FORMAT, message))
        return wanted
    stmt = sa.select(col(model.code)).where(col(model.code).in_(wanted))  # type: ignore[attr-defined]
    found = set(await session.scalars(stmt))
    for index, code in enumerate(wanted):
        if code not in found:
            message = f"No {'drug' if model is Drug else 'product'} has the code {code[:30]!r}."
            problems.append(Problem((name, str(index)), ErrorCode.NOT_FOUND, message))
    return wanted


async def list_events(session: AsyncSession, *, limit: int) -> list[MarketEvent]:
    """The latest `limit` market events, newest first."""
    stmt = sa.select(MarketEvent).order_by(col(MarketEvent.id).desc()).limit(limit)
    return list(await session.scalars(stmt))
