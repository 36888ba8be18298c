"""Changing what a group account offers: its insurable classes and products."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing, load
from domain.core.columns import utcnow
from domain.core.errors import ErrorCode, Problem, raise_if
from domain.core.fields import check_code, check_name
from domain.groups import errors
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupAccountProductClass,
    InsurableClass,
)
from domain.policies.models import EnrollmentProduct, PolicyAccountLink
from domain.reference.models import Product
from domain.reference.service import find_by_code


async def create_insurable_class(
    session: AsyncSession, *, actor: Actor, group_account_id: int, code: str, name: str
) -> InsurableClass:
    """Add an insurable class to a group account; its code is unique within the account."""
    async with changing(session, actor, Action.INSURABLE_CLASS_CREATE, InsurableClass) as change:
        account = await _account(session, actor, group_account_id)
        problems: list[Problem] = []
        code = check_code("code", code, problems)
        # A malformed code cannot be taken, and may hold what a database refuses to compare.
        if not problems and await _class_code_taken(session, account, code):
            problems.append(errors.duplicate_code(code))
        name = check_name("name", name, problems)
        raise_if(problems)
        return change.add(InsurableClass(group_account_id=group_account_id, code=code, name=name))


async def _account(session: AsyncSession, actor: Actor, account_id: int) -> GroupAccount:
    account = await load(session, actor, GroupAccount, account_id, field="group_account_id")
    account.updated_at = utcnow()
    return account


async def _class_code_taken(session: AsyncSession, account: GroupAccount, code: str) -> bool:
    taken = sa.exists().where(
        col(InsurableClass.group_account_id) == account.id, col(InsurableClass.code) == code
    )
    return bool(await session.scalar(sa.select(taken)))


def _well_formed(code: str) -> bool:
    """Tell whether a value could be a class code: every class got one through check_code."""
    problems: list[Problem] = []
    check_code("code", code, problems)
    return not problems


async def _classes_by_code(
    session: AsyncSession, account: GroupAccount, codes: Sequence[str], problems: list[Problem]
) -> list[InsurableClass]:
    given = [code.strip() for code in codes]
    wanted = list(dict.fromkeys(code for code in given if _well_formed(code)))
    found: dict[str, InsurableClass] = {}
    if wanted:
        stmt = sa.select(InsurableClass).where(
            col(InsurableClass.group_account_id) == account.id,
            col(InsurableClass.code).in_(wanted),
        )
        found = {row.code: row for row in (await session.scalars(stmt)).all()}
    # Name each unknown code by its position in the input as sent, repeats included.
    for index, code in enumerate(given):
        if code not in found:
            problems.append(
                Problem(
                    ("insurable_class_codes", str(index)),
                    ErrorCode.NOT_FOUND,
                    f"Group account {account.code} has no insurable class {code!r}.",
                )
            )
    return [found[code] for code in wanted if code in found]


async def add_group_account_product(
    session: AsyncSession,
    *,
    actor: Actor,
    group_account_id: int,
    product_code: str,
    insurable_class_codes: Sequence[str] = (),
) -> GroupAccountProduct:
    """Offer a product in a group account, to the listed classes (none listed: every class)."""
    async with changing(
        session, actor, Action.GROUP_ACCOUNT_PRODUCT_ADD, GroupAccountProduct
    ) as change:
        account = await _account(session, actor, group_account_id)
        offer = change.add(await _new_offer(session, account, product_code, insurable_class_codes))
    return offer


async def _new_offer(
    session: AsyncSession,
    account: GroupAccount,
    product_code: str,
    insurable_class_codes: Sequence[str],
) -> GroupAccountProduct:
    problems: list[Problem] = []
    product = await find_by_code(
        session, Product, product_code, field="product_code", problems=problems
    )
    classes = await _classes_by_code(session, account, insurable_class_codes, problems)
    if product is not None and await _offered(session, account, product) is not None:
        problems.append(
            Problem(
                ("product_code",),
                ErrorCode.DUPLICATE,
                f"Group account {account.code} already offers product {product.code}.",
            )
        )
    raise_if(problems)
    assert product is not None
    offer = GroupAccountProduct(group_account_id=account.id, product_id=product.id)  # type: ignore[arg-type]
    session.add(offer)
    await session.flush()
    for insurable_class in classes:
        session.add(
            GroupAccountProductClass(
                group_account_product_id=offer.id,  # type: ignore[arg-type]
                insurable_class_id=insurable_class.id,  # type: ignore[arg-type]
            )
        )
    return offer


async def _offered(
    session: AsyncSession, account: GroupAccount, product: Product
) -> GroupAccountProduct | None:
    return await session.scalar(
        sa.select(GroupAccountProduct).where(
            col(GroupAccountProduct.group_account_id) == account.id,
            col(GroupAccountProduct.product_id) == product.id,
        )
    )


async def _enrolled(session: AsyncSession, account: GroupAccount, product_id: int) -> bool:
    """Whether a policy in the account has the product today or later."""
    today = datetime.now(UTC).date()
    running = [
        sa.or_(col(model.end_date).is_(None), col(model.end_date) >= today)
        for model in (EnrollmentProduct, PolicyAccountLink)
    ]
    stmt = (
        sa.select(col(EnrollmentProduct.id))
        .join(PolicyAccountLink, col(PolicyAccountLink.policy_id) == EnrollmentProduct.policy_id)
        .where(
            col(PolicyAccountLink.group_account_id) == account.id,
            col(EnrollmentProduct.product_id) == product_id,
            *running,
        )
        .limit(1)
    )
    return await session.scalar(stmt) is not None


async def remove_group_account_product(
    session: AsyncSession, *, actor: Actor, group_account_id: int, product_code: str
) -> GroupAccount:
    """Stop offering a product in a group account."""
    account = await _account(session, actor, group_account_id)
    offer = await _offer_to_remove(session, account, product_code)
    async with changing(
        session,
        actor,
        Action.GROUP_ACCOUNT_PRODUCT_REMOVE,
        GroupAccountProduct,
        offer.id,
        field="product_code",
    ) as change:
        await change.delete()
    return account


async def _offer_to_remove(
    session: AsyncSession, account: GroupAccount, product_code: str
) -> GroupAccountProduct:
    problems: list[Problem] = []
    product = await find_by_code(
        session, Product, product_code, field="product_code", problems=problems
    )
    offer = await _offered(session, account, product) if product is not None else None
    if product is not None and offer is None:
        problems.append(
            Problem(
                ("product_code",),
                ErrorCode.NOT_OFFERED,
                f"Group account {account.code} does not offer product {product.code}.",
            )
        )
    if offer is not None and await _enrolled(session, account, offer.product_id):
        problems.append(
            Problem(
                ("product_code",),
                ErrorCode.IN_USE,
                f"Policies in {account.code} are enrolled in {product_code} today or later; "
                "end or move those enrolments first.",
            )
        )
    raise_if(problems)
    assert offer is not None
    return offer
