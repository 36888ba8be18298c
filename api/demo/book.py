"""Loading the demo book: whatever part of it is missing, through the domain services."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.demo import data
from api.demo.campaigns import load_campaigns
from api.demo.catalogue import load_catalogue
from api.demo.families import DEMO_FAMILIES, load_members
from api.demo.premiums import load_premiums
from api.demo.requests import load_requests
from api.demo.settings import load_settings
from authz.access import EVERYTHING, Actor
from domain.groups.accounts import create_group_account
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupClient,
    GroupStatus,
    InsurableClass,
)
from domain.groups.products import add_group_account_product, create_insurable_class
from domain.groups.service import create_group_client
from domain.reference.editing import create_labelled
from domain.reference.models import DataAccessGroup, LineOfBusiness, Product
from domain.reference.products import create_product

ACTOR = Actor(subject="demo", scope=EVERYTHING)
KINDS = (
    "lines of business",
    "data access groups",
    "products",
    "coverage tiers",
    "group clients",
    "group accounts",
    "insurable classes",
    "group account products",
    "persons",
    "policies",
    "policy members",
    "settings",
    "validation rules",
    "catalogue items",
    "workflow requests",
    "premium charges",
    "account teams",
    "campaign definitions",
)

Added = dict[str, int]


async def load_demo_book(session: AsyncSession, *, families: int = DEMO_FAMILIES) -> Added:
    """Add what is missing of the demo book, commit, and count what was added by kind."""
    added: Added = dict.fromkeys(KINDS, 0)
    await _reference(session, added)
    clients = await _clients(session, added)
    for spec in data.ACCOUNTS:
        await _furnish(session, await _account(session, spec, clients, added), spec, added)
    await load_catalogue(session, added)
    # A complete book is left alone, so that a rerun never approves a user's own edits.
    if any(added.values()):
        await _approve(session, clients)
    for edit in data.RECENT_EDITS:
        account = await _by_code(session, GroupAccount, edit.account)
        assert account is not None, edit.account
        await _furnish(session, account, edit, added)
    await load_members(session, added, families=families)
    await load_settings(session, added)
    await load_requests(session, added)
    await load_premiums(session, added)
    await load_campaigns(session, added)
    await session.commit()
    return added


async def _by_code(session: AsyncSession, model: Any, code: str) -> Any:
    return await session.scalar(sa.select(model).where(model.code == code))


async def _reference(session: AsyncSession, added: Added) -> None:
    """Add the missing lines of business, data access groups and products, as an admin would."""
    labelled: tuple[tuple[Any, Any, str], ...] = (
        (LineOfBusiness, data.LINES_OF_BUSINESS, "lines of business"),
        (DataAccessGroup, data.DATA_ACCESS_GROUPS, "data access groups"),
    )
    for model, specs, kind in labelled:
        for code, name in specs:
            if await _by_code(session, model, code) is None:
                await create_labelled(session, actor=ACTOR, model=model, code=code, name=name)
                added[kind] += 1
    for spec in data.PRODUCTS:
        if await _by_code(session, Product, spec.code) is None:
            await create_product(
                session, actor=ACTOR, code=spec.code, name=spec.name, kind=spec.kind,
                line_of_business=spec.line_of_business, coverage_tiers=spec.tiers,
            )  # fmt: skip
            added["products"] += 1
            added["coverage tiers"] += len(spec.tiers)


async def _clients(session: AsyncSession, added: Added) -> dict[str, GroupClient]:
    """Return the demo group clients by code, creating the missing ones (parents first)."""
    found: dict[str, GroupClient] = {}
    for spec in data.CLIENTS:
        client = await _by_code(session, GroupClient, spec.code)
        if client is None:
            client = await create_group_client(
                session,
                actor=ACTOR,
                code=spec.code,
                name=spec.name,
                parent_id=found[spec.parent].id if spec.parent else None,
                line_of_business=spec.line_of_business,
                data_access_group=spec.data_access_group,
            )
            added["group clients"] += 1
        found[spec.code] = client
    return found


async def _account(
    session: AsyncSession, spec: data.AccountSpec, clients: dict[str, GroupClient], added: Added
) -> GroupAccount:
    account = await _by_code(session, GroupAccount, spec.code)
    if account is None:
        account = await create_group_account(
            session,
            actor=ACTOR,
            group_client_id=clients[spec.client].id,  # type: ignore[arg-type]
            code=spec.code,
            name=spec.name,
            data_access_group=spec.data_access_group,
            line_of_business=spec.line_of_business,
        )
        added["group accounts"] += 1
    return account  # type: ignore[no-any-return]


async def _furnish(
    session: AsyncSession,
    account: GroupAccount,
    spec: data.AccountSpec | data.EditSpec,
    added: Added,
) -> None:
    """Add the account's missing insurable classes, then its missing product offers."""
    await _classes(session, account, spec.classes, added)
    await _offers(session, account, spec.offers, added)


async def _classes(
    session: AsyncSession, account: GroupAccount, classes: data.Classes, added: Added
) -> None:
    stmt = sa.select(col(InsurableClass.code)).where(
        col(InsurableClass.group_account_id) == account.id
    )
    have = set(await session.scalars(stmt))
    for code, name in classes:
        if code not in have:
            await create_insurable_class(
                session,
                actor=ACTOR,
                group_account_id=account.id,  # type: ignore[arg-type]
                code=code,
                name=name,
            )
            added["insurable classes"] += 1


async def _offers(
    session: AsyncSession, account: GroupAccount, offers: tuple[data.Offer, ...], added: Added
) -> None:
    stmt = (
        sa.select(col(Product.code))
        .join(GroupAccountProduct, col(GroupAccountProduct.product_id) == Product.id)
        .where(col(GroupAccountProduct.group_account_id) == account.id)
    )
    offered = set(await session.scalars(stmt))
    for product_code, class_codes in offers:
        if product_code not in offered:
            await add_group_account_product(
                session,
                actor=ACTOR,
                group_account_id=account.id,  # type: ignore[arg-type]
                product_code=product_code,
                insurable_class_codes=class_codes,
            )
            added["group account products"] += 1


async def _approve(session: AsyncSession, clients: dict[str, GroupClient]) -> None:
    """Approve the demo group clients, except those edited since (they stay CHANGED)."""
    account_client = {spec.code: spec.client for spec in data.ACCOUNTS}
    edited = {account_client[edit.account] for edit in data.RECENT_EDITS}
    for code, client in clients.items():
        if code not in edited and client.status != GroupStatus.APPROVED:
            client.status = GroupStatus.APPROVED
    await session.flush()
