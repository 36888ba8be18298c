"""Inputs of the queries and mutation of enrolment files."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from schema.intake.types import FileFormat, FileState


@strawberry.input(
    description="A file of enrolments for a group client, sent as a multipart request "
    "(the GraphQL multipart request spec)."
)
class EnrollmentFileSubmitInput:
    group_client_id: strawberry.ID = strawberry.field(
        description="The group client the file is for: its accounts and those below it."
    )
    format: FileFormat = strawberry.field(description="How the file is written.")
    file: Upload = strawberry.field(
        description="The file. A CSV census: UTF-8 (with or without BOM), `,` or `;`, a "
        "header of employee_number, relationship, given_name, family_name, birth_date, "
        "gender, account_code, start_date and optionally national_id, class_code, "
        "product_code, coverage_tier, end_date, action (ADD or TERMINATE); one row per member."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check every row as if applying it, and save nothing."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Up to 100 characters; sending the same key for the same client again "
        "returns the first file's record and changes nothing.",
    )


@strawberry.input(description="Which enrolment files to list; every given criterion must hold.")
class EnrollmentFileFilter:
    group_client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only files for this group client."
    )
    state: FileState | None = strawberry.field(default=None, description="Only this state.")
