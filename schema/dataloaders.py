"""Every area's loaders of one request, each area made the first time it is asked for."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Access
from schema.campaigns.dataloaders import CampaignLoaders
from schema.catalogue.dataloaders import CatalogueLoaders
from schema.documents.dataloaders import DocumentLoaders
from schema.dynamic.dataloaders import DynamicLoaders
from schema.groups.dataloaders import GroupLoaders
from schema.intake.dataloaders import IntakeLoaders
from schema.policies.dataloaders import PolicyLoaders
from schema.premiums.dataloaders import PremiumLoaders
from schema.reference.dataloaders import ReferenceLoaders
from schema.reports.dataloaders import ReportLoaders
from schema.settings.dataloaders import SettingsLoaders
from schema.workflow.dataloaders import WorkflowLoaders


class Loaders:
    """The loaders of one request, by area, each seeing only what the caller may.

    An area is built on first use: building one writes its access predicates, and most
    requests touch one or two areas (an employee's coverage: policies and reference data).
    """

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        self._session = session
        self._caller = caller

    @cached_property
    def groups(self) -> GroupLoaders:
        return GroupLoaders(self._session, self._caller)

    @cached_property
    def policies(self) -> PolicyLoaders:
        return PolicyLoaders(self._session, self._caller)

    @cached_property
    def premiums(self) -> PremiumLoaders:
        return PremiumLoaders(self._session, self._caller)

    @cached_property
    def catalogue(self) -> CatalogueLoaders:
        return CatalogueLoaders(self._session, self._caller)

    @cached_property
    def reference(self) -> ReferenceLoaders:
        return ReferenceLoaders(self._session, self._caller)

    @cached_property
    def reports(self) -> ReportLoaders:
        return ReportLoaders(self._session, self._caller)

    @cached_property
    def settings(self) -> SettingsLoaders:
        return SettingsLoaders(self._session, self._caller)

    @cached_property
    def workflow(self) -> WorkflowLoaders:
        return WorkflowLoaders(self._session, self._caller)

    @cached_property
    def intake(self) -> IntakeLoaders:
        return IntakeLoaders(self._session, self._caller)

    @cached_property
    def dynamic(self) -> DynamicLoaders:
        return DynamicLoaders(self._session, self._caller)

    @cached_property
    def campaigns(self) -> CampaignLoaders:
        return CampaignLoaders(self._session, self._caller)

    @cached_property
    def documents(self) -> DocumentLoaders:
        return DocumentLoaders(self._session, self._caller)
