"""A document compiled into a plan: what each selected field reads and how it is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from inspect import signature
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    get_operation_ast,
    is_leaf_type,
)
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from authz.access import Need
from domain.core.naming import camel
from schema.core.direct import UNCHECKED
from schema.core.permissions import NEED
from schema.core.relay import global_id

if TYPE_CHECKING:
    from schema.core.compiled.run import Run

PAGE = frozenset({"first", "after"})
DATED_PAGE = PAGE | {"asOf"}
AS_OF = frozenset({"asOf"})
NONE: frozenset[str] = frozenset()
COVERED: dict[tuple[str, str], frozenset[str]] = {
    ("Query", "groupClients"): PAGE,
    ("Query", "policies"): PAGE,
    ("GroupClient", "children"): PAGE,
    ("GroupClient", "groupAccounts"): PAGE,
    ("GroupClient", "policies"): DATED_PAGE,
    ("GroupClient", "parent"): NONE,
    ("GroupClient", "inPremiumCalculation"): NONE,
    ("GroupAccount", "policies"): DATED_PAGE,
    ("GroupAccount", "groupClient"): NONE,
    ("Policy", "members"): AS_OF,
    ("Policy", "subscriber"): NONE,
    ("Policy", "groupAccount"): AS_OF,
    ("Policy", "enrollmentProducts"): AS_OF,
    ("PolicyMember", "ageLimitDate"): NONE,
    ("PolicyMember", "refundIban"): NONE,
    ("EnrollmentProduct", "product"): NONE,
}
"""The resolvers a plan calls, with the arguments it passes them: each reads of its Info only
the context and what its field selects (schema.core.asked). A connection's `totalCount` too."""

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
Write = Callable[["Run", Any], Any]
"""Writes a field's value into the answer (an object's fields through the run)."""


class NotCovered(Exception):
    """The document, or this request of it, is the executor's to answer."""


@dataclass(frozen=True, eq=False)
class Field:
    """One selected field: where its answer goes, how it is read and how it is written."""

    key: str
    read: Callable[[Run, Any, Field], Any]
    write: Write
    node: FieldNode
    definition: GraphQLField
    arguments: dict[str, str] | None
    """The resolver's keyword by argument name; None for a field without a resolver, whose
    value is never awaitable."""


@dataclass(frozen=True)
class Plan:
    operation: OperationDefinitionNode
    fields: tuple[Field, ...]
    resolved: tuple[Field, ...]
    needs: frozenset[Need]


def compile_plan(schema: GraphQLSchema, document: DocumentNode, name: str | None) -> Plan:
    operation = get_operation_ast(document, name)
    if operation is None or operation.operation != OperationType.QUERY or operation.directives:
        raise NotCovered
    if any(v.directives for v in operation.variable_definitions or ()):
        raise NotCovered
    found: list[Field] = []
    needs: set[Need] = set()
    query = schema.query_type
    assert query is not None
    fields = _selection(query, operation.selection_set, found, needs)
    return Plan(operation, fields, tuple(found), frozenset(needs))


def _selection(
    parent: GraphQLObjectType, selection: SelectionSetNode, found: list[Field], needs: set[Need]
) -> tuple[Field, ...]:
    fields: list[Field] = []
    keys: set[str] = set()
    for node in selection.selections:
        if not isinstance(node, FieldNode) or node.directives:
            raise NotCovered  # fragments, @include, @skip
        key = node.alias.value if node.alias else node.name.value
        if key in keys:
            raise NotCovered  # graphql-core merges the two; a plan does not
        keys.add(key)
        fields.append(_field(parent, node, key, found, needs))
    return tuple(fields)


