"""Inputs of access management."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.access.types import GrantKind, Role


@strawberry.input(
    description="A role to give a subject on one group client, data access group or line."
)
class AccessGrantAddInput:
    subject: str = strawberry.field(
        description="Who gets it: a token's subject, or apikey:NAME for a partner's key."
    )
    role: Role = strawberry.field(
        description="BACKOFFICE and REPORTING take data access groups and lines of business "
        "(both are needed to see a row); GROUP_MANAGER and PARTNER take group clients; VENDOR "
        "takes group clients and request types (both are needed) and, to narrow it, task kinds."
    )
    kind: GrantKind = strawberry.field(description="What `code` names.")
    code: str = strawberry.field(
        description="The code of the group client, group or line; a request type (one the "
        "policy lets vendors take) or a task kind (APPROVAL, FULFILMENT)."
    )


@strawberry.input(description="A grant to take back.")
class AccessGrantRemoveInput:
    id: strawberry.ID = strawberry.field(description="The grant's id.")


@strawberry.input(description="A new API key for a partner system.")
class ApiKeyCreateInput:
    name: str = strawberry.field(
        description="A unique name: up to 30 letters, digits, '.', '_', '-'."
    )
    group_client_codes: list[str] = strawberry.field(
        description="The group clients the key reaches, with everything below them."
    )
    expires_at: datetime = strawberry.field(
        description="When it stops working, with a time zone; at most 366 days ahead."
    )
    role: Role = strawberry.field(
        default=Role.PARTNER,
        description="What it signs in as: PARTNER, or VENDOR (then give its subject request "
        "types with accessGrantAdd).",
    )


@strawberry.input(description="An API key to revoke.")
class ApiKeyRevokeInput:
    id: strawberry.ID = strawberry.field(description="The key's id.")
