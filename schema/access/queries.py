"""Reading grants and API keys."""

from __future__ import annotations

import strawberry

from authz.access import ACCESS_READ
from domain.access import keys, service
from schema.access.types import AccessGrant, AccessGrantConnection, ApiKey, ApiKeyConnection
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import window


@strawberry.type
class AccessQuery:
    @strawberry.field(**guarded(ACCESS_READ, "Stored grants, oldest first, at most 100 a page."))
    async def access_grants(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        subject: str | None = None,
    ) -> AccessGrantConnection | None:
        session = info.context.session
        criteria = service.GrantFilter(subject=subject)
        page = await service.list_grants(
            session, criteria=criteria, window=window(info, first, after)
        )
        return AccessGrantConnection.of(
            page,
            AccessGrant.from_model,
            lambda: service.count_grants(session, criteria=criteria),
            after=after is not None,
        )

    @strawberry.field(
        **guarded(ACCESS_READ, "Partners' API keys, oldest first, at most 100 a page.")
    )
    async def api_keys(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ApiKeyConnection | None:
        session = info.context.session
        page = await keys.list_api_keys(session, window=window(info, first, after))
        return ApiKeyConnection.of(
            page, ApiKey.from_model, lambda: keys.count_api_keys(session), after=after is not None
        )
