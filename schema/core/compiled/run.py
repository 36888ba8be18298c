"""One request's walk of a plan."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, GraphQLOutputType, GraphQLSchema
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import is_awaitable
from strawberry.schema import Schema
from strawberry.schema.schema_converter import get_arguments
from strawberry.types.nodes import convert_selections

from domain.core.paging import MAX_PAGE_SIZE
from schema.core.compiled.plan import Field, Steps, Write
from schema.core.context import Context


@dataclass
class _RawInfo:
    """The part of graphql-core's info that strawberry's `selected_fields`,
    schema.core.columns (the field's type) and an abstract type's `resolve_type` (the schema's
    possible types, the field's name) read."""

    field_nodes: list[FieldNode]
    variable_values: VariableValues
    context: Context
    fragments: dict[str, FragmentDefinitionNode]
    return_type: GraphQLOutputType | None
    schema: GraphQLSchema
    field_name: str | None


class _Info:
    """What a covered resolver reads of strawberry's Info: the context, the schema (a node's
    type by its name), and its field's selection (schema.core.asked keys its answers by the
    field's nodes)."""

    def __init__(self, run: Run, planned: Field | None) -> None:
        self.context = run.context
        self.schema = run.schema
        if planned is None:  # a `direct` field's: the context
            self._raw_info = run.raw([], None, None)
        else:  # all the nodes merged, as graphql-core passes them
            name = planned.node.name.value
            self._raw_info = run.raw(list(planned.nodes), planned.definition.type, name)

    @property
    def selected_fields(self) -> list[Any]:
        return convert_selections(self._raw_info, self._raw_info.field_nodes)  # type: ignore[arg-type]


class Run:
    """One request's walk of a plan: values written as they come, async ones a wave at a time."""

    def __init__(
        self,
        context: Context,
        variables: VariableValues,
        schema: Schema,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        self.context = context
        self.variables = variables
        self.schema = schema
        self.fragments = fragments
        self.info = _Info(self, None)
        self.raw_infos: dict[int, _RawInfo] = {}  # by the node's id: a node hashes its subtree
        self.arguments: dict[Field, dict[str, Any]] = {}
        self.pending: list[tuple[Any, Write, dict[str, Any], str]] = []

    def prepare(self, resolved: Iterable[Field]) -> bool:
        """Work out every resolver's arguments as strawberry's resolver wrapper does (its
        conversion into inputs, enums and ids, its extensions' reshaping, the info where the
        resolver asks for it); False when a `first` is out of range or a value does not
        convert (the executor's errors)."""
        for planned in resolved:
            assert planned.resolver is not None
            try:
                values = get_argument_values(planned.definition, planned.node, self.variables)
                first = values.get("first")
                if first is not None and not 0 <= first <= MAX_PAGE_SIZE:
                    return False
                _, self.arguments[planned] = get_arguments(
                    field=planned.resolver,
                    source=None,  # the plan passes each source as `self` (see plan._resolver)
                    info=_Info(self, planned),  # type: ignore[arg-type]
                    kwargs=values,
                    config=self.schema.config,
                    scalar_registry=self.schema.schema_converter.scalar_registry,
                )
            except Exception:  # the executor reports what does not convert, as it words it
                return False
        return True

    async def all(self, steps: Steps) -> dict[str, Any]:
        data = self.object(None, steps)
        while self.pending:
            wave, self.pending = self.pending, []
            results = await asyncio.gather(*(item[0] for item in wave), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            for (_, write, target, key), result in zip(wave, results, strict=True):
                target[key] = write(self, result)
        return data

    def object(self, source: Any, steps: Steps) -> dict[str, Any]:
        written: dict[str, Any] = {}
        for key, get, read, write, resolved, string, planned in steps:
            value = get(source) if get is not None else read(self, source, planned)
            if string and type(value) is str:
                written[key] = value
            elif resolved and is_awaitable(value):
                written[key] = None  # keeps the document's order of keys
                self.pending.append((value, write, written, key))
            else:
                written[key] = write(self, value)
        return written

    def raw_info(self, node: FieldNode, returns: GraphQLOutputType) -> Any:
        """graphql-core's info of a field whose type is an interface or a union, as that
        type's `resolve_type` and its possible types' `is_type_of` read it."""
        key = id(node)
        if key not in self.raw_infos:
            self.raw_infos[key] = self.raw([node], returns, node.name.value)
        return self.raw_infos[key]

    def raw(
        self, nodes: list[FieldNode], returns: GraphQLOutputType | None, name: str | None
    ) -> _RawInfo:
        """graphql-core's info of these nodes in this request."""
        return _RawInfo(
            nodes, self.variables, self.context, self.fragments, returns, self.schema._schema, name
        )

    def abandon(self) -> None:
        """Close the coroutines a wave left unawaited."""
        for item in self.pending:
            close = getattr(item[0], "close", None)
            if close is not None:
                close()
        self.pending = []
