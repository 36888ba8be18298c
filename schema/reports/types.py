"""GraphQL types of reports: membership and workflow figures, and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from domain.reports import models
from domain.reports.groupings import MembershipKey, MembershipRow
from domain.reports.vendors import VendorRow
from domain.reports.workflow import WorkflowKey, WorkflowRow
from schema.core.context import Info
from schema.core.relay import CountedConnection, RowNode
from schema.groups.types import GroupAccount, GroupClient
from schema.policies.types import Relationship
from schema.reference.types import CoverageTier, LineOfBusiness, Product
from schema.reports.inputs import ExportFormat, ExportKind
from schema.workflow.types import Assignee, Channel, RequestType

strawberry.enum(
    MembershipKey,
    description="What membership figures are grouped by. GROUP_CLIENT is the client of the "
    "account a member is in on the day looked at (not its top client); AGE_BAND the age "
    "on that day, in bands 0-17, 18-25, 26-35, 36-45, 46-55, 56-65, 66+.",
)
strawberry.enum(
    WorkflowKey,
    description="What workflow figures are grouped by. ASSIGNEE is the assignee of a "
    "request's first task (null: no person had one); MONTH the month it was submitted "
    "in, YYYY-MM, UTC.",
)

strawberry.enum(
    models.ExportState,
    description="QUEUED: waiting for a worker; RUNNING: being written; READY: download it; "
    "FAILED: nothing to download.",
)
ExportState = models.ExportState
DOWNLOAD_PATH = "/exports/{id}"
"""Where a READY export's file is downloaded (api.downloads), with the same credentials."""

_HIDDEN = "; null when not grouped by it, when there is none, or when you may not see it."


async def _client(info: Info, row_id: int | None) -> GroupClient | None:
    if row_id is None:
        return None
    row = await GroupClient.node_loader(info).load(row_id)
    return GroupClient.from_model(row) if row else None


@strawberry.type(
    description="The figures of one group of members. Counted: member rows (a person's "
    "period on a policy). Policies and members: in force on `asOf`. Joiners: whose first "
    "day falls in the range; leavers: whose last day does, each counted in the group "
    "they joined or left. Grouped by PRODUCT or COVERAGE_TIER, a policy with two products "
    "counts under each."
)
class MembershipStatsRow:
    policies: int = strawberry.field(description="Policies with a member in force on asOf.")
    members: int = strawberry.field(description="Members in force on asOf.")
    joiners: int = strawberry.field(description="Members whose cover began in the range.")
    leavers: int = strawberry.field(description="Members whose cover ended in the range.")
    coverage_tier: CoverageTier | None = strawberry.field(
        description="The product's coverage tier" + _HIDDEN
    )
    relationship: Relationship | None = strawberry.field(
        description="How the members relate to their subscriber; null when not grouped by it."
    )
    age_band: str | None = strawberry.field(
        description="The members' age band on the day looked at; null when not grouped by it."
    )
    row: strawberry.Private[MembershipRow]

    @classmethod
    def from_model(cls, row: MembershipRow) -> Self:
        keys = row.keys
        return cls(
            policies=row.policies,
            members=row.members,
            joiners=row.joiners,
            leavers=row.leavers,
            coverage_tier=keys.get(MembershipKey.COVERAGE_TIER),
            relationship=keys.get(MembershipKey.RELATIONSHIP),
            age_band=keys.get(MembershipKey.AGE_BAND),
            row=row,
        )

    @strawberry.field(description="The group client" + _HIDDEN)
    async def group_client(self, info: Info) -> GroupClient | None:
        return await _client(info, self.row.keys.get(MembershipKey.GROUP_CLIENT))

    @strawberry.field(description="The group account" + _HIDDEN)
    async def group_account(self, info: Info) -> GroupAccount | None:
        row_id = self.row.keys.get(MembershipKey.GROUP_ACCOUNT)
        if row_id is None:
            return None
        row = await GroupAccount.node_loader(info).load(row_id)
        return GroupAccount.from_model(row) if row else None

    @strawberry.field(description="The product" + _HIDDEN)
    async def product(self, info: Info) -> Product | None:
        row_id = self.row.keys.get(MembershipKey.PRODUCT)
        if row_id is None:
            return None
        row = await Product.node_loader(info).load(row_id)
        return Product.from_model(row) if row else None

    @strawberry.field(description="The policies' line of business" + _HIDDEN)
    async def line_of_business(self, info: Info) -> LineOfBusiness | None:
        row_id = self.row.keys.get(MembershipKey.LINE_OF_BUSINESS)
        if row_id is None:
            return None
        row = await info.context.loaders.reference.line_of_business_by_id.load(row_id)
        return LineOfBusiness.from_model(row) if row else None


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 6)


@strawberry.type(
    description="One vendor's service levels over the back-office tasks of its work (its "
    "request types about its group clients, of its task kinds, by its grants now) created in "
    "the range. Hours run from a task's creation; the median interpolates as workflowStats'."
)
class VendorStatsRow:
    subject: str = strawberry.field(description="The vendor: the subject its grants name.")
    tasks: int = strawberry.field(description="Tasks of its work created in the range.")
    done: int = strawberry.field(description="Of them, those the vendor completed.")
    within_due_share: float | None = strawberry.field(
        description="Of those it completed, the share (0 to 1) completed by their due time; "
        "null when it completed none."
    )
    median_hours_to_done: float | None = strawberry.field(
        description="The median hours from a task's creation to the vendor completing it; "
        "null when it completed none."
    )
    escalated: int = strawberry.field(description="Tasks escalated to the back office as overdue.")
    open: int = strawberry.field(description="Tasks still open.")

    @classmethod
    def from_model(cls, row: VendorRow) -> Self:
        return cls(
            subject=row.subject,
            tasks=row.tasks,
            done=row.done,
            within_due_share=_share(row.done_within_due, row.done),
            median_hours_to_done=row.median_hours_to_done,
            escalated=row.escalated,
            open=row.open,
        )


