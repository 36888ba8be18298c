"""The queries of documents and letter templates."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import strawberry
from sqlmodel import col

from authz.access import DOCUMENTS_READ, TEMPLATES_READ
from domain.core.paging import count, fetch_slice
from domain.core.reach import visible
from domain.documents.models import Document as DocumentRow
from domain.documents.models import LetterTemplate as TemplateRow
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id, window
from schema.documents.inputs import DocumentFilter, LetterTemplateFilter
from schema.documents.types import (
    Document,
    DocumentConnection,
    LetterTemplate,
    LetterTemplateConnection,
)


def _filtered(stmt: Any, given: DocumentFilter | None) -> Any:
    if given is None:
        return stmt
    if given.kind is not None:
        stmt = stmt.where(col(DocumentRow.kind) == given.kind)
    if given.policy_id is not None:
        policy = decode_id(given.policy_id, "Policy") or -1
        stmt = stmt.where(col(DocumentRow.policy_id) == policy)
    if given.group_client_id is not None:
        client = decode_id(given.group_client_id, "GroupClient") or -1
        stmt = stmt.where(col(DocumentRow.group_client_id) == client)
    return stmt


@strawberry.type
class DocumentQuery:
    @strawberry.field(
        **guarded(
            DOCUMENTS_READ,
            "Documents of the policies and group clients you may see, oldest first, at most "
            "100 a page.",
        )
    )
    async def documents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: DocumentFilter | None = None,
    ) -> DocumentConnection | None:
        session = info.context.session
        scope = info.context.access.scope(DOCUMENTS_READ)
        stmt = _filtered(sa.select(DocumentRow).where(visible(scope, DocumentRow)), filter)
        page = await fetch_slice(session, stmt, DocumentRow, window(info, first, after))
        return DocumentConnection.of(
            page, Document.from_model, lambda: count(session, stmt), after=after is not None
        )

    @strawberry.field(
        **guarded(TEMPLATES_READ, "Letter template versions, oldest first, at most 100 a page.")
    )
    async def letter_templates(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: LetterTemplateFilter | None = None,
    ) -> LetterTemplateConnection | None:
        session = info.context.session
        scope = info.context.access.scope(TEMPLATES_READ)
        stmt = sa.select(TemplateRow).where(visible(scope, TemplateRow))
        if filter and filter.code is not None:
            stmt = stmt.where(col(TemplateRow.code) == filter.code)
        page = await fetch_slice(session, stmt, TemplateRow, window(info, first, after))
        return LetterTemplateConnection.of(
            page, LetterTemplate.from_model, lambda: count(session, stmt), after=after is not None
        )
