"""The operation a plan answers, and what of its document the plan depends on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    get_operation_ast,
    visit,
)
from graphql.execution.collect_fields import FragmentDetails


class NotCovered(Exception):
    """The document, or this request of it, is the executor's to answer."""


@dataclass(frozen=True)
class Operation:
    """A document's query and its fragments, and the variables its @skip and @include read:
    which fields are selected, so the plan, depends on their values."""

    node: OperationDefinitionNode
    fragments: dict[str, FragmentDetails]
    switches: tuple[str, ...]


SWITCHES = frozenset({"skip", "include"})


def operation_of(document: DocumentNode, name: str | None) -> Operation:
    """The query a plan would answer; NotCovered for another operation, a directive other
    than @skip and @include (@defer), or a fragment with variables of its own."""
    operation = get_operation_ast(document, name)
    if operation is None or operation.operation != OperationType.QUERY:
        raise NotCovered
    fragments: dict[str, FragmentDetails] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                raise NotCovered
            fragments[definition.name.value] = FragmentDetails(definition)
    directives = _Directives()
    visit(document, directives)
    if any(directive.name.value not in SWITCHES for directive in directives.found):
        raise NotCovered
    switches = (
        argument.value.name.value
        for directive in directives.found
        for argument in directive.arguments or ()
        if isinstance(argument.value, VariableNode)
    )
    return Operation(operation, fragments, tuple(dict.fromkeys(switches)))


class _Directives(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[DirectiveNode] = []

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.found.append(node)
