"""The query of enrolment files."""

from __future__ import annotations

import sqlalchemy as sa
import strawberry
from sqlmodel import col

from authz.access import POLICIES_READ
from domain.core.paging import count, fetch_slice
from domain.core.reach import visible
from domain.intake.models import EnrollmentFile as FileRow
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window
from schema.intake.inputs import EnrollmentFileFilter
from schema.intake.types import EnrollmentFile, EnrollmentFileConnection


@strawberry.type
class IntakeQuery:
    @strawberry.field(
        **guarded(
            POLICIES_READ,
            "Enrolment files of the group clients you may see, oldest first, at most 100 a page.",
        )
    )
    async def enrollment_files(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: EnrollmentFileFilter | None = None,
    ) -> EnrollmentFileConnection | None:
        session = info.context.session
        stmt = sa.select(FileRow).where(visible(info.context.access.scope(POLICIES_READ), FileRow))
        if filter and filter.group_client_id is not None:
            client_id = decode_id(filter.group_client_id, "GroupClient") or -1
            stmt = stmt.where(col(FileRow.group_client_id) == client_id)
        if filter and filter.state is not None:
            stmt = stmt.where(col(FileRow.state) == filter.state)
        page = await fetch_slice(session, stmt, FileRow, window(info, first, after))
        return EnrollmentFileConnection.of(
            page, EnrollmentFile.from_model, lambda: count(session, stmt), after=after is not None
        )
