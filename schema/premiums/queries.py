"""Queries of premiums: premium runs (a policy's premium is a field of Policy)."""

from __future__ import annotations

import sqlalchemy as sa
import strawberry
from graphql import GraphQLError
from sqlmodel import col

from authz.access import PREMIUMS_READ
from domain.core.paging import count, fetch_slice
from domain.core.reach import visible
from domain.premiums import bills
from domain.premiums.calculation import month
from domain.premiums.models import PremiumRun as RunRow
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window
from schema.premiums.bills import Bill
from schema.premiums.inputs import BillFilter, PremiumRunFilter
from schema.premiums.runs import PremiumRun, PremiumRunConnection

BILLS = 20
"""The bills a month is taken to have, for the cost of a query (not enforced)."""
_BILLS = guarded(
    PREMIUMS_READ,
    "A month's bills: the charges of the policies you may see, net of reversals, per group "
    "client, billing account and allocation.",
)
_BILLS["metadata"] = {**_BILLS["metadata"], **bound(BILLS)}


@strawberry.type
class PremiumQuery:
    @strawberry.field(
        **guarded(
            PREMIUMS_READ,
            "Premium runs under the group clients you may see, oldest first, at most 100 a page.",
        )
    )
    async def premium_runs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PremiumRunFilter | None = None,
    ) -> PremiumRunConnection | None:
        session = info.context.session
        stmt = sa.select(RunRow).where(visible(info.context.access.scope(PREMIUMS_READ), RunRow))
        if filter and filter.group_client_id is not None:
            client_id = decode_id(filter.group_client_id, "GroupClient") or -1
            stmt = stmt.where(col(RunRow.group_client_id) == client_id)
        if filter and filter.period is not None:
            stmt = stmt.where(col(RunRow.period) == filter.period)
        page = await fetch_slice(session, stmt, RunRow, window(info, first, after))
        return PremiumRunConnection.of(
            page, PremiumRun.from_model, lambda: count(session, stmt), after=after is not None
        )

    @strawberry.field(**_BILLS)
    async def bills(self, info: Info, filter: BillFilter) -> list[Bill] | None:
        try:
            month(filter.period)
        except ValueError:
            raise GraphQLError("`filter.period`: give a month as YYYY-MM, e.g. 2027-01.") from None
        client_id = None
        if filter.group_client_id is not None:
            client_id = decode_id(filter.group_client_id, "GroupClient") or -1
        found = await bills.bills(
            info.context.session,
            scope=info.context.access.scope(PREMIUMS_READ),
            period=filter.period,
            group_client_id=client_id,
        )
        return [Bill.of(b) for b in found]
