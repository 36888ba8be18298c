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
tests/schema/core/test_compiled.py holds the plan's answers to the executor's, byte for byte,
for random documents over random data and callers. GROUPCOVER_COMPILED_READS=false turns it off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

from graphql import DocumentNode, GraphQLSchema
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import get_variable_values
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import SchemaExtension

from schema.core.compiled.plan import COVERED, NotCovered, Plan, compile_plan
from schema.core.compiled.run import Run
from schema.core.context import Context

__all__ = ["COVERED", "CompiledReads", "Plans", "answer"]
CACHED_PLANS = 1000


class Plans:
    """The plans of the documents seen, by text and operation name (None: not covered)."""

    def __init__(self) -> None:
        self.plans: dict[tuple[str, str | None], Plan | None] = {}

    def plan(self, schema: GraphQLSchema, document: DocumentNode, key: Any) -> Plan | None:
        if key not in self.plans:
            if len(self.plans) >= CACHED_PLANS:
                del self.plans[next(iter(self.plans))]
            try:
                self.plans[key] = compile_plan(schema, document, key[1])
            except NotCovered:
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
    plan: Plan, schema: GraphQLSchema, context: Context, variables: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The plan's answer for this caller and these variables; None when it declines."""
    if not all(context.access.allows(need) for need in plan.needs):
        return None
    definitions = plan.operation.variable_definitions or ()
    coerced = get_variable_values(schema, definitions, variables or {})
    if isinstance(coerced, list):  # the executor reports variables that do not coerce
        return None
    run = Run(context, coerced, schema._strawberry_schema)  # type: ignore[attr-defined]
    if not run.prepare(plan.resolved):
        return None
    try:
        return await run.all(plan.fields)
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
