"""Undoing a request's registration exactly, when the group's manager refuses to ratify it.

Under approval after the fact a request is registered at once and ratified later. While it is
registered, `recording` writes down every row of a policy's tables, of the policy itself and
of persons that the registration adds, updates or deletes, as `TerminatedRow`s of the request:
the same record a termination keeps for its reinstatement (domain.policies.termination), with
an added row's id, an updated row's columns before, a deleted row whole. `reverse` deletes what
was added, puts the columns back and inserts the deleted rows again, then forgets the record;
`forget` drops it once the change is ratified.

What is written down is what the flush writes, whatever service made the change, so no
request type can change a row the record misses. The limits of the termination's record
apply: on SQLite a deleted row whose id was handed out again comes back under a new id. A
change made to the same rows by someone else between the registration and the refusal is
overwritten by the reversal (as a reinstatement overwrites the ends it restores).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.policies.models import Person, Policy, PolicyMember, RowKind, TerminatedRow
from domain.policies.state import policy_rows, policy_snapshot, rows_of
from domain.policies.termination import MODELS, taken_ids

TRACKED: dict[type, RowKind] = {
    **{model: kind for kind, model in MODELS.items()},
    Policy: RowKind.POLICY,
    Person: RowKind.PERSON,
}
_PARENTS_FIRST = (
    RowKind.PERSON,
    RowKind.POLICY,
    RowKind.MEMBER,
    RowKind.ACCOUNT_LINK,
    RowKind.CLASS_LINK,
    RowKind.PRODUCT,
    RowKind.SETTING,
)
_KEPT = frozenset({"version"})  # the mapper moves it on; putting it back would fail the check
Key = tuple[RowKind, int]


@dataclass
class Seen:
    """What the flushes inside `recording` wrote: rows added, and rows before a change."""

    added: list[Key] = field(default_factory=list)
    updated: dict[Key, dict[str, Any]] = field(default_factory=dict)
    deleted: dict[Key, dict[str, Any]] = field(default_factory=dict)

    def note(self, session: Any, _context: Any) -> None:
        """Write down the flush about to be done (SQLAlchemy's after_flush, pre-flush state)."""
        for row in session.new:
            if type(row) in TRACKED:
                self.added.append((TRACKED[type(row)], row.id))
        for row in session.dirty:
            key = _key(row)
            if key and key not in self.updated and key not in self.added and _changed(row):
                self.updated[key] = _before(row)
        for row in session.deleted:
            key = _key(row)
            if key is None:
                continue
            if key in self.added:
                self.added.remove(key)
            else:
                earlier = self.updated.pop(key, None)
                self.deleted[key] = earlier if earlier is not None else _before(row)


def _key(row: Any) -> Key | None:
    kind = TRACKED.get(type(row))
    return (kind, row.id) if kind is not None else None


def _changed(row: Any) -> bool:
    state = sa.inspect(row)
    return any(
        state.attrs[a.key].history.deleted for a in state.mapper.column_attrs if a.key not in _KEPT
    )


def _before(row: Any) -> dict[str, Any]:
    """The row's columns as the database held them before this flush, as JSON."""
    state = sa.inspect(row)
    values = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        values[attr.key] = history.deleted[0] if history.deleted else getattr(row, attr.key)
    return json.loads(json.dumps(values, default=str))


@asynccontextmanager
async def recording(session: AsyncSession) -> AsyncIterator[Seen]:
    """Write down every tracked row the block adds, updates or deletes."""
    seen = Seen()
    await session.flush()  # what came before is not the block's
    sync = session.sync_session
    event.listen(sync, "after_flush", seen.note)
    try:
        yield seen
        await session.flush()
    finally:
        event.remove(sync, "after_flush", seen.note)


def keep(session: AsyncSession, seen: Seen, *, request_id: int, policy_id: int) -> None:
    """Keep what `seen` wrote down as the record of the request, on its policy."""

    def record(key: Key, **what: Any) -> TerminatedRow:
        kind, changed_id = key
        return TerminatedRow(
            policy_id=policy_id, kind=kind, changed_id=changed_id, request_id=request_id, **what
        )

    session.add_all([record(key, added=True) for key in seen.added])
    session.add_all([record(key, updated=row) for key, row in seen.updated.items()])
    session.add_all([record(key, withdrawn=row) for key, row in seen.deleted.items()])


async def _records(session: AsyncSession, request_id: int) -> Sequence[TerminatedRow]:
    stmt = sa.select(TerminatedRow).where(col(TerminatedRow.request_id) == request_id)
    return (await session.scalars(stmt.order_by(col(TerminatedRow.id)))).all()


async def forget(session: AsyncSession, request_id: int) -> None:
    """Drop the request's record: its change is ratified and stays."""
    for record in await _records(session, request_id):
        await session.delete(record)


async def reverse(session: AsyncSession, *, actor: Actor, request_id: int, policy_id: int) -> bool:
    """Undo the request's registration as `actor`, one change of its policy; forget the record.

    Returns whether the policy itself went (the registration enrolled it).
    """
    records = list(await _records(session, request_id))
    gone = any(r.added and r.kind is RowKind.POLICY for r in records)
    async with changing(session, actor, Action.POLICY_CHANGE_REVERSE, Policy, policy_id) as change:
        rows_of(change)  # the snapshot's rows: this change reads them afresh below
        for record in records:
            await session.delete(record)
        await session.flush()
        await _delete_added(session, records, RowKind.PERSON, RowKind.POLICY)
        await _put_back(session, actor, records)
        await _insert_deleted(session, records)
        if gone:
            await change.delete()
        else:
            change.row.updated_at = utcnow()
            await session.flush()
            rows = await policy_rows(session, policy_id)
            change.after = policy_snapshot(change.row, rows)
    if gone:
        await session.flush()
        await _delete_added(session, records)
    return gone


async def _delete_added(
    session: AsyncSession, records: Sequence[TerminatedRow], *spare: RowKind
) -> None:
    """Delete the rows the registration added, children first; persons only when unused."""
    for kind in reversed(_PARENTS_FIRST):
        if kind in spare:
            continue
        ids = [r.changed_id for r in records if r.added and r.kind is kind]
        for row_id in ids:
            row = await session.get(_model(kind), row_id)
            if row is not None and not (kind is RowKind.PERSON and await _in_use(session, row_id)):
                await session.delete(row)
        await session.flush()


async def _in_use(session: AsyncSession, person_id: int) -> bool:
    stmt = sa.select(col(PolicyMember.id)).where(col(PolicyMember.person_id) == person_id)
    return await session.scalar(stmt.limit(1)) is not None


def _model(kind: RowKind) -> Any:
    return {RowKind.PERSON: Person, RowKind.POLICY: Policy}.get(kind) or MODELS[kind]


async def _put_back(session: AsyncSession, actor: Actor, records: Sequence[TerminatedRow]) -> None:
    """Give updated rows their columns before; a person's, as a change of its own."""
    for record in records:
        if record.updated is None:
            continue
        model = _model(record.kind)
        if record.kind is RowKind.PERSON:
            async with changing(
                session, actor, Action.PERSON_CHANGE_REVERSE, Person, record.changed_id
            ) as change:
                _assign(change.row, model, record.updated)
        else:
            row = await session.get(model, record.changed_id)
            if row is not None:
                _assign(row, model, record.updated)
    await session.flush()


def _assign(row: Any, model: Any, before: dict[str, Any]) -> None:
    typed = model.model_validate(before)
    for name in before:
        if name not in _KEPT and name != "id":
            setattr(row, name, getattr(typed, name))


async def _insert_deleted(session: AsyncSession, records: Sequence[TerminatedRow]) -> None:
    """Insert the deleted rows again, parents first, under their old ids where still free."""
    for kind in _PARENTS_FIRST:
        withdrawn = [r.withdrawn for r in records if r.kind is kind and r.withdrawn is not None]
        if not withdrawn:
            continue
        model = _model(kind)
        taken = await taken_ids(session, model, [data["id"] for data in withdrawn])
        for data in withdrawn:
            session.add(
                model.model_validate({**data, "id": None if data["id"] in taken else data["id"]})
            )
        await session.flush()
