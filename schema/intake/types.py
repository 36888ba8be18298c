"""GraphQL types of enrolment files and their rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry.dataloader import DataLoader

from domain.core.errors import ErrorCode
from domain.intake import models
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.errors import UserError
from schema.core.relay import CountedConnection, RowNode
from schema.groups.types import GroupClient
from schema.policies.types import Person, Policy

strawberry.enum(models.FileFormat, description="CSV: a census, one row per member; X12_834.")
strawberry.enum(
    models.FileState,
    description="RECEIVED: a large file waiting for or being applied by its background job; "
    "VALIDATED: a dry run, nothing saved; APPLIED: every row applied or already "
    "true; PARTIALLY_APPLIED: some families refused; REJECTED: nothing applied.",
)
strawberry.enum(
    models.RowAction,
    description="What a row asks for: ADD, TERMINATE, REINSTATE (834 025), CHANGE (834 001: "
    "names, birth date, gender, account, product, tier), AUDIT (834 030: a full file's member, "
    "made as it says).",
)
strawberry.enum(
    models.RowOutcome,
    description="APPLIED; VALID (a dry run would apply it); NO_CHANGE (already true); REFUSED.",
)
FileFormat = models.FileFormat
FileState = models.FileState
RowAction = models.RowAction
RowOutcome = models.RowOutcome
ROWS_PAGE = 100


def user_errors(stored: list[dict[str, Any]]) -> list[UserError]:
    """Problems as kept on a file or row, as the payloads' UserError."""
    return [
        UserError(field=e["field"], message=e["message"], code=ErrorCode(e["code"])) for e in stored
    ]


@strawberry.type(description="One row of a file: what it asked for and what became of it.")
class EnrollmentFileRow:
    line: int = strawberry.field(description="Its line in the file (the header is line 1).")
    employee_number: str = strawberry.field(description="The family it belongs to.")
    action: RowAction = strawberry.field(description="What it asked for.")
    outcome: RowOutcome = strawberry.field(description="What became of it.")
    errors: list[UserError] = strawberry.field(
        description="Why it was refused, each naming the column at fault; empty otherwise."
    )
    row: strawberry.Private[models.EnrollmentFileRow]

    @classmethod
    def from_model(cls, row: models.EnrollmentFileRow) -> Self:
        return cls(
            line=row.line,
            employee_number=row.employee_number,
            action=row.action,
            outcome=row.outcome,
            errors=user_errors(row.errors),
            row=row,
        )

    @strawberry.field(description="The policy it made or changed, if you may see it.")
    async def policy(self, info: Info) -> Policy | None:
        if self.row.policy_id is None:
            return None
        found = await info.context.loaders.policies.policy_by_id.load(self.row.policy_id)
        return Policy.from_model(found) if found else None

    @strawberry.field(description="The person it insured, if you may see them.")
    async def person(self, info: Info) -> Person | None:
        if self.row.person_id is None:
            return None
        found = await info.context.loaders.policies.person_by_id.load(self.row.person_id)
        return Person.from_model(found) if found else None


@strawberry.input(description="Which rows of a file to list.")
class EnrollmentFileRowFilter:
    outcome: RowOutcome | None = strawberry.field(default=None, description="Only this outcome.")


@strawberry.type(description="A file of enrolments a sender submitted, and what came of it.")
class EnrollmentFile(RowNode):
    id: strawberry.relay.NodeID[int]
    format: FileFormat = strawberry.field(description="How it was written.")
    state: FileState = strawberry.field(description="What came of it.")
    dry_run: bool = strawberry.field(description="Whether it was only checked.")
    file_name: str | None = strawberry.field(description="The name it was sent with.")
    submitted_by: str = strawberry.field(description="Who sent it; its changes are theirs.")
    submitted_at: datetime = strawberry.field(description="When (UTC).")
    received_policies: int = strawberry.field(description="Families (employee numbers) in it.")
    received_members: int = strawberry.field(description="Rows (members) in it.")
    applied_rows: int = strawberry.field(description="Rows applied (or, in a dry run, valid).")
    unchanged_rows: int = strawberry.field(description="Rows already true: nothing to do.")
    refused_rows: int = strawberry.field(description="Rows refused, with their families.")
    errors: list[UserError] = strawberry.field(
        description="Why the file as a whole was refused (its encoding, its header)."
    )
    rows_total: int = strawberry.field(description="Rows to apply (with rowsDone: progress).")
    rows_done: int = strawberry.field(
        description="Rows applied so far; a large file is RECEIVED until its job reaches rowsTotal."
    )
    row: strawberry.Private[models.EnrollmentFile]

    @classmethod
    def from_model(cls, row: models.EnrollmentFile) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            format=row.format,
            state=row.state,
            dry_run=row.dry_run,
            file_name=row.file_name,
            submitted_by=row.submitted_by,
            submitted_at=row.submitted_at,
            received_policies=row.received_policies,
            received_members=row.received_members,
            applied_rows=row.applied_rows,
            unchanged_rows=row.unchanged_rows,
            refused_rows=row.refused_rows,
            errors=user_errors(row.errors),
            rows_total=row.rows_total,
            rows_done=row.rows_done,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.intake.file_by_id

    @strawberry.field(description="The group client it was for, if you may see it.")
    async def group_client(self, info: Info) -> GroupClient | None:
        found = await info.context.loaders.groups.group_client_by_id.load(self.row.group_client_id)
        return GroupClient.from_model(found) if found else None

    @strawberry.field(
        description=f"Its rows in line order, at most {ROWS_PAGE} from `afterLine` on.",
        metadata=bound(ROWS_PAGE),
    )
    async def rows(
        self,
        info: Info,
        filter: EnrollmentFileRowFilter | None = None,
        after_line: int = 0,
    ) -> list[EnrollmentFileRow]:
        rows = await info.context.loaders.intake.rows_by_file.load(self.id)
        outcome = filter.outcome if filter else None
        chosen = [
            r for r in rows if r.line > after_line and (outcome is None or r.outcome == outcome)
        ]
        chosen.sort(key=lambda r: r.line)
        return [EnrollmentFileRow.from_model(r) for r in chosen[:ROWS_PAGE]]


@strawberry.type(description="A page of enrolment files.")
class EnrollmentFileConnection(CountedConnection[EnrollmentFile]):
    pass
