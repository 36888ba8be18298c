"""Inputs of the report queries and of exportCreate."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.reports.models import ExportFormat, ExportKind

strawberry.enum(
    ExportKind,
    description="What an export holds: POLICIES, MEMBERS (a row per member of a policy), "
    "WORKFLOW_REQUESTS, AUDIT_EVENTS.",
)
strawberry.enum(ExportFormat, description="How an export file is written.")


@strawberry.input(
    description="Which members to count: under a group client (its whole subtree) or in one "
    "account, on the day each is looked at. One you may not see matches nothing."
)
class MembershipStatsFilter:
    group_client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only members in the accounts of this client and below it."
    )
    group_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only members in this account."
    )


@strawberry.input(
    description="Which rows to export; each criterion applies to the kinds it names, and a "
    "group client you may not see matches nothing."
)
class ExportFilter:
    group_client_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="POLICIES and MEMBERS: only policies ever in an account of this client or "
        "below it (in force on `asOf` when given).",
    )
    as_of: date | None = strawberry.field(
        default=None,
        description="POLICIES and MEMBERS: only policies (and members) in force on this day.",
    )
    from_: date | None = strawberry.field(
        default=None,
        name="from",
        description="WORKFLOW_REQUESTS and AUDIT_EVENTS: only those from this day (UTC) on.",
    )
    to: date | None = strawberry.field(
        default=None,
        description="WORKFLOW_REQUESTS and AUDIT_EVENTS: only those up to this day (UTC).",
    )


@strawberry.input(description="An export to make in the background.")
class ExportCreateInput:
    kind: ExportKind = strawberry.field(description="What the file holds.")
    format: ExportFormat = strawberry.field(
        default=ExportFormat.CSV, description="How it is written (CSV, UTF-8, a header line)."
    )
    filter: ExportFilter | None = strawberry.field(
        default=None, description="Which rows; none: every row you may see."
    )
