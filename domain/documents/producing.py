"""Making a document: typeset a template with the data its producer gives, keep the PDF.

The PDF is kept in the database (document_content), not in a folder: it is written in the
transaction of the change that asked for it (a certificate's registration rolls back with it,
and a committed one always has its bytes), backups and replicas carry it, and a download is
checked by the same reach predicate as every other read. Letters are tens of kilobytes; a
folder would pay for itself only at sizes we do not make.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor, RowScope
from domain.core.changes import Action, changing
from domain.core.columns import utcnow
from domain.core.errors import DomainError, ErrorCode
from domain.core.reach import visible
from domain.documents import kinds
from domain.documents.models import Document, DocumentContent, DocumentKind
from domain.documents.service import approved, compile_problem, shipped
from domain.documents.typesetting import TypesetError, typeset


async def produce(
    session: AsyncSession,
    *,
    actor: Actor,
    kind: DocumentKind,
    data: dict[str, Any],
    file_name: str,
    policy_id: int | None = None,
    group_client_id: int | None = None,
    template_code: str | None = None,
) -> Document:
    """Make a document of `kind` for a policy or a group client, as `actor`.

    It uses the newest approved version of the template (a certificate's and an ID card's
    default to the shipped one) and gives it only the fields it declared.
    """
    code = template_code or kinds.DEFAULT_CODES.get(kind, "")
    template = await approved(session, code)
    if template is not None:
        body, fields, version = template.body, list(template.fields), template.version
    elif (given := kinds.shipped_fields(kind, code)) is not None:
        body, fields, version = shipped(code), given, 0
    else:
        said = f"The letter template {code!r} has no approved version."
        raise DomainError.of("templateCode", ErrorCode.NOT_FOUND, said)
    missing = [name for name in fields if name not in data]
    if missing:
        said = f"The template {code} reads {', '.join(missing)}, which this merge does not give."
        raise DomainError.of("templateCode", ErrorCode.FIELD_NOT_GIVEN, said)
    try:
        pdf = typeset(body, {name: data[name] for name in fields})
    except TypesetError as error:
        raise DomainError(compile_problem(error, set(fields))) from None
    return await _keep(
        session,
        actor,
        Document(
            kind=kind,
            policy_id=policy_id,
            group_client_id=group_client_id,
            template_code=code,
            template_version=version,
            file_name=file_name,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            created_by=actor.subject,
            retain_until=utcnow().date() + timedelta(days=kinds.retention().days[kind]),
        ),
        pdf,
    )


async def _keep(session: AsyncSession, actor: Actor, row: Document, pdf: bytes) -> Document:
    async with changing(
        session, actor, Action.DOCUMENT_CREATE, Document, marks_changed=False
    ) as change:
        change.add(row)
    session.add(DocumentContent(document_id=row.id, content=pdf))  # type: ignore[arg-type]
    await session.flush()
    return row


async def read(
    session: AsyncSession, *, scope: RowScope, document_id: int
) -> tuple[Document, bytes] | None:
    """A document the scope reaches, with its bytes; None as for an unknown id."""
    found = (
        await session.execute(
            sa.select(Document, col(DocumentContent.content))
            .join(DocumentContent, col(DocumentContent.document_id) == col(Document.id))
            .where(col(Document.id) == document_id, visible(scope, Document))
        )
    ).first()
    return None if found is None else (found[0], found[1])
