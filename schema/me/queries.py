"""The `me` query: who the caller is, and what they are covered for."""

from __future__ import annotations

import strawberry

from schema.core.context import Info
from schema.me.types import Me


@strawberry.type
class MeQuery:
    @strawberry.field(
        description="Who is calling: subject, roles, grants, their person and policies. "
        "Needs no permission: every principal may ask who it is; what lies below is within "
        "their reach."
    )
    def me(self, info: Info) -> Me:
        return Me.of(info.context.principal)
