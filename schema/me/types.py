"""The caller as the API sees them: who they are, what they were granted, who they are insured
as and their policies, in one request (the employee app's first screen)."""

from __future__ import annotations

from typing import Self

import strawberry

from authz.access import POLICIES_READ
from authz.principal import GrantKind, Principal
from schema.access.types import Role
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.policies.types import Person, Policy


def _codes(principal: Principal, kind: GrantKind) -> list[str]:
    """The codes of `kind` the principal holds any role on, by token or stored grant."""
    return sorted({code for role in principal.all_roles for code in principal.codes(role, kind)})


@strawberry.type(
    description="Who is calling: the principal's subject, roles and grants, the person they "
    "are, and the policies they are insured on. For an employee, `policies { coverage { ... } "
    "members { ... } }` is their own cover in one request."
)
class Me:
    subject: str = strawberry.field(description="The token's subject, or apikey:NAME for a key.")
    roles: list[Role] = strawberry.field(description="Every role, by token or stored grant.")
    groups: list[str] = strawberry.field(
        description="The group clients granted (each with its subtree), by code."
    )
    data_access_groups: list[str] = strawberry.field(
        description="The data access groups granted, by code."
    )
    lines_of_business: list[str] = strawberry.field(
        description="The lines of business granted, by code."
    )
    person_number: str | None = strawberry.field(
        description="The person the principal is, by the insurer's number; null for staff, "
        "partners and keys."
    )

    @classmethod
    def of(cls, principal: Principal) -> Self:
        return cls(
            subject=principal.subject,
            roles=sorted(principal.all_roles),
            groups=_codes(principal, GrantKind.GROUP_CLIENT),
            data_access_groups=_codes(principal, GrantKind.DATA_ACCESS_GROUP),
            lines_of_business=_codes(principal, GrantKind.LINE_OF_BUSINESS),
            person_number=principal.person,
        )

    @strawberry.field(
        **guarded(
            POLICIES_READ,
            "The person the principal is, when they name one and it is within their reach.",
        )
    )
    async def person(self, info: Info) -> Person | None:
        if self.person_number is None:
            return None
        row = await info.context.loaders.policies.person_by_number.load(self.person_number)
        return Person.from_model(row) if row else None

    @strawberry.field(
        **guarded(
            POLICIES_READ,
            "The policies within your reach on which that person is or was insured, in "
            "creation order; empty without a person.",
        )
    )
    async def policies(self, info: Info) -> list[Policy] | None:
        if self.person_number is None:
            return []
        loader = info.context.loaders.policies.policies_by_person_number
        return await Policy.page(info, await loader.load(self.person_number))
