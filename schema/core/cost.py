"""What a query costs before it runs: the most objects its answer may hold.

After GitHub's and Shopify's GraphQL APIs. Every field that returns an object counts 1 for
each time it may appear; a connection multiplies what its `edges` hold by its `first` (the
default page size without one), and a plain list multiplies what it holds by the bound
declared where it is defined (`strawberry.field(metadata=bound(n))`), or by `DEFAULT_BOUND`.
Scalar fields cost nothing of their own: an answer's work is in the rows it loads. Fragments
count where they are spread, each branch of an abstract type in full (an upper bound), and
introspection (`__schema`, `__typename`) is free: production refuses it anyway.

The cost is an upper bound from the document alone, never a count of rows: a tree that asks
`children(first: 100)` five levels deep is charged for 100^5 clients even when it has 3 each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry import relay
from strawberry.schema.schema_converter import GraphQLCoreConverter

from domain.core.paging import MAX_PAGE_SIZE

DEFAULT_BOUND = MAX_PAGE_SIZE
"""How many items a list without a declared bound is taken to hold: as many as a page."""
_BOUND = "groupcover.cost.bound"


def bound(items: int) -> dict[str, int]:
    """The metadata of a list field that holds at most about `items` items, for its cost."""
    return {_BOUND: items}


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation a request runs (0 when the document names no such one)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    if len(chosen) != 1:
        return 0
    operation = chosen[0]
    counter = _Counter(schema, document, operation, variables or {})
    root = schema.get_root_type(operation.operation)
    return counter.selections(operation.selection_set, root)


class _Counter:
    """Walks one operation; a fragment's cost is reckoned once per page size it is spread in."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.defaults = {
            v.variable.name.value: value_from_ast_untyped(v.default_value)
            for v in operation.variable_definitions or ()
            if v.default_value is not None
        }
        self.variables = variables
        self.known: dict[tuple[str, int | None], int] = {}

    def selections(
        self, selection_set: SelectionSetNode, parent: Any, page: int | None = None
    ) -> int:
        """The cost of a selection on `parent`; `page` is its connection's page size."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                on = selection.type_condition
                inner = self.schema.get_type(on.name.value) if on else parent
                total += self.selections(selection.selection_set, inner, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, page)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.known:
            fragment = self.fragments.get(name)
            if fragment is None:
                return 0
            on = self.schema.get_type(fragment.type_condition.name.value)
            self.known[key] = self.selections(fragment.selection_set, on, page)
        return self.known[key]

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        name = node.name.value
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None or node.selection_set is None or name.startswith("__"):
            return 0
        inner = get_named_type(definition.type)
        if page is not None and name == "edges":
            times = page
        elif _is_list(definition.type):
            times = _declared_bound(definition)
        else:
            times = 1
        inner_page = self.page_size(node) if _is_connection(inner) else None
        return 1 + times * self.selections(node.selection_set, inner, inner_page)

    def page_size(self, node: FieldNode) -> int:
        """The `first` (or `last`) a connection field asks for, within 0..MAX_PAGE_SIZE."""
        for argument in node.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            value: Any = argument.value
            if isinstance(value, VariableNode):
                name = value.name.value
                value = self.variables.get(name, self.defaults.get(name))
            elif isinstance(value, IntValueNode):
                value = int(value.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return min(max(value, 0), MAX_PAGE_SIZE)
        return MAX_PAGE_SIZE


def _is_list(graphql_type: Any) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


def _declared_bound(definition: Any) -> int:
    field = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata = getattr(field, "metadata", None) or {}
    return int(metadata.get(_BOUND, DEFAULT_BOUND))


def _is_connection(graphql_type: Any) -> bool:
    if not isinstance(graphql_type, GraphQLObjectType):
        return False
    definition = (graphql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    return isinstance(origin, type) and issubclass(origin, relay.Connection)
