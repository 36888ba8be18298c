"""Loading the chains of levels of many objects at once, in a fixed number of statements.

An enrolment product's chain is itself, its policy, the product as its policy's account
offers it, that account, the account's group client and the client's parents; a policy's
starts at the policy, and so on up. Which account a policy is in is read as of the day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.core.periods import in_force
from domain.database import among
from domain.groups.models import GroupAccount, GroupAccountProduct
from domain.groups.queries import ancestor_ids
from domain.policies.models import EnrollmentProduct, PolicyAccountLink
from domain.settings.effective import Chain, Effective, Level, choose_all
from domain.settings.models import AdjustmentPeriod, Setting, SettingLevel

L = SettingLevel


@dataclass
class _Paths:
    """Each object's owners, most specific first, as (level, id); filled in from the top."""

    of: dict[int, list[tuple[SettingLevel, int]]] = field(default_factory=dict)

    def ids(self, level: SettingLevel) -> set[int]:
        return {i for path in self.of.values() for lv, i in path if lv is level}


async def chains_for(
    session: AsyncSession, level: SettingLevel, ids: Iterable[int], day: date
) -> dict[int, Chain]:
    """The chain of every object of `level` with these ids, as of `day`."""
    paths = _Paths({i: [(level, i)] for i in ids})
    if level is L.ENROLLMENT_PRODUCT:
        await _enrolments(session, paths, day)
    if level in (L.ENROLLMENT_PRODUCT, L.POLICY):
        await _policies(session, paths, day)
    if level is L.GROUP_ACCOUNT_PRODUCT:
        await _offers(session, paths)
    if level is not L.GROUP_CLIENT:
        await _accounts(session, paths)
    await _clients(session, paths)
    settings = await _settings(session, paths)
    periods = await _periods(session, paths.ids(L.GROUP_ACCOUNT))
    levels: dict[tuple[SettingLevel, int], Level] = {}
    for step in {step for path in paths.of.values() for step in path}:
        lv, owner = step
        levels[step] = Level(lv, owner, settings.get((OWNER_LEVELS.get(lv, lv), owner), ()))
    return {
        i: Chain(
            [levels[step] for step in path],
            periods.get(next((o for lv, o in path if lv is L.GROUP_ACCOUNT), -1), ()),
        )
        for i, path in paths.of.items()
    }


async def effective_for(
    session: AsyncSession, level: SettingLevel, ids: Iterable[int], day: date
) -> dict[int, Effective]:
    """Every effective setting of every object of `level` with these ids, on `day`."""
    return choose_all(await chains_for(session, level, ids, day), day)


OWNER_LEVELS = {L.PARENT_GROUP_CLIENT: L.GROUP_CLIENT}
"""A parent's settings are those of the group client it is."""


def _extend(paths: _Paths, below: SettingLevel, found: dict[int, list[tuple[SettingLevel, int]]]):  # type: ignore[no-untyped-def]
    """Append to every path whose last owner is of `below` what lies above that owner."""
    for path in paths.of.values():
        level, owner = path[-1]
        if level is below:
            path.extend(found.get(owner, []))


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).all())


async def _enrolments(session: AsyncSession, paths: _Paths, day: date) -> None:
    """An enrolment's policy; the account's offer of its product comes with the policy."""
    stmt = sa.select(
        col(EnrollmentProduct.id),
        col(EnrollmentProduct.policy_id),
        col(EnrollmentProduct.product_id),
    ).where(among(session, col(EnrollmentProduct.id), paths.ids(L.ENROLLMENT_PRODUCT)))
    found = await _rows(session, stmt)
    _extend(paths, L.ENROLLMENT_PRODUCT, {e: [(L.POLICY, p)] for e, p, _ in found})
    products = {e: product for e, _, product in found}
    links = await _links(session, {p for _, p, _ in found}, day)
    offers = await _rows(
        session,
        sa.select(
            col(GroupAccountProduct.id),
            col(GroupAccountProduct.group_account_id),
            col(GroupAccountProduct.product_id),
        ).where(among(session, col(GroupAccountProduct.group_account_id), set(links.values()))),
    )
    offer_of = {(a, product): o for o, a, product in offers}
    for enrolment, path in paths.of.items():
        account = links.get(path[1][1]) if len(path) > 1 else None
        offer = offer_of.get((account, products.get(enrolment)))  # type: ignore[arg-type]
        if offer is not None:
            path.append((L.GROUP_ACCOUNT_PRODUCT, offer))


