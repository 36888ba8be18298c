"""Per-request loaders of documents and letter templates, as the caller sees them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import DOCUMENTS_READ, TEMPLATES_READ, Access
from domain.core.reach import visible
from domain.documents.models import Document, LetterTemplate
from schema.core.batch import rows_by_id


class DocumentLoaders:
    """A document is visible with its policy or group client; templates to who may read them."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        documents = caller.scope(DOCUMENTS_READ)
        self.document_by_id = rows_by_id(session, Document, where=visible(documents, Document))
        templates = caller.scope(TEMPLATES_READ)
        self.template_by_id = rows_by_id(
            session, LetterTemplate, where=visible(templates, LetterTemplate)
        )
