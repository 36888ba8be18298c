"""Defining a group account's catalogue, through the write path, and reading what it offers.

A request picks from it (domain.workflow.kinds): an item not offered to the policy's account
on the day is refused with NOT_OFFERED, in the same words whether it never existed, belongs
to another account, or has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.catalogue.models import CatalogueItem, ItemKind
from domain.core.changes import Action, changing, load
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.fields import check_amount, check_code, check_currency, check_name
from domain.core.periods import Period, in_force, of
from domain.core.reach import visible
from domain.groups.models import GroupAccount, GroupAccountProduct
from domain.policies.models import EnrollmentProduct, Policy, PolicyAccountLink
from domain.reference.models import CoverageTier, Product, ProductCoverageTier
from domain.reference.service import find_by_code

MOST = Decimal(10**9)


@dataclass(frozen=True)
class ItemSpec:
    """A catalogue item as its author gives it; products by their codes."""

    kind: ItemKind
    code: str
    name: str
    price: Decimal
    employer_share: Decimal
    currency: str
    start_date: date
    end_date: date | None = None
    from_product_code: str | None = None
    from_tier: CoverageTier | None = None
    to_product_code: str | None = None
    to_tier: CoverageTier | None = None


async def add_item(
    session: AsyncSession, *, actor: Actor, group_account_id: int, spec: ItemSpec
) -> CatalogueItem:
    """Offer an upgrade path or a service in a group account, from a day."""
    async with changing(session, actor, Action.CATALOGUE_ITEM_ADD, CatalogueItem) as change:
        account = await load(
            session, actor, GroupAccount, group_account_id, field="group_account_id"
        )
        problems: list[Problem] = []
        code = check_code("code", spec.code, problems)
        name = check_name("name", spec.name, problems)
        currency = check_currency("currency", spec.currency, problems) or ""
        _money(spec, problems)
        if spec.end_date is not None and spec.end_date < spec.start_date:
            problems.append(_ends_early())
        paths = await _path(session, account, spec, problems)
        raise_if(problems)
        item = CatalogueItem(
            group_account_id=account.id,  # type: ignore[arg-type]
            kind=spec.kind, code=code, name=name, price=spec.price,
            employer_share=spec.employer_share, currency=currency,
            start_date=spec.start_date, end_date=spec.end_date,
            from_product_id=paths[0], from_tier=spec.from_tier,
            to_product_id=paths[1], to_tier=spec.to_tier,
        )  # fmt: skip
        raise_if(await _clashes(session, item))
        return change.add(item)


async def end_item(
    session: AsyncSession, *, actor: Actor, item_id: int, version: int, end_date: date
) -> CatalogueItem:
    """Stop offering an item after `end_date`; requests dated later are refused."""
    async with changing(
        session, actor, Action.CATALOGUE_ITEM_END, CatalogueItem, item_id, version=version
    ) as change:
        if end_date < change.row.start_date:
            raise DomainError(_ends_early())
        change.row.end_date = end_date
    return change.row


def _ends_early() -> Problem:
    return Problem(("end_date",), ErrorCode.END_BEFORE_START, "The end is before the start.")


def _money(spec: ItemSpec, problems: list[Problem]) -> None:
    """Two decimals, not negative; the employer pays at most the price."""
    found = len(problems)
    check_amount(("price",), spec.price, 2, Decimal(0), MOST, problems)
    check_amount(("employer_share",), spec.employer_share, 2, Decimal(0), MOST, problems)
    if len(problems) == found and spec.employer_share > spec.price:
        problems.append(
            Problem(
                ("employer_share",),
                ErrorCode.INVALID_FORMAT,
                f"The employer's share is at most the price, {spec.price}.",
            )
        )


async def _path(
    session: AsyncSession, account: GroupAccount, spec: ItemSpec, problems: list[Problem]
) -> tuple[int | None, int | None]:
    """The products of an upgrade path (the one it leads to sold by the account, in the tier
    named); a service names none."""
    given = {
        "from_product_code": spec.from_product_code,
        "from_tier": spec.from_tier,
        "to_product_code": spec.to_product_code,
        "to_tier": spec.to_tier,
    }
    if spec.kind is ItemKind.SERVICE:
        problems.extend(
            Problem((name,), ErrorCode.NOT_ALLOWED, "A service leads from no product to none.")
            for name, value in given.items()
            if value is not None
        )
        return None, None
    ends: list[int | None] = []
    for field in ("from_product_code", "to_product_code"):
        code = given[field]
        if code is None:
            problems.append(Problem((field,), ErrorCode.REQUIRED, "An upgrade needs both ends."))
            ends.append(None)
            continue
        found = await find_by_code(session, Product, str(code), field=field, problems=problems)
        ends.append(found.id if found else None)
    origin, target = ends
    if origin is not None and target is not None:
        problems.extend(await _target_problems(session, account, spec, origin, target))
    return origin, target


async def _target_problems(
    session: AsyncSession, account: GroupAccount, spec: ItemSpec, origin: int, target: int
) -> list[Problem]:
    if origin == target and (spec.to_tier is None or spec.to_tier == spec.from_tier):
        return [
            Problem(("to_tier",), ErrorCode.NOT_ALLOWED, "An upgrade leads to another product "
                    "or another tier.")
        ]  # fmt: skip
    offered = await session.scalar(
        sa.select(col(GroupAccountProduct.id)).where(
            col(GroupAccountProduct.group_account_id) == account.id,
            col(GroupAccountProduct.product_id) == target,
        )
    )
    if offered is None:
        return [
            Problem(("to_product_code",), ErrorCode.NOT_OFFERED,
                    f"Group account {account.code} does not offer {spec.to_product_code}.")
        ]  # fmt: skip
    found = await session.execute(
        sa.select(col(ProductCoverageTier.product_id), col(ProductCoverageTier.tier)).where(
            col(ProductCoverageTier.product_id).in_([origin, target])
        )
    )
    sold = {(product, tier) for product, tier in found.all()}
    return [
        Problem((name,), ErrorCode.NOT_OFFERED, f"The product is not sold in the tier {tier}.")
        for name, product, tier in (
            ("from_tier", origin, spec.from_tier),
            ("to_tier", target, spec.to_tier),
        )
        if tier is not None and (product, tier) not in sold
    ]


async def _clashes(session: AsyncSession, item: CatalogueItem) -> list[Problem]:
    """An account offers one item of a code, and one of an upgrade path, on any day."""
    same_path = sa.and_(
        col(CatalogueItem.kind) == ItemKind.UPGRADE,
        col(CatalogueItem.from_product_id) == item.from_product_id,
        col(CatalogueItem.to_product_id) == item.to_product_id,
        _same(col(CatalogueItem.from_tier), item.from_tier),
        _same(col(CatalogueItem.to_tier), item.to_tier),
    )
    kept = await session.scalars(
        sa.select(CatalogueItem).where(
            col(CatalogueItem.group_account_id) == item.group_account_id,
            sa.or_(col(CatalogueItem.code) == item.code, same_path)
            if item.kind is ItemKind.UPGRADE
            else col(CatalogueItem.code) == item.code,
        )
    )
    period = Period(item.start_date, item.end_date)
    return [
        Problem(
            ("code" if other.code == item.code else "to_product_code",),
            ErrorCode.OVERLAP,
            f"The account offers {other.code} from {other.start_date} to "
            f"{other.end_date or 'open-ended'}; end it first.",
        )
        for other in kept
        if of(other).overlaps(period)
    ][:1]


def _same(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


# --- What a request may pick ----------------------------------------------------------


@dataclass(frozen=True)
class Upgrade:
    """An upgrade a policy may take on a day: the item, and the enrolment it replaces."""

    item: CatalogueItem
    enrolment: EnrollmentProduct


def _not_offered(field: str, what: str, day: date) -> DomainError:
    return DomainError.of(
        field, ErrorCode.NOT_OFFERED, f"{what} is not in this policy's catalogue on {day}."
    )


def _account_on(policy_id: int, day: date) -> Any:
    """The account the policy belongs to on the day."""
    return sa.select(col(PolicyAccountLink.group_account_id)).where(
        col(PolicyAccountLink.policy_id) == policy_id, in_force(PolicyAccountLink, day)
    )


async def service_offered(
    session: AsyncSession, *, policy_id: int, code: str, day: date
) -> CatalogueItem:
    """The service of this code the policy's account offers on the day, or NOT_OFFERED."""
    item = await session.scalar(
        sa.select(CatalogueItem).where(
            col(CatalogueItem.group_account_id).in_(_account_on(policy_id, day)),
            col(CatalogueItem.kind) == ItemKind.SERVICE,
            col(CatalogueItem.code) == code,
            in_force(CatalogueItem, day),
        )
    )
    if item is None:
        raise _not_offered("serviceCode", f"The service {code!r}", day)
    return item