async def _links(session: AsyncSession, policy_ids: set[int], day: date) -> dict[int, int]:
    """The group account each policy is in on `day`."""
    stmt = sa.select(
        col(PolicyAccountLink.policy_id), col(PolicyAccountLink.group_account_id)
    ).where(
        among(session, col(PolicyAccountLink.policy_id), policy_ids),
        in_force(PolicyAccountLink, day),
    )
    return dict(await _rows(session, stmt))


async def _policies(session: AsyncSession, paths: _Paths, day: date) -> None:
    links = await _links(session, paths.ids(L.POLICY), day)
    for path in paths.of.values():
        policy = next((o for lv, o in path if lv is L.POLICY), None)
        if policy in links:
            path.append((L.GROUP_ACCOUNT, links[policy]))  # type: ignore[index]


async def _offers(session: AsyncSession, paths: _Paths) -> None:
    stmt = sa.select(col(GroupAccountProduct.id), col(GroupAccountProduct.group_account_id)).where(
        among(session, col(GroupAccountProduct.id), paths.ids(L.GROUP_ACCOUNT_PRODUCT))
    )
    found = dict(await _rows(session, stmt))
    _extend(paths, L.GROUP_ACCOUNT_PRODUCT, {o: [(L.GROUP_ACCOUNT, a)] for o, a in found.items()})


async def _accounts(session: AsyncSession, paths: _Paths) -> None:
    stmt = sa.select(col(GroupAccount.id), col(GroupAccount.group_client_id)).where(
        among(session, col(GroupAccount.id), paths.ids(L.GROUP_ACCOUNT))
    )
    found = dict(await _rows(session, stmt))
    _extend(paths, L.GROUP_ACCOUNT, {a: [(L.GROUP_CLIENT, c)] for a, c in found.items()})


async def _clients(session: AsyncSession, paths: _Paths) -> None:
    """A group client's parents, nearest first, all in one recursive query."""
    ancestors = await ancestor_ids(session, paths.ids(L.GROUP_CLIENT))
    _extend(
        paths,
        L.GROUP_CLIENT,
        {c: [(L.PARENT_GROUP_CLIENT, p) for p in reversed(up)] for c, up in ancestors.items()},
    )


OWNER_COLUMNS = {
    L.GROUP_CLIENT: "group_client_id",
    L.GROUP_ACCOUNT: "group_account_id",
    L.GROUP_ACCOUNT_PRODUCT: "group_account_product_id",
    L.POLICY: "policy_id",
    L.ENROLLMENT_PRODUCT: "enrollment_product_id",
}
"""The column of a setting that names its owner, by level."""


async def _settings(
    session: AsyncSession, paths: _Paths
) -> dict[tuple[SettingLevel, int], list[Setting]]:
    """Every setting of every owner in the paths, in one statement, by owner."""
    wanted = {level: paths.ids(level) for level in OWNER_COLUMNS}
    wanted[L.GROUP_CLIENT] |= paths.ids(L.PARENT_GROUP_CLIENT)
    stmt = sa.select(Setting).where(
        sa.or_(
            *(
                among(session, getattr(Setting, OWNER_COLUMNS[lv]), ids)
                for lv, ids in wanted.items()
                if ids
            )
        )
    )
    found: dict[tuple[SettingLevel, int], list[Setting]] = defaultdict(list)
    if not any(wanted.values()):
        return found
    for setting in (await session.scalars(stmt.order_by(col(Setting.id)))).all():
        for level, column in OWNER_COLUMNS.items():
            owner = getattr(setting, column)
            if owner is not None:
                found[(level, owner)].append(setting)
    return found


async def _periods(
    session: AsyncSession, account_ids: set[int]
) -> dict[int, list[AdjustmentPeriod]]:
    found: dict[int, list[AdjustmentPeriod]] = defaultdict(list)
    if not account_ids:
        return found
    stmt = sa.select(AdjustmentPeriod).where(
        among(session, col(AdjustmentPeriod.group_account_id), account_ids)
    )
    for period in (await session.scalars(stmt)).all():
        found[period.group_account_id].append(period)
    return found
