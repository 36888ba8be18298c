"""A document compiled into a plan: what each selected field reads and how it is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    Undefined,
    default_type_resolver,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import (
    CollectedFields,
    FieldDetailsList,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from authz.access import Need
from schema.core.compiled.operation import NotCovered, Operation
from schema.core.direct import READS, UNCHECKED
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
Write = Callable[["Run", Any], Any]
"""Writes a field's value into the answer (an object's fields through the run)."""


@dataclass(frozen=True, eq=False)
class Field:
    """One selected field: where its answer goes, how it is read and how it is written."""

    key: str
    read: Callable[[Run, Any, Field], Any]
    write: Write
    nodes: tuple[FieldNode, ...]
    """The nodes graphql-core merged under the key, in the document's order."""
    definition: GraphQLField
    resolver: StrawberryField | None
    """The field whose arguments strawberry converts for its resolver; None for a field
    without a resolver, whose value is never awaitable."""
    get: Callable[[Any], Any] | None = None
    """For a field that reads an attribute (strawberry's default resolver, getattr) or a
    `direct` field that declares what it reads: an attrgetter of it, which the walk calls
    itself (`read` would), a Python call less for most fields of an answer."""
    string: bool = False
    """A String: a str is written as it is, without calling `write`."""

    @property
    def node(self) -> FieldNode:
        """The first node, whose arguments graphql-core passes (validation made them equal)."""
        return self.nodes[0]

    @property
    def step(self) -> Step:
        """The field as the walk's loop unpacks it (run.Run.object): a tuple's items are
        read faster than a dataclass's attributes, for each of an answer's thousands of
        fields."""
        return (
            self.key,
            self.get,
            self.read,
            self.write,
            self.resolver is not None,
            self.string,
            self,
        )


Step = tuple[str, Callable[[Any], Any] | None, "Read", Write, bool, bool, Field]
Steps = tuple[Step, ...]


@dataclass(frozen=True)
class Plan:
    steps: Steps
    """The query's fields, as the walk reads them."""
    resolved: tuple[Field, ...]
    needs: frozenset[Need]
    fragments: dict[str, FragmentDefinitionNode]
    """The document's fragments, as a resolver's info carries them (`selected_fields`)."""


def compile_plan(schema: GraphQLSchema, operation: Operation, variables: VariableValues) -> Plan:
    """The plan of the operation for these values of its switches (the other variables are
    read by each request)."""
    query = schema.query_type
    assert query is not None
    walk = _Walk(schema, operation, variables, [], set())
    try:
        collected = collect_fields(schema, operation.fragments, variables, query, operation.node)
        fields = _selection(query, collected, walk)
    except (GraphQLError, RecursionError) as error:
        raise NotCovered from error  # a switch's null, or too deep: the executor's error
    definitions = {name: details.definition for name, details in operation.fragments.items()}
    return Plan(_steps(fields), tuple(walk.found), frozenset(walk.needs), definitions)


@dataclass(frozen=True)
class _Walk:
    """What the walk of a document collects fields with, and what it finds."""

    schema: GraphQLSchema
    operation: Operation
    variables: VariableValues
    found: list[Field]
    needs: set[Need]

    def subfields(self, type_: GraphQLObjectType, details: FieldDetailsList) -> CollectedFields:
        return collect_subfields(
            self.schema,
            self.operation.fragments,
            self.variables,
            self.operation.node,
            type_,
            details,
        )


def _selection(
    parent: GraphQLObjectType, collected: CollectedFields, walk: _Walk
) -> tuple[Field, ...]:
    """The fields graphql-core collects for an object of the parent type: fragments whose
    condition it meets, @skip and @include applied, nodes of one key merged, keys in order."""
    grouped = collected.grouped_field_set
    return tuple(_field(parent, details, key, walk) for key, details in grouped.items())


def _field(parent: GraphQLObjectType, details: FieldDetailsList, key: str, walk: _Walk) -> Field:
    node = details[0].node
    nodes = tuple(detail.node for detail in details)
    name = node.name.value
    if name == "__typename":
        type_name = parent.name
        return Field(key, lambda *_: type_name, _leaf(str, True), nodes, None, None)  # type: ignore[arg-type]
    definition = parent.fields.get(name)
    strawberry_field = (definition.extensions or {}).get(_DEFINITION) if definition else None
    if definition is None or strawberry_field is None:
        raise NotCovered  # introspection
    if any(not isinstance(e, PermissionExtension) for e in strawberry_field.extensions):
        raise NotCovered
    need = (strawberry_field.metadata or {}).get(NEED)
    if need is not None:
        walk.needs.add(need)
    write = _writer(definition.type, details, walk)
    if strawberry_field.base_resolver is None:
        read, get = _attribute(definition, strawberry_field)
        string = get_nullable_type(definition.type) is GraphQLString
        return Field(key, read, write, nodes, definition, None, get, string)
    if name == "id" and strawberry_field.python_name == "_id":
        return Field(key, _node_id(parent.name), write, nodes, definition, None)
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
    planned = Field(key, call, write, nodes, definition, strawberry_field)
    walk.found.append(planned)
    return planned


