"""Which policies and persons a row scope reaches, as SQL predicates.

A policy carries its own data access group and line of business: a restriction on its
group client or account does not reach it. A group manager or partner reaches the policies
ever linked to a group account of their granted subtrees; an employee reaches the policy
they subscribe to. Each predicate is built once per scope (see authz.access.SCOPES).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import SCOPES, RowScope
from domain.core.reach import Entity, declare
from domain.groups import reach as groups
from domain.groups.models import GroupAccount
from domain.policies.models import (
    EnrollmentProduct,
    Person,
    Policy,
    PolicyAccountLink,
    PolicyClassLink,
    PolicyMember,
)
from domain.reference.reach import any_of, restricted


def _in_granted_subtrees(scope: RowScope) -> Any:
    """Policies ever linked to a granted account; for a change, those whose latest link is."""
    if not scope.subtrees:
        return sa.false()
    granted_accounts = sa.select(col(GroupAccount.id)).where(
        groups.in_subtree(scope, col(GroupAccount.group_client_id))
    )
    links = sa.select(col(PolicyAccountLink.policy_id)).where(
        col(PolicyAccountLink.group_account_id).in_(granted_accounts)
    )
    if scope.writes:
        later = sa.orm.aliased(PolicyAccountLink)
        links = links.where(
            ~sa.exists().where(
                col(later.policy_id) == col(PolicyAccountLink.policy_id),
                col(later.start_date) > col(PolicyAccountLink.start_date),
            )
        )
    return col(Policy.id).in_(links)


def _own(scope: RowScope) -> Any:
    if scope.person is None:
        return sa.false()
    return col(Policy.subscriber_id).in_(
        sa.select(col(Person.id)).where(col(Person.person_number) == scope.person)
    )


@lru_cache(maxsize=SCOPES)
def policies(scope: RowScope) -> Any:
    """Policies the scope reaches."""
    if scope.everything:
        return sa.true()
    return any_of(
        restricted(scope, col(Policy.data_access_group_id), col(Policy.line_of_business_id)),
        _in_granted_subtrees(scope),
        _own(scope),
    )


@lru_cache(maxsize=SCOPES)
def of_policies(scope: RowScope, policy_id: Any) -> Any:
    """Rows that belong to a policy the scope reaches."""
    if scope.everything:
        return sa.true()
    return policy_id.in_(sa.select(col(Policy.id)).where(policies(scope)))


@lru_cache(maxsize=SCOPES)
def persons(scope: RowScope) -> Any:
    """Persons the scope reaches: the members of policies it reaches, and oneself."""
    if scope.everything:
        return sa.true()
    members = sa.select(col(PolicyMember.person_id)).where(
        of_policies(scope, col(PolicyMember.policy_id))
    )
    if scope.person is None:
        return col(Person.id).in_(members)
    # One IN over a UNION, not two conditions OR-ed: see any_of.
    own = sa.select(col(Person.id)).where(col(Person.person_number) == scope.person)
    return col(Person.id).in_(sa.union(members, own))


_RESTRICTIONS = ("line_of_business", "data_access_group")


async def _policy_state(session: AsyncSession, row: Any) -> dict[str, Any]:
    from domain.policies.state import policy_state

    return await policy_state(session, row)


_EMPLOYERS = "policy_employers_known"


@contextmanager
def employers_known(session: AsyncSession, employers: dict[int, set[int]]) -> Iterator[None]:
    """While the block runs, the employers (see `_employers`) of these policies, by id, are
    known without a statement: a batch of new policies tells them so that the events of its
    changes are not one more statement each."""
    session.info[_EMPLOYERS] = employers
    try:
        yield
    finally:
        del session.info[_EMPLOYERS]


async def _employers(session: AsyncSession, row: Any) -> set[int]:
    """The group clients of every account the policy was ever linked to: each employer's
    feed tells of a policy that moved away from it, too."""
    known = session.info.get(_EMPLOYERS, {}).get(row.id)
    if known is not None:
        return known  # type: ignore[no-any-return]
    stmt = (
        sa.select(col(GroupAccount.group_client_id))
        .join(PolicyAccountLink, col(PolicyAccountLink.group_account_id) == GroupAccount.id)
        .where(col(PolicyAccountLink.policy_id) == row.id)
    )
    return set((await session.scalars(stmt)).all())


declare(
    Policy,
    Entity(
        noun="policy",
        reach=policies,
        snapshot=_policy_state,
        restriction_fields=_RESTRICTIONS,
        concerns=_employers,
    ),
)
declare(Person, Entity(noun="person", reach=persons))


def _of_policies(model: Any) -> Callable[[RowScope], Any]:
    return lambda scope: of_policies(scope, col(model.policy_id))


for _model, _noun in (
    (PolicyMember, "policy member"),
    (PolicyAccountLink, "account link"),
    (PolicyClassLink, "class link"),
    (EnrollmentProduct, "enrolment product"),
):
    declare(_model, Entity(noun=_noun, reach=_of_policies(_model)))
