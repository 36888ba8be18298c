"""Files the API makes, downloaded with the same credentials, limits and session as /graphql.

- `GET /documents/{id}`: a document's PDF. The same checks as the `documents` query and the
  `downloadUrl` field: the caller's grants for documents:read put the document's policy or
  group client in reach, and its members' names need field:personal.
- `GET /exports/{id}`: an export's CSV file. Only the one who asked for it (or an admin)
  reaches it; the file holds what its requester could read when they asked
  (domain.reports.exporting): their reach, and empty columns for the fields they may not read.

Without credentials the answer is 401; for a file the caller may not read it is 404, word for
word the answer for an id that names nothing (never 403, which would say that it exists).
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
from authz.access import DOCUMENTS_READ, PERSONAL_FIELDS, REPORTS_EXPORT, Access
from domain.core.reach import visible
from domain.documents.producing import read
from domain.reports.models import Export, ExportState
from schema.core.relay import decode_id

NO_DOCUMENT = "No document with this id."
NO_EXPORT = "No export with this id."
# Members' names and data: no shared cache keeps a file, and the browser does not store it.
PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


async def _caller(request: Request) -> Access | None:
    """The signed-in caller's access, or None without credentials."""
    user = request.user
    if not isinstance(user, PrincipalUser):
        return None
    return Access(await with_stored_grants(request.state.session, user.principal))


def _sign_in() -> Response:
    return refusal(
        401, "Sign in: send `Authorization: Bearer <token>`.",
        headers={"WWW-Authenticate": 'Bearer realm="groupcover"'},
    )  # fmt: skip


async def document(request: Request) -> Response:
    """The PDF of a document the caller may read; 404 as for an unknown id otherwise."""
    access = await _caller(request)
    if access is None:
        return _sign_in()
    document_id = decode_id(request.path_params["id"], "Document")
    if document_id is None or not access.allows(PERSONAL_FIELDS):
        return refusal(404, NO_DOCUMENT)
    session = request.state.session
    found = await read(session, scope=access.scope(DOCUMENTS_READ), document_id=document_id)
    if found is None:
        return refusal(404, NO_DOCUMENT)
    row, content = found
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{row.file_name}"',
            "ETag": f'"{row.sha256}"',
            **PRIVATE,
        },
    )


async def export(request: Request) -> Response:
    """The export's CSV file when it is READY and the caller's; 404 as for an unknown id."""
    access = await _caller(request)
    if access is None:
        return _sign_in()
    if not access.allows(REPORTS_EXPORT):
        return refusal(404, NO_EXPORT)
    row = await request.state.session.scalar(
        sa.select(Export).where(
            col(Export.id) == request.path_params["export_id"],
            visible(access.scope(REPORTS_EXPORT), Export),
        )
    )
    if row is None:
        return refusal(404, NO_EXPORT)
    if row.state is not ExportState.READY or row.file_path is None:
        return refusal(409, f"The export is {row.state.value}, not READY.", code="NOT_READY")
    path = Path(row.file_path)
    if not await asyncio.to_thread(path.is_file):
        return refusal(410, "The export's file is gone; ask for a new export.", code="GONE")
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=f"{row.kind.value.lower()}-{row.id}.csv",
        headers=PRIVATE,
    )
