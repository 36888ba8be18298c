"""A document compiled into a plan: what each selected field reads and how it is written."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    default_type_resolver,
    get_operation_ast,
    is_leaf_type,
)
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from authz.access import Need
from schema.core.direct import UNCHECKED
from schema.core.permissions import NEED
from schema.core.relay import global_id

if TYPE_CHECKING:
    from schema.core.compiled.run import Run

PAGE = frozenset({"first", "after"})
FILTERED_PAGE = PAGE | {"filter"}
DATED_PAGE = PAGE | {"asOf"}
AS_OF = frozenset({"asOf"})
NONE: frozenset[str] = frozenset()
_EFFECTIVE = (
    "premiumSchedule",
    "adjustments",
    "brokerAgent",
    "collectionSetting",
    "billingAccount",
    "billAllocation",
    "groupCommissionRate",
    "employerContribution",
    "processFlow",
    "assignedProviderGroup",
    "parameterValues",
)
COVERED: dict[tuple[str, str], frozenset[str]] = {
    ("Query", "node"): frozenset({"id"}),
    ("Query", "groupClient"): frozenset({"id", "code"}),
    ("Query", "groupClients"): FILTERED_PAGE,
    ("Query", "policies"): FILTERED_PAGE,
    ("Query", "workflowTasks"): FILTERED_PAGE,
    ("GroupClient", "children"): PAGE,
    ("GroupClient", "groupAccounts"): PAGE,
    ("GroupClient", "policies"): DATED_PAGE,
    ("GroupClient", "parent"): NONE,
    ("GroupClient", "inPremiumCalculation"): NONE,
    ("GroupClient", "effectiveSettings"): AS_OF,
    ("GroupAccount", "policies"): DATED_PAGE,
    ("GroupAccount", "groupClient"): NONE,
    ("GroupAccount", "effectiveSettings"): AS_OF,
    ("Policy", "members"): AS_OF,
    ("Policy", "subscriber"): NONE,
    ("Policy", "groupAccount"): AS_OF,
    ("Policy", "enrollmentProducts"): AS_OF,
    ("Policy", "effectiveSettings"): AS_OF,
    ("PolicyMember", "ageLimitDate"): NONE,
    ("PolicyMember", "refundIban"): NONE,
    ("EnrollmentProduct", "product"): NONE,
    ("EnrollmentProduct", "effectiveSettings"): AS_OF,
    **{("EffectiveSettings", name): NONE for name in _EFFECTIVE},
    ("PremiumSchedule", "rates"): NONE,
    ("WorkflowTask", "overdue"): NONE,
    ("WorkflowTask", "request"): NONE,
    ("WorkflowRequest", "timeline"): NONE,
    ("WorkflowRequest", "tasks"): NONE,
    ("WorkflowRequest", "policy"): NONE,
    ("WorkflowRequest", "person"): NONE,
    ("WorkflowRequest", "groupAccount"): NONE,
}
"""The resolvers a plan calls, with the arguments it passes them: each reads of its Info only
the context, the schema and what its field selects (schema.core.asked), as the plan's _Info
gives them (run.py). A connection's `totalCount` too. Filters are inputs that strawberry
converts (Run.prepare); a resolver that refuses one raises, and the executor answers."""

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
_COMPILING: ContextVar[GraphQLSchema] = ContextVar("compiling")
"""The schema of the plan being made: an interface's possible types are the schema's."""
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
    resolver: StrawberryField | None
    """The field whose arguments strawberry converts for its resolver; None for a field
    without a resolver, whose value is never awaitable."""


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
    _COMPILING.set(schema)
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
    resolver = strawberry_field.base_resolver
    if resolver.self_parameter is None or resolver.parent_parameter or resolver.root_parameter:
        raise NotCovered  # a plan passes the source as `self`, and nothing else of it
    call = _resolver(resolver.wrapped_func)
    planned = Field(key, call, write, node, definition, strawberry_field)
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
    if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType) and node.selection_set:
        return _abstract(type_, node, found, needs)
    if not isinstance(type_, GraphQLObjectType) or node.selection_set is None:
        raise NotCovered
    fields = _selection(type_, node.selection_set, found, needs)
    return lambda run, value: None if value is None else run.object(value, fields)


def _abstract(
    type_: GraphQLInterfaceType | GraphQLUnionType,
    node: FieldNode,
    found: list[Field],
    needs: set[Need],
) -> Write:
    """How a value of an interface or a union is written, as graphql-core completes it: its
    runtime type by the type's `resolve_type` (or graphql-core's default, which asks each
    possible type's `is_type_of`), checked by that type's `is_type_of`, then written by the
    selection planned for that type. What graphql-core would refuse is the executor's."""
    assert node.selection_set is not None
    possible = _COMPILING.get().get_possible_types(type_)
    plans = {t.name: (t, _selection(t, node.selection_set, found, needs)) for t in possible}
    resolve_type = type_.resolve_type or default_type_resolver

    def abstract(run: Run, value: Any) -> Any:
        if value is None:
            return None
        info = run.raw_info(node, type_)
        name = resolve_type(value, info, type_)
        if not isinstance(name, str) or name not in plans:
            raise NotCovered  # graphql-core's error, or a type resolved asynchronously
        runtime, fields = plans[name]
        if runtime.is_type_of is not None and runtime.is_type_of(value, info) is not True:
            raise NotCovered
        return run.object(value, fields)

    return abstract


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
    """Call the resolver with the source as `self` and the keywords strawberry's own
    conversion gave (its info among them when it asks for one; see Run.prepare)."""
    return lambda run, source, planned: function(source, **run.arguments[planned])
