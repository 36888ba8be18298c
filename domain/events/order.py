"""The outbox's order: by writing transaction, then id; read only below the oldest one open.

Ids come from a sequence when each event is written, so on PostgreSQL a transaction may take
id 7, another id 8 and commit first: a reader past 8 would never see 7. Instead of making ids
follow commit order with one lock every writer waits for, each event records the id of the
transaction that wrote it (`pg_current_xact_id()`, 64 bits, never reused), and readers list
events by (that id, event id), only those whose transaction id is below the oldest
transaction still in progress (`pg_snapshot_xmin(pg_current_snapshot())`): every transaction
below it has ended, so no event can still appear before the last one a reader saw. This is
the usual gapless polling outbox on PostgreSQL (event-driven.io, "How Postgres sequences issues
can impact your messaging guarantees"). Transactions of other databases on the same server
are left out (pg_stat_activity names their database), so only a transaction left open in this
database delays readers until it ends; none ever makes one miss an event.

The events about one row stay in order: a change holds its row's lock until it commits, so
the next event about the row is written after it; and each event's recorded transaction id is
raised to its row's previous one if lower (domain.events.outbox), so the next event about a
row never sorts before the last. SQLite has one writer at a time: ids follow commit order
there, every event records 0, and nothing is held back.

A cursor stays one event id (the feed's, an endpoint's): "after event N" means after N's
place in this order. Id 0, or an id that names no event, means from the beginning.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from domain.events.models import DomainEvent

NEVER = 2**63 - 1


class _Transaction(FunctionElement[int]):
    """A transaction id (64 bits) that PostgreSQL and SQLite spell each their own way."""

    type = sa.BigInteger()
    inherit_cache = True
    spelling: dict[str, str]


@compiles(_Transaction)
def _spell(element: _Transaction, compiler: SQLCompiler, **kw: Any) -> str:
    return element.spelling[compiler.dialect.name]


class writing_transaction(_Transaction):
    """The id of the transaction running the statement (0 on SQLite)."""

    inherit_cache = True
    spelling = {"postgresql": "CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)", "sqlite": "0"}


class oldest_open(_Transaction):
    """The oldest transaction still in progress as the statement sees it: every one below
    it has ended. On SQLite, nothing is held back.

    On PostgreSQL: the snapshot's open transactions, less those pg_stat_activity shows in
    another database (their xid is the low 32 bits); with none, every id below the snapshot's
    xmax has ended."""

    inherit_cache = True
    spelling = {
        "postgresql": "(SELECT CAST(CAST(coalesce(min(open.xid),"
        " pg_snapshot_xmax(pg_current_snapshot())) AS TEXT) AS BIGINT)"
        " FROM pg_snapshot_xip(pg_current_snapshot()) AS open(xid)"
        " WHERE NOT EXISTS (SELECT FROM pg_stat_activity AS other"
        " WHERE other.datname <> current_database()"
        " AND CAST(CAST(other.backend_xid AS TEXT) AS BIGINT)"
        " = mod(CAST(CAST(open.xid AS TEXT) AS BIGINT), 4294967296)))",
        "sqlite": str(NEVER),
    }


class own_transaction(_Transaction):
    """The id of the reading transaction if it has written (NULL otherwise, and on SQLite)."""

    inherit_cache = True
    spelling = {
        "postgresql": "CAST(CAST(pg_current_xact_id_if_assigned() AS TEXT) AS BIGINT)",
        "sqlite": "NULL",
    }


POSITION = (col(DomainEvent.transaction_id), col(DomainEvent.id))
"""The order of the feed and of deliveries' making."""


def settled() -> Any:
    """Events whose place in the order is final: none can appear before them any more. A
    transaction also sees the events it wrote itself (a test's, which never commits)."""
    column = col(DomainEvent.transaction_id)
    return sa.or_(column < oldest_open(), column == own_transaction())


def after(event_id: int) -> Any:
    """Events after event `event_id` in the order (all of them for 0 or an unknown id)."""
    at = sa.select(col(DomainEvent.transaction_id)).where(col(DomainEvent.id) == event_id)
    place = sa.func.coalesce(at.scalar_subquery(), -1)
    return sa.tuple_(*POSITION) > sa.tuple_(place, event_id)


def up_to(event: Any) -> Any:
    """Events at or before `event` (a row with its transaction and id) in the order."""
    return sa.tuple_(*POSITION) <= sa.tuple_(event.transaction_id, event.id)


async def last_settled(session: AsyncSession) -> Any:
    """The last settled event (its id and transaction), or None while there is none."""
    stmt = (
        sa.select(*POSITION)
        .where(settled())
        .order_by(*(column.desc() for column in POSITION))
        .limit(1)
    )
    return (await session.execute(stmt)).first()
