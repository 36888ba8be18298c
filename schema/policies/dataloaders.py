"""Per-request loaders of persons and policies, each limited to the rows the caller may read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from authz.access import POLICIES_READ, Access
from domain.core.paging import Columns, Slice, Window, wider
from domain.core.reach import visible
from domain.policies import coverage, queries
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
)
from schema.core.batch import by_day, by_window, lists_by, rows_by_id


class PolicyLoaders:
    """Loaders of policies, their persons and every dated row of a policy."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(POLICIES_READ)
        self.policy_by_id = rows_by_id(session, Policy, where=visible(scope, Policy))
        self.person_by_id = rows_by_id(session, Person, where=visible(scope, Person))
        self.enrollment_product_by_id = rows_by_id(
            session,
            EnrollmentProduct,
            where=visible(scope, EnrollmentProduct),
        )

        def by_policy(model: type) -> DataLoader[Hashable, list[Any]]:
            """Every row of `model` of each policy, of the policies the caller may read."""
            column = model.policy_id  # type: ignore[attr-defined]
            return lists_by(session, model, column, where=visible(scope, model))

        self.members_by_policy = by_policy(PolicyMember)

        async def members_with_some(
            keys: list[tuple[int, Columns]],
        ) -> list[list[tuple[Any, Any]]]:
            # One read for the batch, of the persons' columns any key asks for.
            ids = list(dict.fromkeys(i for i, _ in keys))
            columns = wider(*(columns for _, columns in keys))
            found = await queries.members_with_persons(
                session, ids, scope=scope, person_columns=columns
            )
            return [found[i] for i, _ in keys]

        # Keyed by the policy and the persons' columns the selection reads
        # (schema.core.columns): persons read with fewer columns serve no wider selection.
        self.members_with_persons_by_policy_and_columns = DataLoader(load_fn=members_with_some)
        self.account_links_by_policy = by_policy(PolicyAccountLink)
        self.class_links_by_policy = by_policy(PolicyClassLink)
        self.enrollment_products_by_policy = by_policy(EnrollmentProduct)

        async def account_pages(
            keys: list[tuple[tuple[int, date | None], Window]],
        ) -> list[Slice[Any]]:
            # One statement per window and day asked; a page of accounts asks one of each.
            found: dict[tuple[tuple[int, date | None], Window], Slice[Any]] = {}
            for page_window, group in by_window(keys).items():
                days: dict[date | None, list[int]] = defaultdict(list)
                for (account_id, as_of), _ in group:
                    days[as_of].append(account_id)
                read = {
                    as_of: await queries.policy_slices_by_account(
                        session, list(dict.fromkeys(ids)), page_window, scope=scope, as_of=as_of
                    )
                    for as_of, ids in days.items()
                }
                found.update({((i, as_of), w): read[as_of][i] for (i, as_of), w in group})
            return [found[key] for key in keys]

        async def account_counts(keys: list[tuple[int, date | None]]) -> list[int]:
            asked: dict[date | None, list[int]] = defaultdict(list)
            for account_id, as_of in keys:
                asked[as_of].append(account_id)
            found: dict[tuple[int, date | None], int] = {}
            for as_of, ids in asked.items():
                counts = await queries.policy_counts_by_account(
                    session, ids, scope=scope, as_of=as_of
                )
                found.update({(i, as_of): n for i, n in counts.items()})
            return [found[key] for key in keys]

        self.policies_by_group_account = DataLoader(load_fn=account_pages)
        self.policy_count_by_group_account = DataLoader(load_fn=account_counts)

        async def persons_by_number(numbers: list[str]) -> list[Any]:
            return [await coverage.person_by_number(session, n, scope=scope) for n in numbers]

        async def policies_by_person(numbers: list[str]) -> list[list[Any]]:
            return [await coverage.policies_insuring(session, n, scope=scope) for n in numbers]

        async def placements(keys: list[tuple[int, date]]) -> list[coverage.Placement]:
            found: dict[tuple[int, date], coverage.Placement] = {}
            for day, ids in by_day(keys).items():
                placed = await coverage.placements(session, ids, day, scope=scope)
                found.update({(i, day): p for i, p in placed.items()})
            return [found[key] for key in keys]

        # A request asks for one principal's person: one key, one statement.
        self.person_by_number = DataLoader(load_fn=persons_by_number)
        self.policies_by_person_number = DataLoader(load_fn=policies_by_person)
        self.placement_by_policy = DataLoader(load_fn=placements)
