"""Queries of persons and policies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from authz.access import GROUPS_READ, PERSONAL_FIELDS, POLICIES_READ
from domain.core.paging import Slice, Window
from domain.policies import queries
from domain.policies.models import Policy as PolicyRow
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window
from schema.policies.dataloaders import DatedKey
from schema.policies.inputs import PolicyFilter
from schema.policies.types import Person, Policy, PolicyConnection


def criteria(info: Info, filter: PolicyFilter | None) -> queries.PolicyFilter | None:
    """Translate the filter; None when it names a group that cannot exist (no rows match)."""
    if filter is None:
        return queries.PolicyFilter()
    ids: dict[str, int | None] = {}
    for name, value, type_name in (
        ("group_client_id", filter.group_client_id, "GroupClient"),
        ("group_account_id", filter.group_account_id, "GroupAccount"),
    ):
        ids[name] = None if value is None else decode_id(value, type_name)
        if value is not None and ids[name] is None:
            return None
    return queries.PolicyFilter(
        status=filter.status,
        as_of=filter.as_of,
        search=filter.search,
        search_names=info.context.access.allows(PERSONAL_FIELDS),
        **ids,
    )


async def policy_page(
    info: Info,
    found: queries.PolicyFilter | None,
    first: int | None,
    after: str | None,
) -> PolicyConnection:
    """One page of the policies that match, for the caller."""
    page_window = window(info, first, after)
    if found is None:
        return PolicyConnection.of(_EMPTY, Policy.from_model, _zero)
    session = info.context.session
    scope = info.context.access.scope(POLICIES_READ)
    groups_scope = info.context.access.scope(GROUPS_READ)
    page = await queries.list_policies(
        session, scope=scope, groups_scope=groups_scope, criteria=found, window=page_window
    )
    return await _connection(
        info,
        page,
        lambda: queries.count_policies(
            session, scope=scope, groups_scope=groups_scope, criteria=found
        ),
        after=after,
    )


async def account_policies(
    info: Info, account_id: int, as_of: date | None, first: int | None, after: str | None
) -> PolicyConnection:
    """One page of a group account's policies, batched with the other accounts' pages."""
    loaders = info.context.loaders.policies
    pages, counts = loaders.policies_by_group_account, loaders.policy_count_by_group_account
    return await _grouped(info, pages, counts, (account_id, as_of), first, after)


async def client_policies(
    info: Info, client_id: int, as_of: date | None, first: int | None, after: str | None
) -> PolicyConnection:
    """One page of the policies of a group client's subtree (those the filter
    `groupClientId` finds), batched with the other clients' pages."""
    loaders = info.context.loaders.policies
    pages, counts = loaders.policies_by_group_client, loaders.policy_count_by_group_client
    return await _grouped(info, pages, counts, (client_id, as_of), first, after)


async def _grouped(
    info: Info,
    pages: DataLoader[tuple[DatedKey, Window], Slice[Any]],
    counts: DataLoader[DatedKey, int],
    key: DatedKey,
    first: int | None,
    after: str | None,
) -> PolicyConnection:
    page = await pages.load((key, window(info, first, after)))
    return await _connection(info, page, lambda: counts.load(key), after=after)


async def _connection(
    info: Info, page: Slice[Any], count: Callable[[], Awaitable[int]], *, after: str | None
) -> PolicyConnection:
    built = {policy.id: policy for policy in await Policy.page(info, page.rows)}
    return PolicyConnection.of(  # type: ignore[no-any-return]
        page, lambda row: built[row.id], count, after=after is not None
    )


@strawberry.type
class PolicyQuery:
    @strawberry.field(
        **guarded(
            POLICIES_READ,
            "A policy by its id or by its number (give one); null when there is none or "
            "you may not see it.",
        )
    )
    async def policy(
        self, info: Info, id: strawberry.ID | None = None, number: str | None = None
    ) -> Policy | None:
        if (id is None) == (number is None):
            raise GraphQLError("Give exactly one of `id` and `number`.")
        if id is not None:
            row_id = decode_id(id, "Policy")
            row = await Policy.node_loader(info).load(row_id) if row_id is not None else None
        else:
            scope = info.context.access.scope(POLICIES_READ)
            row = await queries.policy_by_number(info.context.session, number or "", scope=scope)
        return Policy.from_model(row) if row else None

    @strawberry.field(
        **guarded(POLICIES_READ, "The policies you may see, in creation order, at most 100 a page.")
    )
    async def policies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PolicyFilter | None = None,
    ) -> PolicyConnection | None:
        return await policy_page(info, criteria(info, filter), first, after)

    @strawberry.field(
        **guarded(POLICIES_READ, "A person by id; null when there is none or you may not see it.")
    )
    async def person(self, info: Info, id: strawberry.ID) -> Person | None:
        row_id = decode_id(id, "Person")
        row = await Person.node_loader(info).load(row_id) if row_id is not None else None
        return Person.from_model(row) if row else None


_EMPTY: Slice[PolicyRow] = Slice(rows=[], has_next=False)


async def _zero() -> int:
    return 0
