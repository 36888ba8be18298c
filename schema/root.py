"""The schema: every area's queries and mutations merged at the root."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import MaskErrors
from strawberry.tools import merge_types

from schema.access.mutations import AccessMutation
from schema.access.queries import AccessQuery
from schema.audit.queries import AuditQuery
from schema.core.context import Info, ReleaseRows
from schema.core.direct import install
from schema.core.limits import QueryLimits, limit_extensions
from schema.groups.mutations import GroupMutation
from schema.groups.queries import GroupQuery
from schema.me.queries import MeQuery
from schema.policies.mutations import PolicyMutation
from schema.policies.queries import PolicyQuery
from schema.reference.queries import ReferenceQuery
from schema.settings.mutations import SettingsMutation
from schema.settings.queries import SettingsQuery
from schema.validation.mutations import RulesMutation
from schema.validation.queries import RulesQuery
from schema.workflow.mutations import WorkflowMutation
from schema.workflow.queries import WorkflowQuery
from schema.workflow.subscriptions import WorkflowSubscription


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="The object with this id; null when there is none or you may not see it."
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        try:
            return await relay.GlobalID.from_id(id).resolve_node(info, required=False)
        except ValueError:
            return None


Query = merge_types(
    "Query",
    (
        NodeQuery,
        MeQuery,
        GroupQuery,
        PolicyQuery,
        ReferenceQuery,
        SettingsQuery,
        RulesQuery,
        WorkflowQuery,
        AuditQuery,
        AccessQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        GroupMutation,
        PolicyMutation,
        SettingsMutation,
        RulesMutation,
        WorkflowMutation,
        AccessMutation,
    ),
)


def _is_unexpected(error: GraphQLError) -> bool:
    """A bug or an outage, not a client's mistake: its message may hold internals."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def build_schema(*, production: bool, limits: QueryLimits | None = None) -> strawberry.Schema:
    """The schema with its limits; in production, no introspection or suggestions, and
    unexpected errors reach clients only as 'Unexpected error.'"""
    extensions = [*limit_extensions(limits or QueryLimits(), production=production), ReleaseRows]
    if production:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_unexpected))
    return install(
        strawberry.Schema(
            query=Query, mutation=Mutation, subscription=WorkflowSubscription, extensions=extensions
        )
    )


schema = build_schema(production=False)
