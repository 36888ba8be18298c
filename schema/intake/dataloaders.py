"""Per-request loaders of enrolment files and their rows, as the caller sees them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import POLICIES_READ, Access
from domain.core.reach import visible
from domain.intake.models import EnrollmentFile, EnrollmentFileRow
from schema.core.batch import lists_by, rows_by_id


class IntakeLoaders:
    """A row is visible with its file, a file with its group client."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(POLICIES_READ)
        self.file_by_id = rows_by_id(session, EnrollmentFile, where=visible(scope, EnrollmentFile))
        self.rows_by_file = lists_by(
            session,
            EnrollmentFileRow,
            col(EnrollmentFileRow.file_id),
            where=visible(scope, EnrollmentFileRow),
        )
