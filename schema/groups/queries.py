"""Queries of the group structure."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from authz.access import GROUPS_READ
from domain.core.paging import Slice
from domain.groups import queries
from domain.groups.models import GroupClient as GroupClientRow
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import RowNode, decode_id, window
from schema.groups.inputs import GroupClientFilter
from schema.groups.types import GroupAccount, GroupClient, GroupClientConnection


def _criteria(filter: GroupClientFilter | None) -> queries.GroupClientFilter | None:
    """Translate the filter; None when it names a parent that cannot exist (no rows match)."""
    if filter is None:
        return queries.GroupClientFilter()
    parent_id = None
    if filter.parent_id is not None:
        parent_id = decode_id(filter.parent_id, "GroupClient")
        if parent_id is None:
            return None
    return queries.GroupClientFilter(
        parent_id=parent_id,
        roots_only=bool(filter.roots_only),
        status=filter.status,
        search=filter.search,
    )


async def _by_id_or_code(
    info: Info, node_type: type[RowNode], by_code: Any, id: str | None, code: str | None
) -> object:
    if (id is None) == (code is None):
        raise GraphQLError("Give exactly one of `id` and `code`.")
    if id is not None:
        row_id = decode_id(id, node_type.__name__)
        return await node_type.node_loader(info).load(row_id) if row_id is not None else None
    scope = info.context.access.scope(GROUPS_READ)
    return await by_code(info.context.session, code or "", scope=scope)


@strawberry.type
class GroupQuery:
    @strawberry.field(
        **guarded(
            GROUPS_READ,
            "A group client by its id or by its code (give one); null when "
            "there is none or you may not see it.",
        )
    )
    async def group_client(
        self, info: Info, id: strawberry.ID | None = None, code: str | None = None
    ) -> GroupClient | None:
        row = await _by_id_or_code(info, GroupClient, queries.client_by_code, id, code)
        return GroupClient.from_model(row) if row else None  # type: ignore[arg-type]

    @strawberry.field(
        **guarded(
            GROUPS_READ, "The group clients you may see, in creation order, at most 100 a page."
        )
    )
    async def group_clients(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: GroupClientFilter | None = None,
    ) -> GroupClientConnection | None:
        session = info.context.session
        scope = info.context.access.scope(GROUPS_READ)
        page_window = window(info, first, after)
        criteria = _criteria(filter)
        if criteria is None:
            return GroupClientConnection.of(_EMPTY, GroupClient.from_model, _zero)
        page = await queries.list_group_clients(
            session, scope=scope, criteria=criteria, window=page_window
        )
        return GroupClientConnection.of(
            page,
            GroupClient.from_model,
            lambda: queries.count_group_clients(session, scope=scope, criteria=criteria),
            after=after is not None,
        )

    @strawberry.field(
        **guarded(
            GROUPS_READ,
            "A group account by its id or by its code (give one); null when "
            "there is none or you may not see it.",
        )
    )
    async def group_account(
        self, info: Info, id: strawberry.ID | None = None, code: str | None = None
    ) -> GroupAccount | None:
        row = await _by_id_or_code(info, GroupAccount, queries.account_by_code, id, code)
        return GroupAccount.from_model(row) if row else None  # type: ignore[arg-type]


_EMPTY: Slice[GroupClientRow] = Slice(rows=[], has_next=False)


async def _zero() -> int:
    return 0
