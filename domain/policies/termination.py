"""What a termination changes, kept so that reinstating gives back exactly the rows before.

Terminating a policy on T ends on T every row that ran past T, and withdraws (deletes) every
row that would only have started after T. Both are written down, in the termination's own
transaction, as `TerminatedRow`s: an ended row with the end date it had (None: open-ended),
a withdrawn row with all its columns, and with a withdrawn enrolment product its settings
(the database deletes them with it). Reinstating puts each ended row's end date back, inserts
each withdrawn row again under the id it had, and forgets the record. A row that ended on or
before T on its own is not touched by the termination, so it is not in the record and stays
as it was: a child removed on T stays removed, a member ending on T+40 comes back with T+40.

Why a record of its own: the audit trail is written for people, and what a reinstatement
does must not depend on how the trail's snapshots are laid out; columns on the rows could
not hold a withdrawn row, which no longer exists.

Two limits, both outside this module's control: SQLite gives the id of a deleted row to the
next row inserted when it was the highest, so a withdrawn row whose id was taken meanwhile
comes back under a new id (PostgreSQL never hands an id out twice); and a policy terminated
before migration 0008 has a record backfilled from the rows that ended on its end date, each
then open-ended, without the rows it withdrew (see lifecycle.reinstate_policy).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from domain.audit.service import snapshot
from domain.policies.checks import PolicyRows
from domain.policies.models import (
    EnrollmentProduct,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
    RowKind,
    TerminatedRow,
)
from domain.settings.models import Setting

MODELS: dict[RowKind, type[SQLModel]] = {
    RowKind.MEMBER: PolicyMember,
    RowKind.ACCOUNT_LINK: PolicyAccountLink,
    RowKind.CLASS_LINK: PolicyClassLink,
    RowKind.PRODUCT: EnrollmentProduct,
    RowKind.SETTING: Setting,
}


def _lists(rows: PolicyRows) -> list[tuple[RowKind, list[Any]]]:
    return [
        (RowKind.MEMBER, rows.members),
        (RowKind.ACCOUNT_LINK, rows.accounts),
        (RowKind.CLASS_LINK, rows.classes),
        (RowKind.PRODUCT, rows.products),
    ]


async def terminate_rows(
    session: AsyncSession, policy_id: int, rows: PolicyRows, day: date
) -> None:
    """End every row of `rows` on `day`, withdraw those starting later, and record both."""
    withdrawn_products: list[int] = []
    for kind, found in _lists(rows):
        for row in list(found):
            if row.start_date > day:
                session.add(_record(policy_id, kind, row, withdrawn=snapshot(row)))
                if kind is RowKind.PRODUCT:
                    withdrawn_products.append(row.id)
                found.remove(row)
                await session.delete(row)
            elif row.end_date is None or row.end_date > day:
                session.add(_record(policy_id, kind, row, end_date=row.end_date))
                row.end_date = day
    if withdrawn_products:
        for setting in await _settings(session, withdrawn_products):
            session.add(_record(policy_id, RowKind.SETTING, setting, withdrawn=snapshot(setting)))


def ended_open(policy_id: int, rows: Sequence[Any], day: date) -> list[TerminatedRow]:
    """The record of a termination on `day` by which every row ending that day ran open-ended
    before: what migration 0008 assumes of older terminations, and the demo's."""
    kinds = {MODELS[kind]: kind for kind in MODELS}
    return [
        _record(policy_id, kinds[type(row)], row, end_date=None)
        for row in rows
        if row.end_date == day
    ]


def _record(policy_id: int, kind: RowKind, row: Any, **what: Any) -> TerminatedRow:
    return TerminatedRow(policy_id=policy_id, kind=kind, changed_id=row.id, **what)


async def _settings(session: AsyncSession, product_ids: list[int]) -> Sequence[Setting]:
    stmt = sa.select(Setting).where(col(Setting.enrollment_product_id).in_(product_ids))
    return (await session.scalars(stmt.order_by(col(Setting.id)))).all()


async def restore_rows(session: AsyncSession, policy_id: int, rows: PolicyRows) -> set[int]:
    """Give `rows` back the ends and withdrawn rows their termination recorded; forget it.

    Returns the ids of the members whose recorded end was open (see
    lifecycle.reinstate_policy).
    """
    stmt = sa.select(TerminatedRow).where(
        col(TerminatedRow.policy_id) == policy_id,
        # A request's records wait for its ratification (domain.policies.reversal).
        col(TerminatedRow.request_id).is_(None),
    )
    records = (await session.scalars(stmt.order_by(col(TerminatedRow.id)))).all()
    reopened: set[int] = set()
    by_kind = dict(_lists(rows))
    for kind, found in by_kind.items():
        ends = {r.changed_id: r.end_date for r in records if r.kind is kind and r.withdrawn is None}
        for row in found:
            if row.id in ends:
                row.end_date = ends[row.id]
                if row.end_date is None and kind is RowKind.MEMBER:
                    reopened.add(row.id)
    await _insert_withdrawn(session, records, by_kind)
    for record in records:
        await session.delete(record)
    for found in by_kind.values():
        found.sort(key=lambda row: (row.start_date, row.id))
    return reopened


async def _insert_withdrawn(
    session: AsyncSession, records: Sequence[TerminatedRow], by_kind: dict[RowKind, list[Any]]
) -> None:
    """Insert the withdrawn rows again, under their old ids where still free."""
    product_ids: dict[int, Any] = {}
    for kind in (*by_kind, RowKind.SETTING):
        withdrawn = [r.withdrawn for r in records if r.kind is kind and r.withdrawn is not None]
        if not withdrawn:
            continue
        model = MODELS[kind]
        taken = await taken_ids(session, model, [data["id"] for data in withdrawn])
        for data in withdrawn:
            if kind is RowKind.SETTING:
                owner = product_ids[data["enrollment_product_id"]]
                data = {**data, "enrollment_product_id": owner.id}
            row = model.model_validate({**data, "id": None if data["id"] in taken else data["id"]})
            session.add(row)
            if kind is RowKind.PRODUCT:
                product_ids[data["id"]] = row
            if kind in by_kind:
                by_kind[kind].append(row)
        await session.flush()  # a product's settings follow it under its (maybe new) id


async def taken_ids(session: AsyncSession, model: Any, ids: list[int]) -> set[int]:
    """The ids, among these, that other rows hold now (SQLite hands them out again)."""
    stmt = sa.select(model.id).where(model.id.in_(ids))
    return set((await session.scalars(stmt)).all())