def _field(
    parent: GraphQLObjectType, node: FieldNode, key: str, found: list[Field], needs: set[Need]
) -> Field:
    name = node.name.value
    if name == "__typename":
        type_name = parent.name
        return Field(key, lambda *_: type_name, _leaf(str), node, None, None)  # type: ignore[arg-type]
    definition = parent.fields.get(name)
    strawberry_field = (definition.extensions or {}).get(_DEFINITION) if definition else None
    if definition is None or strawberry_field is None:
        raise NotCovered  # introspection
    if any(not isinstance(e, PermissionExtension) for e in strawberry_field.extensions):
        raise NotCovered
    need = (strawberry_field.metadata or {}).get(NEED)
    if need is not None:
        needs.add(need)
    write = _writer(definition.type, node, found, needs)
    if strawberry_field.base_resolver is None:
        read = _attribute(definition, strawberry_field)
        return Field(key, read, write, node, definition, None)
    if name == "id" and strawberry_field.python_name == "_id":
        return Field(key, _node_id(parent.name), write, node, definition, None)
    allowed = COVERED.get((parent.name, name))
    if allowed is None and name == "totalCount" and parent.name.endswith("Connection"):
        allowed = NONE
    given = {argument.name.value for argument in node.arguments or ()}
    if allowed is None or not given <= allowed:
        raise NotCovered
    arguments = {
        definition_name: argument.python_name
        for argument in strawberry_field.arguments
        if (definition_name := _graphql_name(argument)) in definition.args
    }
    call = _resolver(strawberry_field.base_resolver.wrapped_func)
    planned = Field(key, call, write, node, definition, arguments)
    found.append(planned)
    return planned


def _writer(type_: Any, node: FieldNode, found: list[Field], needs: set[Need]) -> Write:
    """How a value of this output type is written, as graphql-core completes it; a null
    where the type allows none is the executor's to report."""
    if isinstance(type_, GraphQLNonNull):
        inner = _writer(type_.of_type, node, found, needs)

        def non_null(run: Run, value: Any) -> Any:
            if value is None:
                raise NotCovered  # the executor's error, and the nulls it spreads
            return inner(run, value)

        return non_null
    if isinstance(type_, GraphQLList):
        item = _writer(type_.of_type, node, found, needs)
        return lambda run, value: None if value is None else [item(run, v) for v in value]
    if is_leaf_type(type_):
        return _leaf(_serializer(type_))
    if not isinstance(type_, GraphQLObjectType) or node.selection_set is None:
        raise NotCovered  # an interface or a union
    fields = _selection(type_, node.selection_set, found, needs)
    return lambda run, value: None if value is None else run.object(value, fields)


def _leaf(serialize: Callable[[Any], Any]) -> Write:
    def leaf(_run: Run, value: Any) -> Any:
        if value is None:
            return None
        written = serialize(value)
        if written is None or written is Undefined:
            raise NotCovered
        return written

    return leaf


def _serializer(type_: Any) -> Callable[[Any], Any]:
    """The type's own serialize, with a short way for what it returns unchanged: a str
    as a String, a 32-bit int as an Int; an enum's member's name is kept once found."""
    serialize = type_.serialize
    if type_ is GraphQLString:
        return lambda value: value if type(value) is str else serialize(value)
    if type_ is GraphQLInt:
        return lambda value: (
            value if type(value) is int and _INT_LOW <= value <= _INT_HIGH else serialize(value)
        )
    if isinstance(type_, GraphQLEnumType):
        names: dict[tuple[type, Any], Any] = {}

        def enum(value: Any) -> Any:
            key = (type(value), value)
            if key not in names:
                names[key] = serialize(value)
            return names[key]

        return enum
    return serialize  # type: ignore[no-any-return]


_INT_LOW, _INT_HIGH = -(2**31), 2**31 - 1


def _graphql_name(argument: Any) -> str:
    """The argument's name in the schema, as strawberry's name converter gives it (whose rule
    domain.core.naming.camel is)."""
    return str(argument.graphql_name or camel(argument.python_name))


Read = Callable[["Run", Any, Field], Any]


def _attribute(definition: GraphQLField, strawberry_field: Any) -> Read:
    """Read a field without a resolver: the attribute, as strawberry's default resolver
    (getattr) reads it, or graphql-core's function for a `direct` field (whose info needs
    only the context)."""
    # strawberry marks its function for a field without a resolver `_is_default`.
    if getattr(definition.resolve, "_is_default", False) and (
        strawberry_field.default_resolver is getattr
    ):
        name = strawberry_field.python_name
        return lambda _run, source, _planned: getattr(source, name)
    # A `direct` field's need was checked with the document's others (see answer()).
    resolve = (strawberry_field.metadata or {}).get(UNCHECKED, definition.resolve)
    assert resolve is not None
    return lambda run, source, _planned: resolve(source, run.info)


def _node_id(type_name: str) -> Read:
    return lambda _run, source, _planned: global_id(type_name, source.id)


def _resolver(function: Callable[..., Any]) -> Read:
    if "info" not in signature(function).parameters:
        return lambda run, source, planned: function(source, **run.arguments[planned])
    return lambda run, source, planned: function(
        source, info=run.infos[planned], **run.arguments[planned]
    )
