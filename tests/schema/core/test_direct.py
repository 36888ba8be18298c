"""A field graphql-core resolves directly reads the request's Context and refuses like a guard."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLResolveInfo

from authz.access import PERSONAL_FIELDS
from authz.principal import Principal, Role
from schema.core.context import Context
from schema.core.direct import direct, install
from schema.core.permissions import refuse, requires


def _national_id(root: Person, info: GraphQLResolveInfo) -> Any:
    if not info.context.access.allows(PERSONAL_FIELDS):
        raise refuse(PERSONAL_FIELDS)
    return f"ID-{root.name}"


@strawberry.type
class Person:
    name: str
    national_id: str | None = direct(
        _national_id, description=requires(PERSONAL_FIELDS, "The national id.")
    )


@strawberry.type
class Query:
    @strawberry.field
    def people(self) -> list[Person]:
        return [Person(name="ann"), Person(name="bob")]


SCHEMA = install(strawberry.Schema(query=Query))
PEOPLE = "{ people { name nationalId } }"


async def _ask(role: Role) -> Any:
    context = Context(session=None, principal=Principal("someone", frozenset({role})))  # type: ignore[arg-type]
    return await SCHEMA.execute(PEOPLE, context_value=context)


async def test_the_function_reads_the_field_for_a_role_with_the_right() -> None:
    # when the insurer's back office asks
    result = await _ask(Role.BACKOFFICE)
    # then the function gave each value, not the attribute strawberry holds (None)
    assert result.errors is None
    assert result.data == {
        "people": [{"name": "ann", "nationalId": "ID-ann"}, {"name": "bob", "nationalId": "ID-bob"}]
    }


async def test_a_role_without_the_right_gets_what_a_guarded_field_gives() -> None:
    # when reporting (never personal fields) asks
    result = await _ask(Role.REPORTING)
    # then null there and one FORBIDDEN error per field, with the guard's message
    assert result.data == {
        "people": [{"name": "ann", "nationalId": None}, {"name": "bob", "nationalId": None}]
    }
    assert [(e.path, e.message, e.extensions) for e in result.errors or []] == [
        (
            ["people", i, "nationalId"],
            "Forbidden: this needs the permission field:personal:read.",
            {"code": "FORBIDDEN"},
        )
        for i in (0, 1)
    ]


def test_the_schema_still_documents_the_field_and_what_it_requires() -> None:
    field = SCHEMA.get_type_by_name("Person").fields[1]  # type: ignore[union-attr]
    assert field.description == "The national id. Requires field:personal:read."
    assert "nationalId: String" in SCHEMA.as_str()
