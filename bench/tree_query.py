"""Time the 5-level tree query and the first page of group clients, as admin and restricted.

Run: .venv/bin/python -m bench.tree_query [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
Builds a 200-client tree (each client with an account, 2 classes, 2 products) in a fresh database,
then times each query for an admin and for restricted roles whose grants reach the same rows
(so only the cost of authorization differs), with the overhead over admin.
"""

from __future__ import annotations

import argparse

from sqlalchemy.ext.asyncio import AsyncSession

from bench.harness import Build, Case, run
from tests.factories import Book, tree, viewers
from tests.schema.groups.test_statement_counts import PAGE, TREE


def _build(args: argparse.Namespace) -> Build:
    async def build(session: AsyncSession) -> list[Case]:
        root = await tree(await Book(session).setup(), size=args.size, depth=5)
        seen_by = viewers(root.code)
        return [
            Case(f"tree of {args.size}, 5 levels", TREE, {"code": root.code}, seen_by),
            Case("first page of 100 clients", PAGE, {}, seen_by),
        ]

    return build


if __name__ == "__main__":
    run(__doc__, _build)
