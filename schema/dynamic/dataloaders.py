"""Per-request loaders of dynamic field definitions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from strawberry.dataloader import DataLoader

from authz.access import REFERENCE_READ, Access
from domain.dynamic.models import DynamicField, FieldTarget
from schema.core.batch import rows_by_id


class DynamicLoaders:
    """Loaders of dynamic field definitions, by id and by target."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        # Definitions are configuration, like reference data: a caller reads all or none.
        readable = sa.true() if caller.allows(REFERENCE_READ) else sa.false()
        self.dynamic_field_by_id = rows_by_id(session, DynamicField, where=readable)

        async def by_target(targets: list[FieldTarget]) -> list[list[Any]]:
            stmt = sa.select(DynamicField).where(col(DynamicField.target).in_(targets), readable)
            found: dict[FieldTarget, list[Any]] = {target: [] for target in targets}
            for row in await session.scalars(stmt.order_by(col(DynamicField.id))):
                found[row.target].append(row)
            return [found[target] for target in targets]

        self.fields_by_target = DataLoader(load_fn=by_target)
