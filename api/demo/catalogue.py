"""The demo book's catalogues: in every account, a year at the gym (the employer pays part)
and an upgrade to each product the account offers every class, from its others of that kind;
in the currency of the account's premium schedule (US: USD, else EUR).

Added before the book is approved: a catalogue is the group's configuration, and changing it
makes the group CHANGED (then left out of premium runs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.demo import data
from authz.access import EVERYTHING, Actor
from domain.catalogue import service
from domain.catalogue.models import CatalogueItem, ItemKind
from domain.groups.models import GroupAccount

ACTOR = Actor(subject="demo", scope=EVERYTHING)
SINCE = date(2024, 1, 1)
GYM = service.ItemSpec(
    kind=ItemKind.SERVICE, code="GYM-YEAR", name="A year at the gym", price=Decimal("300.00"),
    employer_share=Decimal("120.00"), currency="EUR", start_date=SINCE,
)  # fmt: skip


async def load_catalogue(session: AsyncSession, added: dict[str, int]) -> None:
    """Give every demo account its catalogue, once."""
    if await session.scalar(sa.select(col(CatalogueItem.id)).limit(1)) is not None:
        return
    found = await session.execute(sa.select(col(GroupAccount.code), col(GroupAccount.id)))
    accounts: dict[str, int] = dict(found.all())  # type: ignore[arg-type]
    kinds = {product.code: product.kind for product in data.PRODUCTS}
    for spec in data.ACCOUNTS:
        currency = "USD" if spec.data_access_group == "US" else "EUR"
        items = [replace(GYM, currency=currency)] + [
            _upgrade(origin, target, currency)
            for target, classes in spec.offers
            if not classes
            for origin, _ in spec.offers
            if origin != target and kinds[origin] is kinds[target]
        ]
        for item in items:
            await service.add_item(
                session,
                actor=ACTOR,
                group_account_id=accounts[spec.code],
                spec=item,
            )
        added["catalogue items"] += len(items)


def _upgrade(origin: str, target: str, currency: str) -> service.ItemSpec:
    return service.ItemSpec(
        kind=ItemKind.UPGRADE, code=f"UP-{origin}-{target}",
        name=f"From {origin} to {target}", price=Decimal("15.00"), employer_share=Decimal("0.00"),
        currency=currency, start_date=SINCE, from_product_code=origin,
        to_product_code=target,
    )  # fmt: skip