async def upgrade_offered(
    session: AsyncSession, *, policy_id: int, product_code: str, tier: CoverageTier, day: date
) -> Upgrade:
    """The upgrade path of the policy's account on the day from a product the policy has then
    to `product_code` in `tier`, with the enrolment it replaces; or NOT_OFFERED."""
    E = EnrollmentProduct
    rows = await session.execute(
        sa.select(CatalogueItem, E)
        .join(Product, col(Product.id) == col(CatalogueItem.to_product_id))
        .join(E, col(E.product_id) == col(CatalogueItem.from_product_id))
        .where(
            col(CatalogueItem.group_account_id).in_(_account_on(policy_id, day)),
            col(CatalogueItem.kind) == ItemKind.UPGRADE,
            col(Product.code) == product_code,
            in_force(CatalogueItem, day),
            col(E.policy_id) == policy_id,
            in_force(E, day),
            sa.or_(
                col(CatalogueItem.from_tier).is_(None),
                col(CatalogueItem.from_tier) == E.coverage_tier,
            ),
            sa.func.coalesce(col(CatalogueItem.to_tier), E.coverage_tier) == tier,
            _not_held(policy_id, day),
        )
        .order_by(col(CatalogueItem.id))
        .limit(1)
    )
    found = rows.first()
    if found is None:
        raise _not_offered("product.productCode", f"An upgrade to {product_code} in {tier}", day)
    return Upgrade(found[0], found[1])


