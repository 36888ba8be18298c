"""Per-request loaders of persons and policies, each limited to the rows the caller may read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from strawberry.dataloader import DataLoader

from authz.access import GROUPS_READ, POLICIES_READ, Access, RowScope
from domain.core.paging import Columns, Joined, Slice, Window, fetch_grouped, wider
from domain.core.reach import visible
from domain.policies import coverage, pages, queries
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
)
from domain.reference.models import Product
from schema.core.batch import by_day, by_window, lists_by, rows_by_id
from schema.reference.dataloaders import reference_read


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

        members_where = visible(scope, PolicyMember)

        async def members_of(pages: list[tuple[int, ...]]) -> list[list[list[Any]]]:
            ids = list(dict.fromkeys(i for page in pages for i in page))
            policy_id = PolicyMember.policy_id  # type: ignore[attr-defined]
            found = await fetch_grouped(session, PolicyMember, policy_id, ids, where=members_where)
            return [[found[i] for i in page] for page in pages]

        async def members_with_some(
            keys: list[tuple[tuple[int, ...], Columns]],
        ) -> list[list[list[tuple[Any, Any]]]]:
            # One read for the batch, of the persons' columns any key asks for.
            ids = list(dict.fromkeys(i for page, _ in keys for i in page))
            columns = wider(*(columns for _, columns in keys))
            found = await queries.members_with_persons(
                session, ids, scope=scope, person_columns=columns
            )
            return [[found[i] for i in page] for page, _ in keys]

        # Keyed by a page of policies (a policy alone is a page of one), so that a page waits
        # on one key rather than one per policy: a thousand policies in a hundred pages cost a
        # thousand futures and their callbacks. With persons, also by the persons' columns the
        # selection reads (schema.core.columns): persons read with fewer columns serve no wider
        # selection.
        self.members_by_policies = DataLoader(load_fn=members_of)
        self.members_with_persons_by_policies_and_columns = DataLoader(load_fn=members_with_some)
        self.account_links_by_policy = by_policy(PolicyAccountLink)
        self.class_links_by_policy = by_policy(PolicyClassLink)
        self.enrollment_products_by_policy = by_policy(EnrollmentProduct)
        # With their products, read as schema.reference's product_by_id reads them.
        product = Joined(Product, col(EnrollmentProduct.product_id), reference_read(caller))
        self.enrollment_products_with_products_by_policy = lists_by(
            session,
            EnrollmentProduct,
            col(EnrollmentProduct.policy_id),
            where=visible(scope, EnrollmentProduct),
            joined=product,
        )

        self.policies_by_group_account = _pages(session, scope, pages.account_links)
        self.policy_count_by_group_account = _counts(session, scope, pages.account_links)
        # A client's subtree is walked within the caller's reach of groups, as the filter is.
        subtrees = partial(pages.client_links, groups_scope=caller.scope(GROUPS_READ))
        self.policies_by_group_client = _pages(session, scope, subtrees)
        self.policy_count_by_group_client = _counts(session, scope, subtrees)

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


Linking = Callable[[list[int]], pages.Links]
"""The policies of each of some group rows (accounts, or clients' subtrees), as of a day."""
DatedKey = tuple[int, date | None]


def _pages(
    session: AsyncSession, scope: RowScope, linking: Linking
) -> DataLoader[tuple[DatedKey, Window], Slice[Any]]:
    """A window of each group row's policies: one statement per window and day asked (a page
    of accounts or clients asks one of each)."""

    async def load(keys: list[tuple[DatedKey, Window]]) -> list[Slice[Any]]:
        found: dict[tuple[DatedKey, Window], Slice[Any]] = {}
        for page_window, group in by_window(keys).items():
            read = {
                as_of: await pages.policy_slices(
                    session, linking(ids), page_window, scope=scope, as_of=as_of
                )
                for as_of, ids in _by_day(key for key, _ in group).items()
            }
            found.update({((i, as_of), w): read[as_of][i] for (i, as_of), w in group})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def _counts(session: AsyncSession, scope: RowScope, linking: Linking) -> DataLoader[DatedKey, int]:
    """How many policies each group row has, as `_pages` finds them: one statement per day."""

    async def load(keys: list[DatedKey]) -> list[int]:
        found: dict[DatedKey, int] = {}
        for as_of, ids in _by_day(keys).items():
            counts = await pages.policy_counts(session, linking(ids), scope=scope, as_of=as_of)
            found.update({(i, as_of): n for i, n in counts.items()})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def _by_day(keys: Iterable[DatedKey]) -> dict[date | None, list[int]]:
    """The group rows asked for on each day, each once, in the order first asked."""
    days: dict[date | None, dict[int, None]] = defaultdict(dict)
    for row_id, as_of in keys:
        days[as_of][row_id] = None
    return {as_of: list(ids) for as_of, ids in days.items()}
