"""Compiled reads: a covered read-only document answered without graphql-core's field machinery.

graphql-core and strawberry cost about 5 us a field (an Info, middleware, extensions, awaitable
checks, the argument conversion): bench.load's nested query has 11,400 fields, and 46% of its
CPU went there (py-spy, issue 21). For a query this module covers, a plan is made once per
document and values of the variables its @skip and @include read (kept like the parser's
cache) and each request walks it: the resolvers the schema
declares are called directly (so reach, row filters, SQL and loaders stay one implementation),
plain and `direct` fields read by the functions graphql-core would call, leaves serialized by
the schema's own scalars and enums. Async results are gathered a wave at a time, as graphql-core
gathers them, so loaders batch the same keys into the same statements.

What a plan covers is narrow on purpose, and anything else runs the normal executor:
- a query (no mutation, subscription), its selections collected by graphql-core's own
  collect_fields: fragments (named or inline, on the type itself or on `Node`), @skip and
  @include, and a key asked twice (its nodes merged, the first one's arguments) mean what they
  mean to the executor, and the answer's keys come in its order. No other directive (@defer),
  no fragment with variables of its own;
- fields that read an attribute (graphql-core's default resolver, or `schema.core.direct`),
  `id`, `__typename`, and the resolvers in `COVERED`, with only the arguments named there;
  an interface or a union (`node(id:)`) has its selection planned for each possible type,
  and its runtime type resolved as graphql-core resolves it.
A request then declines, and the executor answers it, when:
- the caller lacks a need of any selected field (the executor's FORBIDDEN errors and nulls are
  its own: a plan never writes an error), a `first` is out of range, or an argument does
  not convert;
- anything raises or a non-null field meets a null: what was loaded is dropped (fresh loaders),
  and the executor starts over, so such a request may send its statements twice.
A resolver's arguments are converted once a request by strawberry's own get_arguments, as its
resolver wrapper converts them: a filter reaches it as strawberry's input object.
A plan calls no graphql-core middleware: where requests are traced (api.traces spans async
resolvers), the app leaves plans off.
tests/schema/core/test_compiled_oracle.py holds the plan's answers to the executor's, byte for
byte, for random documents over random data and callers. GROUPCOVER_COMPILED_READS=false turns
it off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from typing import Any, TypeVar

from graphql import DocumentNode, GraphQLSchema, Undefined
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import VariableValues, get_variable_values
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import SchemaExtension
from strawberry.schema import Schema

from schema.core.compiled.operation import NotCovered, Operation, operation_of
from schema.core.compiled.plan import COVERED, Plan, compile_plan
from schema.core.compiled.run import Run
from schema.core.context import Context

__all__ = ["COVERED", "CompiledReads", "Plans", "answer"]
CACHED_PLANS = 1000


class Plans:
    """The documents seen, by text and operation name, and their plans by the values of the
    variables their @skip and @include read (None: not covered); each cache is bounded."""

    def __init__(self) -> None:
        self.operations: dict[tuple[str, str | None], Operation | None] = {}
        self.plans: dict[tuple[str, str | None, tuple[Any, ...]], Plan | None] = {}

    def plan(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        key: tuple[str, str | None],
        variables: dict[str, Any] | None,
    ) -> tuple[Plan, VariableValues] | None:
        """The request's plan and its coerced variables; None when the executor answers."""
        operation = _kept(self.operations, key, lambda: operation_of(document, key[1]))
        if operation is None:
            return None
        definitions = operation.node.variable_definitions or ()
        coerced = get_variable_values(schema, definitions, variables or {})
        if isinstance(coerced, list):  # the executor reports variables that do not coerce
            return None
        switched = (*key, tuple(coerced.coerced.get(n, Undefined) for n in operation.switches))
        plan = _kept(self.plans, switched, lambda: compile_plan(schema, operation, coerced))
        return None if plan is None else (plan, coerced)


Kept = TypeVar("Kept")


def _kept(cache: dict[Any, Kept | None], key: Any, make: Callable[[], Kept]) -> Kept | None:
    """The cached value for the key, made (None if not covered) when missing; the oldest
    goes when the cache is full."""
    if key not in cache:
        if len(cache) >= CACHED_PLANS:
            del cache[next(iter(cache))]
        try:
            cache[key] = make()
        except NotCovered:
            cache[key] = None
    return cache[key]


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
            key = (context.query, context.operation_name)
            found = self.plans.plan(schema, context.graphql_document, key, context.variables)
            if found is not None:
                data = await answer(*found, context.context, context.schema)
                if data is not None:
                    context.result = GraphQLExecutionResult(data=data)
        yield


async def answer(
    plan: Plan, variables: VariableValues, context: Context, schema: Schema
) -> dict[str, Any] | None:
    """The plan's answer for this caller and these variables; None when it declines."""
    if not all(context.access.allows(need) for need in plan.needs):
        return None
    run = Run(context, variables, schema, plan.fragments)
    if not run.prepare(plan.resolved):
        return None
    try:
        return await run.all(plan.steps)
    except Exception as error:
        run.abandon()
        context.reset_loaders()  # the executor starts afresh, with nothing half-loaded
        if isinstance(error, DBAPIError):
            await _rolled_back(context)
        return None


async def _rolled_back(context: Context) -> None:
    """End a transaction a failed statement spoilt (PostgreSQL refuses every later one), so
    that the executor meets the failure itself; a query has written nothing to lose."""
    with suppress(DBAPIError):  # the database is gone: the executor will say so
        await context.session.rollback()