def items(
    scope: RowScope,
    *,
    group_account_id: int | None = None,
    policy_id: int | None = None,
    kind: ItemKind | None = None,
    as_of: date | None = None,
) -> Any:
    """The items the scope reaches: of an account, or offered to a policy it reaches (the
    services of its account and the upgrades from the products it has on the day); on a day."""
    stmt = sa.select(CatalogueItem).where(visible(scope, CatalogueItem))
    if group_account_id is not None:
        stmt = stmt.where(col(CatalogueItem.group_account_id) == group_account_id)
    if kind is not None:
        stmt = stmt.where(col(CatalogueItem.kind) == kind)
    if as_of is not None:
        stmt = stmt.where(in_force(CatalogueItem, as_of))
    if policy_id is not None:
        assert as_of is not None, "what a policy is offered is asked of a day"
        stmt = stmt.where(_offered_to(scope, policy_id, as_of))
    return stmt


def _offered_to(scope: RowScope, policy_id: int, day: date) -> Any:
    E = EnrollmentProduct
    held = sa.exists().where(
        col(E.policy_id) == policy_id,
        col(E.product_id) == col(CatalogueItem.from_product_id),
        in_force(E, day),
        sa.or_(
            col(CatalogueItem.from_tier).is_(None), col(CatalogueItem.from_tier) == E.coverage_tier
        ),
    )
    reached = sa.select(col(Policy.id)).where(col(Policy.id) == policy_id, visible(scope, Policy))
    return sa.and_(
        sa.exists(reached),
        col(CatalogueItem.group_account_id).in_(_account_on(policy_id, day)),
        sa.or_(
            col(CatalogueItem.kind) == ItemKind.SERVICE, sa.and_(held, _not_held(policy_id, day))
        ),
    )


def _not_held(policy_id: int, day: date) -> Any:
    """An upgrade to another product the policy does not have on the day already."""
    E = sa.orm.aliased(EnrollmentProduct)
    return sa.or_(
        col(CatalogueItem.to_product_id) == col(CatalogueItem.from_product_id),
        ~sa.exists().where(
            col(E.policy_id) == policy_id,
            col(E.product_id) == col(CatalogueItem.to_product_id),
            in_force(E, day),
        ),
    )
