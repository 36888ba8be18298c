"""Per-request loaders of exports, as the caller sees them (their own)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import REPORTS_EXPORT, Access
from domain.core.reach import visible
from domain.reports.models import Export
from schema.core.batch import rows_by_id


class ReportLoaders:
    """Exports by id."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(REPORTS_EXPORT)
        self.export_by_id = rows_by_id(session, Export, where=visible(scope, Export))
