"""Managing grants and API keys: each one transaction, each audited; admins only."""

from __future__ import annotations

import strawberry

from authz.access import ACCESS_WRITE
from domain.access import keys, service
from domain.core.columns import utcnow
from schema.access import inputs
from schema.access.types import AccessGrant, ApiKey
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id

_ERRORS = "Why the input was refused; empty on success, and then every change was saved."


@strawberry.type(description="The outcome of accessGrantAdd.")
class AccessGrantAddPayload:
    access_grant: AccessGrant | None = strawberry.field(description="The new grant.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of accessGrantRemove.")
class AccessGrantRemovePayload:
    removed_id: strawberry.ID | None = strawberry.field(description="The id of the grant removed.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of apiKeyCreate.")
class ApiKeyCreatePayload:
    api_key: ApiKey | None = strawberry.field(description="The new key's record.")
    key: str | None = strawberry.field(
        description="The key to give the partner, as `Authorization: Bearer <key>`. Shown only "
        "this once: it is kept only as a hash."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of apiKeyRevoke.")
class ApiKeyRevokePayload:
    api_key: ApiKey | None = strawberry.field(description="The revoked key's record.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type
class AccessMutation:
    @mutation(
        ACCESS_WRITE,
        "Give a subject a role on a group client, group or line; it counts from the subject's "
        "next request, on every server.",
    )
    async def access_grant_add(
        self, info: Info, input: inputs.AccessGrantAddInput
    ) -> AccessGrantAddPayload:
        row = await service.add_grant(
            info.context.session,
            actor=actor(info),
            subject=input.subject,
            role=input.role,
            kind=input.kind,
            code=input.code,
        )
        return AccessGrantAddPayload(access_grant=AccessGrant.from_model(row), errors=[])

    @mutation(ACCESS_WRITE, "Take a grant back; it stops counting from the next request.")
    async def access_grant_remove(
        self, info: Info, input: inputs.AccessGrantRemoveInput
    ) -> AccessGrantRemovePayload:
        await service.remove_grant(
            info.context.session,
            actor=actor(info),
            grant_id=require_id(input.id, "AccessGrant", field="id"),
        )
        return AccessGrantRemovePayload(removed_id=input.id, errors=[])

    @mutation(
        ACCESS_WRITE,
        "Make an API key for a partner's or a vendor's system, scoped to group clients.",
    )
    async def api_key_create(
        self, info: Info, input: inputs.ApiKeyCreateInput
    ) -> ApiKeyCreatePayload:
        row, key = await keys.create_api_key(
            info.context.session,
            actor=actor(info),
            name=input.name,
            group_client_codes=input.group_client_codes,
            expires_at=input.expires_at,
            now=utcnow(),
            role=input.role,
        )
        return ApiKeyCreatePayload(api_key=ApiKey.from_model(row), key=key, errors=[])

    @mutation(ACCESS_WRITE, "Revoke an API key: its next request gets HTTP 401.")
    async def api_key_revoke(
        self, info: Info, input: inputs.ApiKeyRevokeInput
    ) -> ApiKeyRevokePayload:
        row = await keys.revoke_api_key(
            info.context.session,
            actor=actor(info),
            key_id=require_id(input.id, "ApiKey", field="id"),
            now=utcnow(),
        )
        return ApiKeyRevokePayload(api_key=ApiKey.from_model(row), errors=[])
