"""Every area's loaders, made together once per request."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Access
from schema.groups.dataloaders import GroupLoaders
from schema.policies.dataloaders import PolicyLoaders
from schema.reference.dataloaders import ReferenceLoaders
from schema.settings.dataloaders import SettingsLoaders
from schema.workflow.dataloaders import WorkflowLoaders


class Loaders:
    """The loaders of one request, by area, each seeing only what the caller may."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        self.groups = GroupLoaders(session, caller)
        self.policies = PolicyLoaders(session, caller)
        self.reference = ReferenceLoaders(session, caller)
        self.settings = SettingsLoaders(session, caller)
        self.workflow = WorkflowLoaders(session, caller)
