"""`GET /documents/{id}`: a document's PDF, for whoever may read it through the API.

The same checks as the `documents` query and the `downloadUrl` field: the caller's grants for
documents:read put the document's policy or group client in reach, and its members' names
need field:personal. Without credentials the answer is 401; for a document the caller may not
read it is 404, word for word the answer for an id that names nothing (never 403, which would
say that it exists).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.authentication import PrincipalUser, with_stored_grants
from api.refusals import refusal
from authz.access import DOCUMENTS_READ, PERSONAL_FIELDS, Access
from domain.documents.producing import read
from schema.core.relay import decode_id

NOT_FOUND = "No document with this id."


async def download(request: Request) -> Response:
    """The PDF of a document the caller may read; 404 as for an unknown id otherwise."""
    user = request.user
    if not isinstance(user, PrincipalUser):
        return refusal(
            401, "Sign in: send `Authorization: Bearer <token>`.",
            headers={"WWW-Authenticate": 'Bearer realm="groupcover"'},
        )  # fmt: skip
    session = request.state.session
    access = Access(await with_stored_grants(session, user.principal))
    document_id = decode_id(request.path_params["id"], "Document")
    if document_id is None or not access.allows(PERSONAL_FIELDS):
        return refusal(404, NOT_FOUND)
    found = await read(session, scope=access.scope(DOCUMENTS_READ), document_id=document_id)
    if found is None:
        return refusal(404, NOT_FOUND)
    document, content = found
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{document.file_name}"',
            "ETag": f'"{document.sha256}"',
            # Members' names: no shared cache keeps it, and the browser does not store it.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
