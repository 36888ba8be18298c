"""Compiled reads: a covered read-only document answered without graphql-core's field machinery.

graphql-core and strawberry cost about 5 us a field (an Info, middleware, extensions, awaitable
checks, the argument conversion): bench.load's nested query has 11,400 fields, and 46% of its
CPU went there (py-spy, issue 21). For a query this module covers, a plan is made once per
document (kept like the parser's cache) and each request walks it: the resolvers the schema
declares are called directly (so reach, row filters, SQL and loaders stay one implementation),
plain and `direct` fields read by the functions graphql-core would call, leaves serialized by
the schema's own scalars and enums. Async results are gathered a wave at a time, as graphql-core
gathers them, so loaders batch the same keys into the same statements.

What a plan covers is narrow on purpose, and anything else runs the normal executor:
- a query (no mutation, subscription), without fragments, directives or a response key twice;
- fields that read an attribute (graphql-core's default resolver, or `schema.core.direct`),
  `id`, `__typename`, and the resolvers in `COVERED`, with only the arguments named there;
  no interface or union on the way.
A request then declines, and the executor answers it, when:
- the caller lacks a need of any selected field (the executor's FORBIDDEN errors and nulls are
  its own: a plan never writes an error), or a `first` is out of range;
- anything raises or a non-null field meets a null: what was loaded is dropped (fresh loaders),
  and the executor starts over, so such a request may send its statements twice.
tests/schema/core/test_compiled.py holds the plan's answers to the executor's, byte for byte,
for random documents over random data and callers. GROUPCOVER_COMPILED_READS=false turns it off.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from inspect import isawaitable, signature
from typing import Any

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
    Undefined,
    get_operation_ast,
    is_leaf_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.nodes import convert_selections

from authz.access import Need
from domain.core.paging import MAX_PAGE_SIZE
from schema.core.context import Context
from schema.core.permissions import NEED
from schema.core.relay import global_id

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
CACHED_PLANS = 1000


class _NotCovered(Exception):
    """The document, or this request of it, is the executor's to answer."""


@dataclass(frozen=True, eq=False)
class _Field:
    """One selected field: where its answer goes, how it is read and how it is written."""

    key: str
    read: Callable[[_Run, Any, _Field], Any]
    shape: tuple[Any, ...]
    node: FieldNode
    definition: GraphQLField
    arguments: dict[str, str] | None
    """The resolver's keyword by argument name; None for a field without a resolver."""


@dataclass(frozen=True)
class _Plan:
    operation: OperationDefinitionNode
    fields: tuple[_Field, ...]
    resolved: tuple[_Field, ...]
    needs: frozenset[Need]


class Plans:
    """The plans of the documents seen, by text and operation name (None: not covered)."""

    def __init__(self) -> None:
        self.plans: dict[tuple[str, str | None], _Plan | None] = {}

    def plan(self, schema: GraphQLSchema, document: DocumentNode, key: Any) -> _Plan | None:
        if key not in self.plans:
            if len(self.plans) >= CACHED_PLANS:
                del self.plans[next(iter(self.plans))]
            try:
                self.plans[key] = _compile(schema, document, key[1])
            except _NotCovered:
                self.plans[key] = None
        return self.plans[key]


class CompiledReads(SchemaExtension):
    """Answer a covered query by its plan before the executor would run; see the module."""

    def __init__(self, plans: Plans) -> None:
        self.plans = plans

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if (
            context.result is None
            and context.graphql_document is not None
            and context.query is not None
            and isinstance(context.context, Context)
        ):
            schema = context.schema._schema
            plan = self.plans.plan(
                schema, context.graphql_document, (context.query, context.operation_name)
            )
            if plan is not None:
                data = await answer(plan, schema, context.context, context.variables)
                if data is not None:
                    context.result = GraphQLExecutionResult(data=data)
        yield


