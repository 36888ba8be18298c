"""The one camel-case converter spells every name as strawberry names the schema's fields."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInputObjectType, GraphQLObjectType
from hypothesis import given
from hypothesis import strategies as st
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.utils.str_converters import to_camel_case

from domain.core.naming import camel
from schema.root import schema

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


@given(st.from_regex(r"[A-Za-z0-9_]{0,20}", fullmatch=True) | st.text(max_size=20))
def test_camel_is_strawberrys_rule(name: str) -> None:
    # given any name, digits, capitals and doubled or trailing underscores among them
    # when / then
    assert camel(name) == to_camel_case(name)


def test_camel_names_what_the_schema_names() -> None:
    # given every field, argument and input field of the schema that strawberry named
    named = list(_named(schema._schema.type_map.values()))
    # when / then the converter gives each the schema's own name
    assert len(named) > 500
    assert [(name, camel(python)) for name, python in named if camel(python) != name] == []
    assert camel("end_date") == "endDate"


def _named(types: Any) -> Any:
    """(GraphQL name, Python name) of each field and argument named from its Python name."""
    for type_ in types:
        if not isinstance(type_, GraphQLObjectType | GraphQLInputObjectType):
            continue
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get(_DEFINITION)
            if definition is None:
                continue
            if definition.graphql_name is None:
                yield name, definition.python_name
            for argument in getattr(definition, "arguments", ()):
                if argument.graphql_name is None:
                    yield _argument_name(field, argument), argument.python_name


def _argument_name(field: Any, argument: Any) -> str:
    """The schema's name of the argument: the one of the field's arguments that is its."""
    for name, graphql_argument in (field.args or {}).items():
        if (graphql_argument.extensions or {}).get(_DEFINITION) is argument:
            return name
    raise AssertionError(argument.python_name)
