"""Time effective settings: of a page of 100 policies (and their enrolments), and of a tree.

Run: .venv/bin/python -m bench.settings_query [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
Builds `--size` families in one configured account, and a separate 5-level tree of 500
group clients configured at its root; then times each query as an admin and as restricted
roles whose grants reach the same rows.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bench.harness import Build, Case, run
from domain.policies.limits import utc_today
from tests.factories import Book, families, place, settings_reference, tree, viewers
from tests.schema.settings.test_statement_counts import POLICIES, TREE, _configure


def _build(args: argparse.Namespace) -> Build:
    async def build(session: AsyncSession) -> list[Case]:
        book = await Book(session).setup()
        await settings_reference(book)
        where = await place(book)
        await _configure(book, where.client.id, where.account.id)  # type: ignore[arg-type]
        await families(book, where, args.size, since=utc_today() - timedelta(days=10))
        root = await tree(book, size=500, depth=5)
        await _configure(book, root.id)  # type: ignore[arg-type]
        return [
            Case(
                "effective settings of 100 policies and their enrolments",
                POLICIES,
                {"asOf": utc_today().isoformat()},
                viewers(where.client.code),
            ),
            Case(
                "effective settings of a 500-client tree",
                TREE,
                {"code": root.code},
                viewers(root.code),
            ),
        ]

    return build


if __name__ == "__main__":
    run(__doc__, _build)