async def answer(
    plan: _Plan, schema: GraphQLSchema, context: Context, variables: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The plan's answer for this caller and these variables; None when it declines."""
    if not all(context.access.allows(need) for need in plan.needs):
        return None
    definitions = plan.operation.variable_definitions or ()
    coerced = get_variable_values(schema, definitions, variables or {})
    if isinstance(coerced, list):  # the executor reports variables that do not coerce
        return None
    run = _Run(context, coerced)
    if not run.prepare(plan.resolved):
        return None
    try:
        return await run.all(plan.fields)
    except Exception:
        run.abandon()
        context.reset_loaders()  # the executor starts afresh, with nothing half-loaded
        return None


# --- compiling ------------------------------------------------------------------------------


def _compile(schema: GraphQLSchema, document: DocumentNode, name: str | None) -> _Plan:
    operation = get_operation_ast(document, name)
    if operation is None or operation.operation != OperationType.QUERY or operation.directives:
        raise _NotCovered
    if any(v.directives for v in operation.variable_definitions or ()):
        raise _NotCovered
    found: list[_Field] = []
    needs: set[Need] = set()
    query = schema.query_type
    assert query is not None
    fields = _selection(query, operation.selection_set, found, needs)
    return _Plan(operation, fields, tuple(found), frozenset(needs))


def _selection(
    parent: GraphQLObjectType, selection: SelectionSetNode, found: list[_Field], needs: set[Need]
) -> tuple[_Field, ...]:
    fields: list[_Field] = []
    keys: set[str] = set()
    for node in selection.selections:
        if not isinstance(node, FieldNode) or node.directives:
            raise _NotCovered  # fragments, @include, @skip
        key = node.alias.value if node.alias else node.name.value
        if key in keys:
            raise _NotCovered  # graphql-core merges the two; a plan does not
        keys.add(key)
        fields.append(_field(parent, node, key, found, needs))
    return tuple(fields)


def _field(
    parent: GraphQLObjectType, node: FieldNode, key: str, found: list[_Field], needs: set[Need]
) -> _Field:
    name = node.name.value
    if name == "__typename":
        type_name = parent.name
        return _Field(key, lambda *_: type_name, ("leaf", str), node, None, None)  # type: ignore[arg-type]
    definition = parent.fields.get(name)
    strawberry_field = (definition.extensions or {}).get(_DEFINITION) if definition else None
    if definition is None or strawberry_field is None:
        raise _NotCovered  # introspection
    if any(not isinstance(e, PermissionExtension) for e in strawberry_field.extensions):
        raise _NotCovered
    need = (strawberry_field.metadata or {}).get(NEED)
    if need is not None:
        needs.add(need)
    shape = _shape(definition.type, node, found, needs)
    if strawberry_field.base_resolver is None:
        return _Field(key, _attribute(definition), shape, node, definition, None)
    if name == "id" and strawberry_field.python_name == "_id":
        return _Field(key, _node_id(parent.name), shape, node, definition, None)
    allowed = COVERED.get((parent.name, name))
    if allowed is None and name == "totalCount" and parent.name.endswith("Connection"):
        allowed = NONE
    given = {argument.name.value for argument in node.arguments or ()}
    if allowed is None or not given <= allowed:
        raise _NotCovered
    arguments = {
        definition_name: argument.python_name
        for argument in strawberry_field.arguments
        if (definition_name := _graphql_name(argument)) in definition.args
    }
    call = _resolver(strawberry_field.base_resolver.wrapped_func)
    planned = _Field(key, call, shape, node, definition, arguments)
    found.append(planned)
    return planned


def _shape(type_: Any, node: FieldNode, found: list[_Field], needs: set[Need]) -> tuple[Any, ...]:
    """How a value of this output type is written: ("non_null"|"list", inner), ("leaf",
    serialize) or ("object", its fields)."""
    if isinstance(type_, GraphQLNonNull):
        return ("non_null", _shape(type_.of_type, node, found, needs))
    if isinstance(type_, GraphQLList):
        return ("list", _shape(type_.of_type, node, found, needs))
    if is_leaf_type(type_):
        return ("leaf", type_.serialize)
    if not isinstance(type_, GraphQLObjectType) or node.selection_set is None:
        raise _NotCovered  # an interface or a union
    return ("object", _selection(type_, node.selection_set, found, needs))


def _graphql_name(argument: Any) -> str:
    if argument.graphql_name:
        return str(argument.graphql_name)
    head, *rest = argument.python_name.split("_")
    return head + "".join(part.title() for part in rest)


Read = Callable[["_Run", Any, _Field], Any]


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


# --- running --------------------------------------------------------------------------------


@dataclass
class _RawInfo:
    """The part of graphql-core's info that strawberry's `selected_fields` reads."""

    field_nodes: list[FieldNode]
    variable_values: VariableValues
    context: Context
    fragments: dict[str, Any]


class _Info:
    """What a covered resolver reads of strawberry's Info: the context, and its field's
    selection (schema.core.asked keys its answers by the field's nodes)."""

    def __init__(self, context: Context, node: FieldNode | None, variables: VariableValues) -> None:
        self.context = context
        self._raw_info = _RawInfo([node] if node else [], variables, context, {})

    @property
    def selected_fields(self) -> list[Any]:
        return convert_selections(self._raw_info, self._raw_info.field_nodes)  # type: ignore[arg-type]


class _Run:
    """One request's walk of a plan: values written as they come, async ones a wave at a time."""

    def __init__(self, context: Context, variables: VariableValues) -> None:
        self.context = context
        self.variables = variables
        self.info = _Info(context, None, variables)  # a `direct` field's: the context
        self.infos: dict[_Field, _Info] = {}
        self.arguments: dict[_Field, dict[str, Any]] = {}
        self.pending: list[tuple[Any, tuple[Any, ...], dict[str, Any], str]] = []

    def prepare(self, resolved: Iterable[_Field]) -> bool:
        """Work out every resolver's arguments; False when a `first` is out of range (the
        executor's error)."""
        for planned in resolved:
            assert planned.arguments is not None
            values = get_argument_values(planned.definition, planned.node, self.variables)
            first = values.get("first")
            if first is not None and not 0 <= first <= MAX_PAGE_SIZE:
                return False
            self.arguments[planned] = {planned.arguments[k]: v for k, v in values.items()}
            self.infos[planned] = _Info(self.context, planned.node, self.variables)
        return True

    async def all(self, fields: tuple[_Field, ...]) -> dict[str, Any]:
        data = self.object(None, fields)
        while self.pending:
            wave, self.pending = self.pending, []
            results = await asyncio.gather(*(item[0] for item in wave), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            for (_, shape, target, key), result in zip(wave, results, strict=True):
                target[key] = self.complete(result, shape)
        return data

    def object(self, source: Any, fields: tuple[_Field, ...]) -> dict[str, Any]:
        written: dict[str, Any] = {}
        for planned in fields:
            value = planned.read(self, source, planned)
            if isawaitable(value):
                written[planned.key] = None  # keeps the document's order of keys
                self.pending.append((value, planned.shape, written, planned.key))
            else:
                written[planned.key] = self.complete(value, planned.shape)
        return written

    def complete(self, value: Any, shape: tuple[Any, ...]) -> Any:
        kind, inner = shape
        if kind == "non_null":
            if value is None:
                raise _NotCovered  # the executor's error, and the nulls it spreads
            return self.complete(value, inner)
        if value is None:
            return None
        if kind == "leaf":
            written = inner(value)
            if written is None or written is Undefined:
                raise _NotCovered
            return written
        if kind == "list":
            return [self.complete(item, inner) for item in value]
        return self.object(value, inner)

    def abandon(self) -> None:
        """Close the coroutines a wave left unawaited."""
        for item in self.pending:
            close = getattr(item[0], "close", None)
            if close is not None:
                close()
        self.pending = []
