"""Per-request loaders of catalogue items, among those the caller may read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import PREMIUMS_READ, Access
from domain.catalogue.models import CatalogueItem
from domain.core.reach import visible
from schema.core.batch import rows_by_id


class CatalogueLoaders:
    """Catalogue items by id: what the catalogue's readers (premiums:read) reach."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(PREMIUMS_READ)
        self.item_by_id = rows_by_id(session, CatalogueItem, where=visible(scope, CatalogueItem))
