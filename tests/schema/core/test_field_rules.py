"""A field rule is declared once on the field: without the right, null there and one error."""

from __future__ import annotations

from typing import Any
from unittest import mock

import strawberry

from authz import access
from authz.access import PERSONAL_FIELDS
from authz.principal import Principal, Role
from schema.core.context import Context
from schema.core.permissions import guarded


@strawberry.type
class Person:
    name: str

    @strawberry.field(**guarded(PERSONAL_FIELDS, "The national id."))
    def national_id(self) -> str | None:
        return f"ID-{self.name}"


@strawberry.type
class Query:
    @strawberry.field
    def people(self) -> list[Person]:
        return [Person(name="ann"), Person(name="bob")]


SCHEMA = strawberry.Schema(query=Query)
PEOPLE = "{ people { name nationalId } }"


async def _ask(role: Role) -> Any:
    context = Context(session=None, principal=Principal("someone", frozenset({role})))  # type: ignore[arg-type]
    return await SCHEMA.execute(PEOPLE, context_value=context)


async def test_a_role_without_the_right_gets_null_and_an_error_per_field_the_rest_intact() -> None:
    # when reporting (never personal fields) asks
    result = await _ask(Role.REPORTING)
    # then
    assert result.data == {
        "people": [{"name": "ann", "nationalId": None}, {"name": "bob", "nationalId": None}]
    }
    assert [(e.path, e.extensions) for e in result.errors or []] == [
        (["people", 0, "nationalId"], {"code": "FORBIDDEN"}),
        (["people", 1, "nationalId"], {"code": "FORBIDDEN"}),
    ]


async def test_a_role_with_the_right_reads_the_field() -> None:
    # when the insurer's back office asks
    result = await _ask(Role.BACKOFFICE)
    # then
    assert result.errors is None
    assert result.data == {
        "people": [{"name": "ann", "nationalId": "ID-ann"}, {"name": "bob", "nationalId": "ID-bob"}]
    }


async def test_casbin_is_asked_once_per_role_and_need_per_process_not_per_row() -> None:
    # given no decision made yet in this process
    access.decided.cache_clear()
    real = access.enforcer()
    with mock.patch.object(real, "enforce", wraps=real.enforce) as enforce:
        # when two requests read two rows each
        await _ask(Role.REPORTING)
        await _ask(Role.REPORTING)
    # then one decision for the one role and the field's need
    asked = [call.args for call in enforce.call_args_list if call.args[1] == "field:personal"]
    assert asked == [("reporting", "field:personal", "read")]


def test_the_schema_documents_what_a_field_requires() -> None:
    field = SCHEMA.get_type_by_name("Person").fields[1]  # type: ignore[union-attr]
    assert field.description == "The national id. Requires field:personal:read."