@strawberry.type(
    description="The service levels of one group of requests submitted in the range. "
    "Hours run from submission; medians and 90th percentiles interpolate linearly "
    "between the two nearest values (PostgreSQL's percentile_cont)."
)
class WorkflowStatsRow:
    submitted: int = strawberry.field(description="Requests submitted in the range.")
    auto_approved_share: float | None = strawberry.field(
        description="The share (0 to 1) approved with no person's decision; null for none."
    )
    decided: int = strawberry.field(description="Those approved, rejected or completed.")
    median_hours_to_decision: float | None = strawberry.field(
        description="The median hours to the decision; null when none was decided."
    )
    p90_hours_to_decision: float | None = strawberry.field(
        description="The 90th percentile of hours to the decision; null when none."
    )
    median_hours_to_completion: float | None = strawberry.field(
        description="The median hours to completion; null when none was completed."
    )
    p90_hours_to_completion: float | None = strawberry.field(
        description="The 90th percentile of hours to completion; null when none."
    )
    within_due_share: float | None = strawberry.field(
        description="Of the tasks persons completed, the share completed by their due time; "
        "null when none was completed."
    )
    escalated: int = strawberry.field(description="Requests with a task escalated as overdue.")
    human_touches_per_request: float | None = strawberry.field(
        description="Timeline lines written by persons (decisions, fulfilments, "
        "cancellations; not the submission) per request."
    )
    type: RequestType | None = strawberry.field(
        description="The requests' type; null when not grouped by it."
    )
    channel: Channel | None = strawberry.field(
        description="The requests' channel; null when not grouped by it."
    )
    assignee: Assignee | None = strawberry.field(
        description="The assignee of their first task; null when not grouped by it or none."
    )
    month: str | None = strawberry.field(
        description="The month submitted, YYYY-MM (UTC); null when not grouped by it."
    )
    row: strawberry.Private[WorkflowRow]

    @classmethod
    def from_model(cls, row: WorkflowRow) -> Self:
        keys: dict[WorkflowKey, Any] = row.keys
        return cls(
            submitted=row.submitted,
            auto_approved_share=_share(row.auto_approved, row.submitted),
            decided=row.decided,
            median_hours_to_decision=row.median_hours_to_decision,
            p90_hours_to_decision=row.p90_hours_to_decision,
            median_hours_to_completion=row.median_hours_to_completion,
            p90_hours_to_completion=row.p90_hours_to_completion,
            within_due_share=_share(row.tasks_within_due, row.tasks_completed),
            escalated=row.escalated,
            human_touches_per_request=_share(row.human_touches, row.submitted),
            type=keys.get(WorkflowKey.TYPE),
            channel=keys.get(WorkflowKey.CHANNEL),
            assignee=keys.get(WorkflowKey.ASSIGNEE),
            month=keys.get(WorkflowKey.MONTH),
            row=row,
        )

    @strawberry.field(description="The group client of the requests' account" + _HIDDEN)
    async def group_client(self, info: Info) -> GroupClient | None:
        return await _client(info, self.row.keys.get(WorkflowKey.GROUP_CLIENT))


@strawberry.type(description="A file of rows you asked for, written in the background.")
class Export(RowNode):
    id: relay.NodeID[int]
    kind: ExportKind = strawberry.field(description="What it holds.")
    format: ExportFormat = strawberry.field(description="How it is written.")
    state: ExportState = strawberry.field(description="Where it is.")
    total_rows: int | None = strawberry.field(
        description="How many rows it will hold; null until counted."
    )
    written_rows: int = strawberry.field(
        description="How many are written so far (on SQLite: 0 until READY)."
    )
    byte_size: int | None = strawberry.field(description="The file's size once READY.")
    created_at: datetime = strawberry.field(description="When it was asked for (UTC).")
    finished_at: datetime | None = strawberry.field(description="When it became READY.")
    row: strawberry.Private[models.Export]

    @classmethod
    def from_model(cls, row: models.Export) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            kind=row.kind,
            format=row.format,
            state=row.state,
            total_rows=row.total_rows,
            written_rows=row.written_rows,
            byte_size=row.byte_size,
            created_at=row.created_at,
            finished_at=row.finished_at,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.reports.export_by_id

    @strawberry.field(
        description="Its share written, 0 to 1; null until counted. An empty export is 1."
    )
    def progress(self) -> float | None:
        if self.total_rows is None:
            return None
        return 1.0 if self.total_rows == 0 else round(self.written_rows / self.total_rows, 4)

    @strawberry.field(
        description="Where to download the file (GET, with your credentials) once READY; "
        "null before."
    )
    def download_path(self) -> str | None:
        if self.state is not ExportState.READY:
            return None
        return DOWNLOAD_PATH.format(id=self.id)


@strawberry.type(description="A page of exports.")
class ExportConnection(CountedConnection[Export]):
    pass
