"""GraphQL types of access management: stored grants and partners' API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from authz.principal import GrantKind, Role
from domain.access import models
from schema.core.relay import CountedConnection, global_id

strawberry.enum(Role, description="What kind of user a principal is.")
strawberry.enum(
    GrantKind,
    description="What a grant names: a group client (with everything below it), a data access "
    "group or a line of business; for a vendor also a request type or a task kind.",
)


@strawberry.type(
    description="A role a subject holds on one group client, data access group or line."
)
class AccessGrant:
    id: strawberry.ID = strawberry.field(description="The grant's id; give it to remove the grant.")
    subject: str = strawberry.field(description="Who holds it: a token's subject or apikey:NAME.")
    role: Role = strawberry.field(description="The role it gives.")
    kind: GrantKind = strawberry.field(description="What `code` names.")
    code: str = strawberry.field(description="The group client, data access group or line.")
    created_by: str = strawberry.field(description="The admin who gave it.")
    created_at: datetime = strawberry.field(description="When it was given (UTC).")

    @classmethod
    def from_model(cls, row: models.AccessGrant) -> Self:
        return cls(
            id=strawberry.ID(global_id("AccessGrant", row.id)),  # type: ignore[arg-type]
            subject=row.subject,
            role=row.role,
            kind=row.kind,
            code=row.code,
            created_by=row.created_by,
            created_at=row.created_at,
        )


@strawberry.type(description="A partner system's API key; the key itself is shown only once.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="The key's id; give it to revoke the key.")
    name: str = strawberry.field(description="A unique name, e.g. the partner's.")
    subject: str = strawberry.field(description="The subject it signs in as; grants hang on it.")
    prefix: str = strawberry.field(description="The public part of the key, to recognise it.")
    role: Role = strawberry.field(description="What it signs in as: PARTNER or VENDOR.")
    created_by: str = strawberry.field(description="The admin who made it.")
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    expires_at: datetime = strawberry.field(description="When it stops working (UTC).")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked; null while it is not."
    )

    @classmethod
    def from_model(cls, row: models.ApiKey) -> Self:
        return cls(
            id=strawberry.ID(global_id("ApiKey", row.id)),  # type: ignore[arg-type]
            name=row.name,
            subject=row.subject,
            prefix=row.prefix,
            role=row.role,
            created_by=row.created_by,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


# Grants and keys are not Nodes (never fetched by id), which relay's typing assumes.
@strawberry.type(name="AccessGrantConnection", description="A page of grants, oldest first.")
class AccessGrantConnection(CountedConnection[AccessGrant]):  # type: ignore[type-var]
    pass


@strawberry.type(name="ApiKeyConnection", description="A page of API keys, oldest first.")
class ApiKeyConnection(CountedConnection[ApiKey]):  # type: ignore[type-var]
    pass
