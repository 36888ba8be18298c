"""Report queries: membership and workflow figures, and one's exports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import sqlalchemy as sa
import strawberry
from graphql import GraphQLError

from authz.access import (
    GROUPS_READ,
    POLICIES_READ,
    REPORTS_EXPORT,
    REPORTS_READ,
    VENDORS_READ,
    WORKFLOW_READ,
)
from domain.core.errors import DomainError
from domain.core.naming import camel
from domain.core.paging import count, fetch_slice
from domain.core.reach import visible
from domain.reports import membership, vendors, workflow
from domain.reports.groupings import MembershipFilter, MembershipKey
from domain.reports.models import Export as ExportRow
from domain.reports.ranges import DayRange, day_range
from domain.reports.workflow import WorkflowKey
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window
from schema.reports.inputs import MembershipStatsFilter
from schema.reports.types import (
    Export,
    ExportConnection,
    MembershipStatsRow,
    VendorStatsRow,
    WorkflowStatsRow,
)

DEFAULT_DAYS = 30
"""Without `from` and `to`, joiners and leavers are counted over the 30 days ending asOf."""
_NOWHERE = -1
"""An id that names no row: what a filter's id of another type or of nothing becomes."""


def refused(error: DomainError) -> GraphQLError:
    """A report's refused argument as a top-level error naming it, with the domain's code."""
    problem = error.problems[0]
    name = ".".join(camel(part) for part in problem.field) or "input"
    return GraphQLError(
        f"`{name}`: {problem.message}",
        extensions={"code": problem.code.value, "field": [name]},
    )


def _period(as_of: date, start: date | None, end: date | None) -> DayRange:
    end = end or (as_of if start is None else start + timedelta(days=DEFAULT_DAYS - 1))
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    return day_range(start, end)


def _id(value: strawberry.ID | None, type_name: str) -> int | None:
    return None if value is None else decode_id(value, type_name) or _NOWHERE


def _criteria(given: MembershipStatsFilter | None) -> MembershipFilter:
    if given is None:
        return MembershipFilter()
    return MembershipFilter(
        group_client_id=_id(given.group_client_id, "GroupClient"),
        group_account_id=_id(given.group_account_id, "GroupAccount"),
    )


_FROM = strawberry.argument(
    name="from", description="The first day of the range (joiners, leavers)."
)
_TO = strawberry.argument(description="The last day of the range; at most 366 days after from.")
_FIRST_DAY = strawberry.argument(name="from", description="The first day.")


@strawberry.type
class ReportQuery:
    @strawberry.field(
        **guarded(
            REPORTS_READ,
            "Counts of policies and members in force on asOf, and of joiners and leavers "
            "over a range (by default the 30 days ending asOf; at most 366 days), grouped by "
            "up to three keys, over the policies you may see (as the policies list). One "
            "group's row per combination of keys; no personal field.",
        )
    )
    async def membership_stats(
        self,
        info: Info,
        as_of: Annotated[date, strawberry.argument(description="The day of the counts.")],
        from_: Annotated[date | None, _FROM] = None,
        to: Annotated[date | None, _TO] = None,
        group_by: Annotated[
            list[MembershipKey] | None, strawberry.argument(description="Up to three keys.")
        ] = None,
        filter: MembershipStatsFilter | None = None,
    ) -> list[MembershipStatsRow] | None:
        access = info.context.access
        try:
            rows = await membership.membership_stats(
                info.context.session,
                scope=access.scope(POLICIES_READ),
                groups_scope=access.scope(GROUPS_READ),
                as_of=as_of,
                period=_period(as_of, from_, to),
                group_by=list(group_by or []),
                given=_criteria(filter),
            )
        except DomainError as error:
            raise refused(error) from None
        return [MembershipStatsRow.from_model(row) for row in rows]

    @strawberry.field(
        **guarded(
            REPORTS_READ,
            "Service levels of the workflow requests you may see (as the requests list) "
            "submitted from `from` to `to` (UTC days, at most 366), grouped by up to three "
            "keys: how many, how many decided and how fast, how many needed no person, "
            "escalations and touches.",
        )
    )
    async def workflow_stats(
        self,
        info: Info,
        from_: Annotated[date, _FIRST_DAY],
        to: Annotated[date, _TO],
        group_by: Annotated[
            list[WorkflowKey] | None, strawberry.argument(description="Up to three keys.")
        ] = None,
    ) -> list[WorkflowStatsRow] | None:
        try:
            rows = await workflow.workflow_stats(
                info.context.session,
                scope=info.context.access.scope(WORKFLOW_READ),
                period=day_range(from_, to),
                group_by=list(group_by or []),
            )
        except DomainError as error:
            raise refused(error) from None
        return [WorkflowStatsRow.from_model(row) for row in rows]

    @strawberry.field(
        **guarded(
            VENDORS_READ,
            "Outsourcing vendors' service levels over the tasks of their work created from "
            "`from` to `to` (UTC days, at most 366): tasks done, the share done within due "
            "time, the median time to done, escalations. An admin gets every vendor's (or "
            "`subject`'s), a vendor its own; by subject.",
        )
    )
    async def vendor_stats(
        self,
        info: Info,
        from_: Annotated[date, _FIRST_DAY],
        to: Annotated[date, _TO],
        subject: Annotated[
            str | None, strawberry.argument(description="Only this vendor's figures.")
        ] = None,
    ) -> list[VendorStatsRow] | None:
        session = info.context.session
        try:
            period = day_range(from_, to)
        except DomainError as error:
            raise refused(error) from None
        scope = info.context.access.scope(VENDORS_READ)
        scopes = await vendors.vendor_scopes(session, scope=scope, subject=subject)
        rows = await vendors.vendor_stats(session, scopes=scopes, period=period)
        return [VendorStatsRow.from_model(row) for row in rows]

    @strawberry.field(
        **guarded(REPORTS_EXPORT, "The exports you asked for, oldest first, at most 100 a page.")
    )
    async def exports(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ExportConnection | None:
        session = info.context.session
        scope = info.context.access.scope(REPORTS_EXPORT)
        stmt = sa.select(ExportRow).where(visible(scope, ExportRow))
        page = await fetch_slice(session, stmt, ExportRow, window(info, first, after))
        return ExportConnection.of(
            page, Export.from_model, lambda: count(session, stmt), after=after is not None
        )
