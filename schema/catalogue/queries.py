"""Queries of the catalogue: what a group account offers, or what a policy is offered."""

from __future__ import annotations

import strawberry

from authz.access import PREMIUMS_READ
from domain.catalogue import service
from domain.catalogue.models import CatalogueItem as ItemRow
from domain.core.paging import count, fetch_slice
from schema.catalogue.inputs import CatalogueItemFilter
from schema.catalogue.types import CatalogueItem, CatalogueItemConnection
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window


@strawberry.type
class CatalogueQuery:
    @strawberry.field(
        **guarded(
            PREMIUMS_READ,
            "The catalogue items of the group accounts you may see (an employee: the accounts "
            "they are insured in), oldest first, at most 100 a page.",
        )
    )
    async def catalogue_items(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: CatalogueItemFilter | None = None,
    ) -> CatalogueItemConnection | None:
        session = info.context.session
        given = filter or CatalogueItemFilter()
        policy_id = None
        if given.policy_id is not None:
            policy_id = decode_id(given.policy_id, "Policy") or -1
        stmt = service.items(
            info.context.access.scope(PREMIUMS_READ),
            group_account_id=None
            if given.group_account_id is None
            else decode_id(given.group_account_id, "GroupAccount") or -1,
            policy_id=policy_id,
            kind=given.kind,
            as_of=given.as_of or (info.context.today() if policy_id else None),
        )
        page = await fetch_slice(session, stmt, ItemRow, window(info, first, after))
        return CatalogueItemConnection.of(
            page, CatalogueItem.from_model, lambda: count(session, stmt), after=after is not None
        )
