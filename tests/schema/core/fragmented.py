"""A document rewritten the ways clients write one, for the compiled reads' oracle test.

Apollo and Relay portals and the mobile app send fragments and ask fields such as `id` twice.
`rewritten` takes a document of fields only and, at random, at every level: asks a field
twice under its key, its selection split between the two; puts @skip or @include on a field
or a fragment, literal or by a Boolean variable; and wraps runs of selections in fragments,
named or inline, on the type itself, without a type, or on `Node` (holding one on the type,
and one on a type the object is not, which graphql-core leaves out). The result stays valid:
a key's copies have the same arguments, and every fragment is used.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    parse,
    print_ast,
)
from hypothesis import strategies as st

SWITCHES = ("on", "off")
"""The Boolean variables a directive may read; each document gives those it uses a value."""
DIRECTIVES: tuple[tuple[str, bool | str] | None, ...] = (
    *([None] * 20),
    ("skip", True),
    ("skip", False),
    ("include", True),
    ("include", False),
    *(("skip", switch) for switch in SWITCHES),
    *(("include", switch) for switch in SWITCHES),
)
Parent = GraphQLObjectType | GraphQLInterfaceType
"""A selection's type: an object, or an interface (`node(id:)` returns Node)."""
WRAPS = ("none", "none", "none", "inline", "untyped", "node", "named", "named node", "twice")


class Rewrite:
    """One document's rewrite: the fragments it defines and the switches it reads."""

    def __init__(self, draw: Any, schema: GraphQLSchema) -> None:
        self.draw = draw
        self.schema = schema
        self.fragments: list[FragmentDefinitionNode] = []
        self.switches: dict[str, bool] = {}

    def selection(self, parent: Parent, selection: SelectionSetNode) -> SelectionSetNode:
        fields: list[SelectionNode] = []
        for node in selection.selections:
            assert isinstance(node, FieldNode)
            below = node.selection_set
            if below is not None:
                below = self.selection(self._type_of(parent, node), below)
            first, *again = self._copies(node, below)
            fields.append(first)
            for copy in again:  # anywhere: the key's place is its first node's
                fields.insert(self.draw(st.integers(0, len(fields))), copy)
        return SelectionSetNode(selections=tuple(self._wrapped(parent, fields)))

    def _type_of(self, parent: Parent, node: FieldNode) -> Parent:
        type_ = get_named_type(parent.fields[node.name.value].type)
        assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)  # `node` is Node
        return type_

    def _copies(self, node: FieldNode, below: SelectionSetNode | None) -> list[FieldNode]:
        """The field, perhaps twice, a copy with part of its selection (all of it at least
        once between the two)."""
        parts: list[tuple[SelectionNode, ...] | None] = [below.selections if below else None]
        if self.draw(st.integers(0, 3)) == 0:
            parts = [None, None] if below is None else self._split(below.selections)
        return [
            FieldNode(
                alias=node.alias,
                name=node.name,
                arguments=node.arguments,
                directives=self._directives(),
                selection_set=None if part is None else SelectionSetNode(selections=part),
            )
            for part in parts
        ]

    def _split(
        self, selections: tuple[SelectionNode, ...]
    ) -> list[tuple[SelectionNode, ...] | None]:
        sides = [self.draw(st.sampled_from((0, 1, 2))) for _ in selections]
        sides[0] = 2 if len(selections) == 1 else sides[0]
        first = tuple(s for s, side in zip(selections, sides, strict=True) if side != 1)
        second = tuple(s for s, side in zip(selections, sides, strict=True) if side != 0)
        return [first or selections[:1], second or selections[-1:]]

    def _directives(self) -> tuple[DirectiveNode, ...]:
        drawn = self.draw(st.sampled_from(DIRECTIVES))
        if drawn is None:
            return ()
        name, condition = drawn
        if isinstance(condition, bool):
            value: Any = BooleanValueNode(value=condition)
        else:
            self.switches.setdefault(condition, self.draw(st.booleans()))
            value = VariableNode(name=NameNode(value=condition))
        argument = ArgumentNode(name=NameNode(value="if"), value=value)
        return (DirectiveNode(name=NameNode(value=name), arguments=(argument,)),)

    def _wrapped(self, parent: Parent, fields: list[SelectionNode]) -> list[Any]:
        """Runs of the selections, each as it is or in a fragment."""
        runs: list[list[SelectionNode]] = []
        for field in fields:
            if not runs or self.draw(st.booleans()):
                runs.append([])
            runs[-1].append(field)
        out: list[Any] = []
        for run in runs:
            out.extend(self._wrap(parent, run, self.draw(st.sampled_from(WRAPS))))
        return out

    def _wrap(self, parent: Parent, run: list[SelectionNode], how: str) -> list[Any]:
        node = any(i.name == "Node" for i in parent.interfaces)
        if how == "none" or (how in ("node", "named node") and not node):
            return run
        inner = SelectionSetNode(selections=tuple(run))
        if how in ("node", "named node"):
            inner = SelectionSetNode(
                selections=(self._inline(parent.name, inner), _elsewhere(parent))
            )
        on = "Node" if how in ("node", "named node") else parent.name
        if how == "untyped":
            return [InlineFragmentNode(directives=self._directives(), selection_set=inner)]
        if how in ("inline", "node"):
            return [self._inline(on, inner)]
        name = f"F{len(self.fragments)}"
        self.fragments.append(
            FragmentDefinitionNode(
                name=NameNode(value=name),
                type_condition=_named(on),
                directives=(),
                selection_set=inner,
            )
        )
        spreads = 2 if how == "twice" else 1
        return [
            FragmentSpreadNode(name=NameNode(value=name), directives=self._directives())
            for _ in range(spreads)
        ]

    def _inline(self, on: str, inner: SelectionSetNode) -> InlineFragmentNode:
        return InlineFragmentNode(
            type_condition=_named(on), directives=self._directives(), selection_set=inner
        )


def _named(name: str) -> NamedTypeNode:
    return NamedTypeNode(name=NameNode(value=name))


def _elsewhere(parent: Parent) -> InlineFragmentNode:
    """A fragment on another type of `Node`: valid within `... on Node`, never collected."""
    other, field = ("GroupClient", "code") if parent.name == "Policy" else ("Policy", "number")
    asked = FieldNode(name=NameNode(value=field), arguments=(), directives=())
    return InlineFragmentNode(
        type_condition=_named(other),
        directives=(),
        selection_set=SelectionSetNode(selections=(asked,)),
    )


def rewritten(draw: Any, schema: GraphQLSchema, query: str) -> tuple[str, dict[str, bool]]:
    """The query as a client may write it, and the values of the switches it reads."""
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    root = schema.query_type
    assert root is not None
    rewrite = Rewrite(draw, schema)
    selection = rewrite.selection(root, operation.selection_set)
    switches = tuple(
        VariableDefinitionNode(
            variable=VariableNode(name=NameNode(value=name)),
            type=NonNullTypeNode(type=_named("Boolean")),
            directives=(),
        )
        for name in rewrite.switches
    )
    written = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=(*(operation.variable_definitions or ()), *switches),
        directives=(),
        selection_set=selection,
    )
    document = DocumentNode(definitions=(written, *rewrite.fragments))
    return print_ast(document), rewrite.switches
