"""Time a page of 100 policies with their people, links and products, as of a day, by role.

Run: .venv/bin/python -m bench.policies_page [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
Builds `--size` families (subscriber, spouse, child with medical) in one account of a group
client, then times the first page of 100 policies as an admin and as restricted roles whose
grants reach the same policies, and an employee reading their own coverage.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from bench.harness import Build, Case, run
from domain.policies.limits import utc_today
from domain.policies.models import Person
from tests.factories import Book, families, place, viewers
from tests.schema.policies.test_statement_counts import PAGE

OWN = """
query Own {
  policies(first: 5) { edges { node {
    number status
    members { relationship endDate ageLimitDate person { givenName } }
    enrollmentProducts { coverageTier product { code name } }
  } } }
}
"""


def _build(args: argparse.Namespace) -> Build:
    async def build(session: AsyncSession) -> list[Case]:
        book = await Book(session).setup()
        where = await place(book)
        today = utc_today()
        made = await families(book, where, args.size, since=today - timedelta(days=30))
        holder = await session.get(Person, made[0].subscriber_id)
        assert holder is not None
        employee = Principal("bench-emp", frozenset({Role.EMPLOYEE}), person=holder.person_number)
        return [
            Case(
                "page of 100 policies, as of today",
                PAGE,
                {"asOf": today.isoformat()},
                viewers(where.client.code),
            ),
            Case("an employee's own coverage", OWN, {}, {"employee": employee}),
        ]

    return build


if __name__ == "__main__":
    run(__doc__, _build)
