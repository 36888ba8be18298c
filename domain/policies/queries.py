"""Reading policies and persons for lists and loaders, limited to what a scope reaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import RowScope
from domain.core.fields import is_code
from domain.core.paging import (
    STATEMENTS,
    Columns,
    Joined,
    Slice,
    Window,
    count,
    fetch_grouped,
    run_slice,
    slice_select,
)
from domain.core.periods import in_force
from domain.core.reach import visible
from domain.groups.models import GroupAccount, GroupClient
from domain.groups.queries import subtree_ids
from domain.policies.models import Person, Policy, PolicyAccountLink, PolicyMember, PolicyStatus


@dataclass(frozen=True)
class PolicyFilter:
    """Which policies to list; every given criterion must hold.

    Without `as_of`, a group criterion matches a policy ever linked to the group; with it,
    only one linked on that day, and only policies in force on that day match. `search`
    matches the subscriber's names only when `search_names` says the caller may read them:
    a match would tell a caller who may not what the names contain.
    """

    group_client_id: int | None = None
    group_account_id: int | None = None
    status: PolicyStatus | None = None
    as_of: date | None = None
    search: str | None = None
    search_names: bool = False

    def select(self, scope: RowScope, *, groups_scope: RowScope) -> sa.Select[Any]:
        """The select of the matching policies `scope` reaches.

        A group client or account named in the filter must be one `groups_scope` sees: a
        hidden row does not exist, so neither do policies found through it.
        """
        stmt = sa.select(Policy).where(visible(scope, Policy))
        accounts = self._accounts(groups_scope)
        if accounts is not None:
            links = sa.select(col(PolicyAccountLink.policy_id)).where(
                col(PolicyAccountLink.group_account_id).in_(accounts)
            )
            if self.as_of is not None:
                links = links.where(in_force(PolicyAccountLink, self.as_of))
            stmt = stmt.where(col(Policy.id).in_(links))
        if self.status is not None:
            stmt = stmt.where(col(Policy.status) == self.status)
        if self.as_of is not None:
            stmt = stmt.where(in_force(Policy, self.as_of))
        return self._searched(stmt)

    def _accounts(self, groups_scope: RowScope) -> sa.Select[Any] | None:
        if self.group_client_id is None and self.group_account_id is None:
            return None
        stmt = sa.select(col(GroupAccount.id))
        if self.group_account_id is not None:
            stmt = stmt.where(
                col(GroupAccount.id) == self.group_account_id, visible(groups_scope, GroupAccount)
            )
        if self.group_client_id is not None:
            clients = subtree_ids(self.group_client_id, visible=visible(groups_scope, GroupClient))
            stmt = stmt.where(col(GroupAccount.group_client_id).in_(clients))
        return stmt

    def _searched(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        term = (self.search or "").strip().lower()
        if "\x00" in term:  # nothing stored holds one; PostgreSQL cannot even compare it
            return stmt.where(sa.false())
        if not term:
            return stmt
        names = (Person.given_name, Person.family_name) if self.search_names else ()
        subscribers = sa.select(col(Person.id)).where(
            sa.or_(
                *(
                    sa.func.lower(column).contains(term, autoescape=True)
                    for column in (*names, Person.person_number)
                )
            )
        )
        return stmt.where(
            sa.or_(
                sa.func.lower(Policy.number).contains(term, autoescape=True),
                col(Policy.subscriber_id).in_(subscribers),
            )
        )


async def list_policies(
    session: AsyncSession,
    *,
    scope: RowScope,
    groups_scope: RowScope,
    criteria: PolicyFilter,
    window: Window,
) -> Slice[Policy]:
    """A window of the matching policies, in creation order."""
    return await run_slice(session, _page(criteria, scope, groups_scope, window), window)


@lru_cache(maxsize=STATEMENTS)
def _page(
    criteria: PolicyFilter, scope: RowScope, groups_scope: RowScope, window: Window
) -> sa.Select[Any]:
    """The select of a window of policies, built once for what decides it: a request of the
    same page by the same caller runs it again (see domain.core.paging.fetch_by_id)."""
    return slice_select(criteria.select(scope, groups_scope=groups_scope), Policy, window)


async def count_policies(
    session: AsyncSession, *, scope: RowScope, groups_scope: RowScope, criteria: PolicyFilter
) -> int:
    """Count the matching policies."""
    return await count(session, criteria.select(scope, groups_scope=groups_scope))


async def policy_by_number(session: AsyncSession, number: str, *, scope: RowScope) -> Policy | None:
    """The policy with this number, if `scope` reaches it."""
    if not is_code(number.strip()):
        return None
    stmt = sa.select(Policy).where(col(Policy.number) == number.strip(), visible(scope, Policy))
    return await session.scalar(stmt)  # type: ignore[no-any-return]


async def members_with_persons(
    session: AsyncSession,
    policy_ids: list[int],
    *,
    scope: RowScope,
    person_columns: Columns = None,
) -> dict[int, list[tuple[Any, Any]]]:
    """Every member row of each policy the scope reaches, with their person's row (of
    `person_columns` only, when given), as records, in one statement for any number of
    policies.

    A person is readable to whoever reads a policy they are a member of (see
    `domain.policies.reach.persons`), so persons are joined with no condition of their own."""
    person = Joined(Person, col(PolicyMember.person_id), sa.true(), person_columns)
    policy_id = col(PolicyMember.policy_id)
    return await fetch_grouped(
        session,
        PolicyMember,
        policy_id,
        policy_ids,
        where=visible(scope, PolicyMember),
        joined=person,
    )
