"""A document compiled into a plan: what each selected field reads and how it is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from inspect import signature
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    is_leaf_type,
)
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from authz.access import Need
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


class NotCovered(Exception):
    """The document, or this request of it, is the executor's to answer."""


@dataclass(frozen=True, eq=False)
class Field:
    """One selected field: where its answer goes, how it is read and how it is written."""

    key: str
    read: Callable[[Run, Any, Field], Any]
    shape: tuple[Any, ...]
    node: FieldNode
    definition: GraphQLField
    arguments: dict[str, str] | None
    """The resolver's keyword by argument name; None for a field without a resolver."""


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
        return Field(key, lambda *_: type_name, ("leaf", str), node, None, None)  # type: ignore[arg-type]
    definition = parent.fields.get(name)
    strawberry_field = (definition.extensions or {}).get(_DEFINITION) if definition else None
    if definition is None or strawberry_field is None:
        raise NotCovered  # introspection
    if any(not isinstance(e, PermissionExtension) for e in strawberry_field.extensions):
        raise NotCovered
    need = (strawberry_field.metadata or {}).get(NEED)
    if need is not None:
        needs.add(need)
    shape = _shape(definition.type, node, found, needs)
    if strawberry_field.base_resolver is None:
        return Field(key, _attribute(definition), shape, node, definition, None)
    if name == "id" and strawberry_field.python_name == "_id":
        return Field(key, _node_id(parent.name), shape, node, definition, None)
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
    planned = Field(key, call, shape, node, definition, arguments)
    found.append(planned)
    return planned


def _shape(type_: Any, node: FieldNode, found: list[Field], needs: set[Need]) -> tuple[Any, ...]:
    """How a value of this output type is written: ("non_null"|"list", inner), ("leaf",
    serialize) or ("object", its fields)."""
    if isinstance(type_, GraphQLNonNull):
        return ("non_null", _shape(type_.of_type, node, found, needs))
    if isinstance(type_, GraphQLList):
        return ("list", _shape(type_.of_type, node, found, needs))
    if is_leaf_type(type_):
        return ("leaf", type_.serialize)
    if not isinstance(type_, GraphQLObjectType) or node.selection_set is None:
        raise NotCovered  # an interface or a union
    return ("object", _selection(type_, node.selection_set, found, needs))


def _graphql_name(argument: Any) -> str:
    if argument.graphql_name:
        return str(argument.graphql_name)
    head, *rest = argument.python_name.split("_")
    return head + "".join(part.title() for part in rest)


Read = Callable[["Run", Any, Field], Any]


def _attribute(definition: GraphQLField) -> Read:
    resolve = definition.resolve
    assert resolve is not None
    # graphql-core's own function: strawberry's attribute read, or a direct field's (whose
    # info needs only the context).
    return lambda run, source, _planned: resolve(source, run.info)


def _node_id(type_name: str) -> Read:
    return lambda _run, source, _planned: global_id(type_name, source.id)


def _resolver(function: Callable[..., Any]) -> Read:
    if "info" not in signature(function).parameters:
        return lambda run, source, planned: function(source, **run.arguments[planned])
    return lambda run, source, planned: function(
        source, info=run.infos[planned], **run.arguments[planned]
    )
