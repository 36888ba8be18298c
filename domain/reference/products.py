"""An admin's products: created with their coverage tiers, changed on the version seen.

What policies and offers already use stays as they rely on it: a product's name may change at
any time, but not its kind or line of business once a group account offers it or a policy has
it, and a coverage tier cannot be withdrawn while an enrolment is in it. A product's parameters
are defined with `productParameterCreate` (domain.settings.catalogue), its one way in.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.fields import check_name
from domain.groups.models import GroupAccountProduct
from domain.policies.models import EnrollmentProduct
from domain.reference.editing import unique_code
from domain.reference.models import (
    CoverageTier,
    LineOfBusiness,
    Product,
    ProductCoverageTier,
    ProductKind,
)
from domain.reference.service import find_by_code


async def create_product(
    session: AsyncSession,
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: ProductKind,
    line_of_business: str,
    coverage_tiers: Sequence[CoverageTier],
) -> Product:
    """Add a product of a line of business, sold in the given coverage tiers."""
    async with changing(session, actor, Action.PRODUCT_CREATE, Product) as change:
        problems: list[Problem] = []
        code = await unique_code(session, Product, code, problems)
        name = check_name("name", name, problems)
        line = await find_by_code(
            session, LineOfBusiness, line_of_business, field="line_of_business", problems=problems
        )
        problems.extend(tier_problems(coverage_tiers))
        raise_if(problems)
        assert line is not None
        product = change.add(
            Product(code=code, name=name, kind=kind, line_of_business_id=line.id)  # type: ignore[arg-type]
        )
        await session.flush()
        session.add_all(
            ProductCoverageTier(product_id=product.id, tier=tier)  # type: ignore[arg-type]
            for tier in coverage_tiers
        )
        return product


async def update_product(
    session: AsyncSession,
    *,
    actor: Actor,
    product_id: int,
    version: int | None,
    name: str | None = None,
    kind: ProductKind | None = None,
    line_of_business: str | None = None,
    coverage_tiers: Sequence[CoverageTier] | None = None,
) -> Product:
    """Change what is given of a product (None: unchanged), keeping what its users rely on."""
    async with changing(
        session, actor, Action.PRODUCT_UPDATE, Product, product_id, version=version
    ) as change:
        # Every read comes before the first assignment: the product is then one UPDATE,
        # which moves its version on once.
        product, problems = change.row, list[Problem]()
        new_name = check_name("name", name, problems) if name is not None else product.name
        placed = await _placing(session, product, kind, line_of_business, problems)
        tiers = await _tier_rows(session, product)
        if coverage_tiers is not None:
            problems.extend(tier_problems(coverage_tiers))
            problems.extend(await _withdrawn_in_use(session, product, tiers, coverage_tiers))
        raise_if(problems)
        product.name = new_name
        for column, value in placed.items():
            setattr(product, column, value)
        if coverage_tiers is not None:
            await _replace_tiers(session, product, tiers, coverage_tiers)
        flag_modified(product, "name")  # a change of tiers alone moves the version on too
        return product


async def _placing(
    session: AsyncSession,
    product: Product,
    kind: ProductKind | None,
    line_of_business: str | None,
    problems: list[Problem],
) -> dict[str, object]:
    """The product's new kind and line of business, refused while something uses it."""
    placed: dict[str, object] = {}
    if kind is not None and kind != product.kind:
        placed["kind"] = kind
    if line_of_business is not None:
        line = await find_by_code(
            session, LineOfBusiness, line_of_business, field="line_of_business", problems=problems
        )
        if line is not None and line.id != product.line_of_business_id:
            placed["line_of_business_id"] = line.id
    if placed and await _in_use(session, product):
        problems.extend(
            Problem(
                ("line_of_business" if column == "line_of_business_id" else column,),
                ErrorCode.IN_USE,
                "The product is offered or enrolled in: it keeps its kind and line of "
                "business. Add a new product instead.",
            )
            for column in placed
        )
    return placed


def tier_problems(tiers: Sequence[CoverageTier]) -> list[Problem]:
    """What is wrong with a product's tiers: none given, or one given twice."""
    if not tiers:
        return [Problem(("coverage_tiers",), ErrorCode.REQUIRED, "Give at least one tier.")]
    return [
        Problem(("coverage_tiers", str(i)), ErrorCode.DUPLICATE, f"{tier} is given twice.")
        for i, tier in enumerate(tiers)
        if tier in tiers[:i]
    ]


async def _in_use(session: AsyncSession, product: Product) -> bool:
    """Whether a group account offers the product or a policy has it, whenever."""
    offered = sa.select(col(GroupAccountProduct.id)).where(
        col(GroupAccountProduct.product_id) == product.id
    )
    enrolled = sa.select(col(EnrollmentProduct.id)).where(
        col(EnrollmentProduct.product_id) == product.id
    )
    return bool(await session.scalar(sa.select(sa.or_(sa.exists(offered), sa.exists(enrolled)))))


async def _tier_rows(session: AsyncSession, product: Product) -> list[ProductCoverageTier]:
    stmt = sa.select(ProductCoverageTier).where(col(ProductCoverageTier.product_id) == product.id)
    return list((await session.scalars(stmt)).all())


async def _withdrawn_in_use(
    session: AsyncSession,
    product: Product,
    rows: Sequence[ProductCoverageTier],
    tiers: Sequence[CoverageTier],
) -> list[Problem]:
    """A problem for each tier the product would lose while a policy is enrolled in it."""
    gone = [row.tier for row in rows if row.tier not in tiers]
    if not gone:
        return []
    stmt = (
        sa.select(col(EnrollmentProduct.coverage_tier))
        .distinct()
        .where(
            col(EnrollmentProduct.product_id) == product.id,
            col(EnrollmentProduct.coverage_tier).in_(gone),
        )
    )
    return [
        Problem(
            ("coverage_tiers",),
            ErrorCode.IN_USE,
            f"Policies are enrolled in {tier}: it cannot be withdrawn.",
        )
        for tier in sorted(set(await session.scalars(stmt)))
    ]


async def _replace_tiers(
    session: AsyncSession,
    product: Product,
    rows: Sequence[ProductCoverageTier],
    tiers: Sequence[CoverageTier],
) -> None:
    for row in rows:
        if row.tier not in tiers:
            await session.delete(row)
    have = {row.tier for row in rows}
    session.add_all(
        ProductCoverageTier(product_id=product.id, tier=tier)  # type: ignore[arg-type]
        for tier in tiers
        if tier not in have
    )
