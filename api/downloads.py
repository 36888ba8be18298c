"""GET /exports/{id}: download an export's file, with the same credentials as /graphql.

Only the one who asked for an export (or an admin) reaches it; any other caller, and an id
that names no export, get the same 404. The file holds what its requester could read when
they asked (domain.reports.exporting): their reach, and empty columns for the fields they
may not read.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from api.authentication import PrincipalUser, with_stored_grants
from api.refusals import refusal
from authz.access import REPORTS_EXPORT, Access
from domain.core.reach import visible
from domain.reports.models import Export, ExportState

NO_EXPORT = "No export with this id."


async def download(request: Request) -> Response:
    """The export's CSV file when it is READY and the caller's."""
    user = request.user
    if not isinstance(user, PrincipalUser):
        return refusal(401, "Sign in to download an export.")
    session = request.state.session
    access = Access(await with_stored_grants(session, user.principal))
    if not access.allows(REPORTS_EXPORT):
        return refusal(403, f"Forbidden: this needs the permission {REPORTS_EXPORT}.")
    export_id = request.path_params["export_id"]
    export = await session.scalar(
        sa.select(Export).where(
            col(Export.id) == export_id, visible(access.scope(REPORTS_EXPORT), Export)
        )
    )
    if export is None:
        return refusal(404, NO_EXPORT)
    if export.state is not ExportState.READY or export.file_path is None:
        return refusal(409, f"The export is {export.state.value}, not READY.", code="NOT_READY")
    path = Path(export.file_path)
    if not await asyncio.to_thread(path.is_file):
        return refusal(410, "The export's file is gone; ask for a new export.", code="GONE")
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=f"{export.kind.value.lower()}-{export.id}.csv",
        headers={"Cache-Control": "private, no-store"},
    )