def _writer(type_: Any, details: FieldDetailsList, walk: _Walk) -> Write:
    """How a value of this output type is written, as graphql-core completes it; a null
    where the type allows none is the executor's to report (it spreads the nulls). Each
    writer checks its own null, a call less a value than a writer wrapped in a check."""
    nullable = not isinstance(type_, GraphQLNonNull)
    if not nullable:
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        item = _writer(type_.of_type, details, walk)

        def items(run: Run, value: Any) -> Any:
            if value is None:
                return _null(nullable)
            return [item(run, v) for v in value]

        return items
    if is_leaf_type(type_):
        return _leaf(_serializer(type_), nullable, type_)
    if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
        return _abstract(type_, details, walk, nullable)
    if not isinstance(type_, GraphQLObjectType):
        raise NotCovered
    steps = _steps(_selection(type_, walk.subfields(type_, details), walk))

    def object_(run: Run, value: Any) -> Any:
        if value is None:
            return _null(nullable)
        return run.object(value, steps)

    return object_


def _steps(fields: tuple[Field, ...]) -> Steps:
    return tuple(planned.step for planned in fields)


def _null(nullable: bool) -> None:
    """A null where the type allows one; where it does not, the executor's error."""
    if not nullable:
        raise NotCovered
    return None


def _abstract(
    type_: GraphQLInterfaceType | GraphQLUnionType,
    details: FieldDetailsList,
    walk: _Walk,
    nullable: bool,
) -> Write:
    """How a value of an interface or a union is written, as graphql-core completes it: its
    runtime type by the type's `resolve_type` (or graphql-core's default, which asks each
    possible type's `is_type_of`), checked by that type's `is_type_of`, then written by the
    fields collected for that type. What graphql-core would refuse is the executor's."""
    possible = walk.schema.get_possible_types(type_)
    plans = {t.name: (t, _steps(_selection(t, walk.subfields(t, details), walk))) for t in possible}
    resolve_type = type_.resolve_type or default_type_resolver
    node = details[0].node

    def abstract(run: Run, value: Any) -> Any:
        if value is None:
            return _null(nullable)
        info = run.raw_info(node, type_)
        name = resolve_type(value, info, type_)
        if not isinstance(name, str) or name not in plans:
            raise NotCovered  # graphql-core's error, or a type resolved asynchronously
        runtime, steps = plans[name]
        if runtime.is_type_of is not None and runtime.is_type_of(value, info) is not True:
            raise NotCovered
        return run.object(value, steps)

    return abstract


def _leaf(serialize: Callable[[Any], Any], nullable: bool, type_: Any = None) -> Write:
    """Write a leaf by the type's serialize; a str as a String is written as it is, without
    a call."""

    def leaf(_run: Run, value: Any) -> Any:
        if value is None:
            return _null(nullable)
        written = serialize(value)
        if written is None or written is Undefined:
            raise NotCovered
        return written

    if type_ is not GraphQLString:
        return leaf

    def string(run: Run, value: Any) -> Any:
        return value if type(value) is str else leaf(run, value)

    return string


def _serializer(type_: Any) -> Callable[[Any], Any]:
    """The type's own serialize, with a short way for what it returns unchanged, a 32-bit int
    as an Int (a str as a String: see `_leaf`); an enum's member's name is kept once found."""
    serialize = type_.serialize
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


def _attribute(
    definition: GraphQLField, strawberry_field: Any
) -> tuple[Read, Callable[[Any], Any] | None]:
    """Read a field without a resolver: the attribute (and its getter), as strawberry's
    default resolver (getattr) reads it, or graphql-core's function for a `direct` field
    (whose info needs only the context), by its getter when it declares what it reads."""
    # strawberry marks its function for a field without a resolver `_is_default`.
    if getattr(definition.resolve, "_is_default", False) and (
        strawberry_field.default_resolver is getattr
    ):
        get = attrgetter(strawberry_field.python_name)
        return (lambda _run, source, _planned: get(source)), get
    # A `direct` field's need was checked with the document's others (see answer()).
    metadata = strawberry_field.metadata or {}
    resolve = metadata.get(UNCHECKED, definition.resolve)
    assert resolve is not None
    return (lambda run, source, _planned: resolve(source, run.info)), metadata.get(READS)


def _node_id(type_name: str) -> Read:
    return lambda _run, source, _planned: global_id(type_name, source.id)


def _resolver(function: Callable[..., Any]) -> Read:
    """Call the resolver with the source as `self` and the keywords strawberry's own
    conversion gave (its info among them when it asks for one; see Run.prepare)."""
    return lambda run, source, planned: function(source, **run.arguments[planned])
