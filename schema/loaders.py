"""Every area's loaders, made together once per request."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from schema.groups.dataloaders import GroupLoaders
from schema.reference.dataloaders import ReferenceLoaders


class Loaders:
    """The loaders of one request, by area."""

    def __init__(self, session: AsyncSession) -> None:
        self.groups = GroupLoaders(session)
        self.reference = ReferenceLoaders(session)
