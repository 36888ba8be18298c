"""The schema: every area's queries and mutations merged at the root."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import MaskErrors
from strawberry.tools import merge_types

from domain.database import is_unreachable
from schema.access.mutations import AccessMutation
from schema.access.queries import AccessQuery
from schema.audit.queries import AuditQuery
from schema.campaigns.mutations import CampaignMutation
from schema.campaigns.queries import CampaignQuery
from schema.catalogue.mutations import CatalogueMutation
from schema.catalogue.queries import CatalogueQuery
from schema.core.compiled import CompiledReads, Plans
from schema.core.context import Info, ReleaseRows
from schema.core.direct import install
from schema.core.limits import Documents, Limited, QueryLimits
from schema.core.logs import Schema, is_unexpected
from schema.core.relay import node_of
from schema.documents.mutations import DocumentMutation
from schema.documents.queries import DocumentQuery
from schema.dynamic.mutations import DynamicMutation
from schema.dynamic.queries import DynamicQuery
from schema.events.queries import EventQuery
from schema.exports.queries import ExportQuery
from schema.groups.mutations import GroupMutation
from schema.groups.queries import GroupQuery
from schema.intake.mutations import IntakeMutation
from schema.intake.queries import IntakeQuery
from schema.me.queries import MeQuery
from schema.policies.mutations import PolicyMutation
from schema.policies.queries import PolicyQuery
from schema.premiums.mutations import PremiumMutation
from schema.premiums.queries import PremiumQuery
from schema.reference.mutations import ReferenceMutation
from schema.reference.queries import ReferenceQuery
from schema.reports.mutations import ReportMutation
from schema.reports.queries import ReportQuery
from schema.settings.mutations import SettingsMutation
from schema.settings.queries import SettingsQuery
from schema.validation.mutations import RulesMutation
from schema.validation.queries import RulesQuery
from schema.webhooks.mutations import WebhookMutation
from schema.webhooks.queries import WebhookQuery
from schema.workflow.mutations import WorkflowMutation
from schema.workflow.queries import WorkflowQuery
from schema.workflow.subscriptions import WorkflowSubscription


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="The object with this id; null when there is none or you may not see it."
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return await node_of(info, id)


Query = merge_types(
    "Query",
    (
        NodeQuery,
        MeQuery,
        GroupQuery,
        PolicyQuery,
        PremiumQuery,
        CatalogueQuery,
        ReferenceQuery,
        SettingsQuery,
        RulesQuery,
        WorkflowQuery,
        AuditQuery,
        EventQuery,
        AccessQuery,
        ExportQuery,
        IntakeQuery,
        DynamicQuery,
        CampaignQuery,
        DocumentQuery,
        ReportQuery,
        WebhookQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        GroupMutation,
        PolicyMutation,
        PremiumMutation,
        CatalogueMutation,
        ReferenceMutation,
        SettingsMutation,
        RulesMutation,
        WorkflowMutation,
        AccessMutation,
        IntakeMutation,
        DynamicMutation,
        CampaignMutation,
        DocumentMutation,
        ReportMutation,
        WebhookMutation,
    ),
)


UNREACHABLE = "UNAVAILABLE"
"""The code of an error whose cause is that the database cannot be reached; the server
answers the whole request 503 then (api.outages), since a client should retry it."""


class MaskedErrors(MaskErrors):
    """Errors of an outage become one coded error, never the driver's text (with SQL); in
    production every other unexpected error becomes "Unexpected error." too."""

    def __init__(self, *, production: bool) -> None:
        # A function of its own, not a bound method: one of these is made for each request,
        # and a bound method kept on it was a cycle (the extension and its method) that held
        # the request's execution context, and so its whole answer, until the cycle collector
        # ran: 6,500 dicts and lists for each nested query of bench.load (issue 21).
        super().__init__(should_mask_error=functools.partial(_should_mask, production))

    def _process_result(self, result: object) -> None:
        # What strawberry's does, by an attribute's look-up where it asks isinstance of a
        # runtime-checkable Protocol (about 10 us, on every request).
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if error.original_error is None or not is_unreachable(error.original_error):
            return super().anonymise_error(error)
        return GraphQLError(
            "The database cannot be reached right now; retry shortly.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": UNREACHABLE},
        )


def _should_mask(production: bool, error: GraphQLError) -> bool:
    if production and is_unexpected(error):
        return True
    return error.original_error is not None and is_unreachable(error.original_error)


def build_schema(
    *,
    production: bool,
    limits: QueryLimits | None = None,
    observers: Sequence[Any] = (),
    compiled_reads: bool = False,
) -> strawberry.Schema:
    """The schema with its limits; in production, no introspection or suggestions, and
    unexpected errors reach clients only as 'Unexpected error.' With `compiled_reads` (the
    app's, by GROUPCOVER_COMPILED_READS), a covered query is answered by its plan
    (schema.core.compiled) after the limits' checks; a plan is async, so a schema run by
    `execute_sync` (introspection, `export-schema`) goes without.

    `observers` (api.observe, api.traces) come last: their ends run first (strawberry exits
    extensions in reverse), so they see a bug's error before it is masked."""
    documents = Documents(limits or QueryLimits(), production=production)
    extensions: list[Any] = [lambda: Limited(documents)]
    if compiled_reads:
        plans = Plans()
        extensions.append(lambda: CompiledReads(plans))
    extensions.append(ReleaseRows)
    extensions.append(lambda: MaskedErrors(production=production))
    extensions.extend(observers)
    return install(
        Schema(
            query=Query, mutation=Mutation, subscription=WorkflowSubscription, extensions=extensions
        )
    )


schema = build_schema(production=False)
