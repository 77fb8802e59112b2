"""How big a GraphQL operation is: depth, aliases, directives, credential fields and cost.

Each fragment is measured once and its measure reused wherever it is spread, so the
work is linear in the size of the document even when fragments spread other fragments
many times over (a "fragment bomb" that makes naive counters exponential). The measure
itself still counts every use: ten spreads of a fragment with two aliases are twenty.
Unknown fragments and cycles of fragments count as nothing here; the standard
validation rules report them.

Introspection (``__schema``, ``__type``, ``__typename``) reads the schema in memory,
not the database, and is switched off in production: it costs nothing, and in depth
the ``ofType`` chains (one object per wrapper, as in ``[Employee!]!``) do not count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from hrvault.schema.bounds import PAGE_SIZE_ARGUMENT, Bounds, ListBound


@dataclass(frozen=True)
class Shape:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    credential_fields: int = 0
    """Credential root fields (login, …) among the operation's own root fields."""

    def beside(self, other: Shape) -> Shape:
        return Shape(
            depth=max(self.depth, other.depth),
            aliases=self.aliases + other.aliases,
            directives=self.directives + other.directives,
            credential_fields=self.credential_fields + other.credential_fields,
        )


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _count(nodes: Sequence[object] | None) -> int:
    return len(nodes or ())


def _is_introspection(name: str) -> bool:
    return name.startswith("__")


class ShapeMeter:
    """Measures the shape of the operations of one document."""

    def __init__(self, document: DocumentNode, credential_fields: frozenset[str]) -> None:
        self._fragments = fragments_of(document)
        self._credential_fields = credential_fields
        self._known: dict[tuple[str, bool, bool], Shape] = {}

    def operation(self, operation: OperationDefinitionNode) -> Shape:
        own = Shape(
            directives=_count(operation.directives)
            + sum(_count(v.directives) for v in operation.variable_definitions or ())
        )
        return own.beside(self._selections(operation.selection_set, root=True, inside=False))

    def _selections(self, selections: SelectionSetNode, *, root: bool, inside: bool) -> Shape:
        """``root``: these are the operation's root fields; ``inside``: under introspection."""
        shape = Shape()
        for node in selections.selections:
            if isinstance(node, FieldNode):
                shape = shape.beside(self._field(node, root=root, inside=inside))
            elif isinstance(node, InlineFragmentNode):
                shape = shape.beside(Shape(directives=_count(node.directives)))
                shape = shape.beside(self._selections(node.selection_set, root=root, inside=inside))
            elif isinstance(node, FragmentSpreadNode):
                shape = shape.beside(Shape(directives=_count(node.directives)))
                shape = shape.beside(self._fragment(node.name.value, root=root, inside=inside))
        return shape

    def _field(self, node: FieldNode, *, root: bool, inside: bool) -> Shape:
        name = node.name.value
        own = Shape(
            aliases=1 if node.alias else 0,
            directives=_count(node.directives),
            credential_fields=1 if root and name in self._credential_fields else 0,
        )
        if node.selection_set is None:
            return own
        below = self._selections(
            node.selection_set, root=False, inside=inside or _is_introspection(name)
        )
        level = 0 if inside and name == "ofType" else 1
        return Shape(
            depth=level + below.depth,
            aliases=own.aliases + below.aliases,
            directives=own.directives + below.directives,
            credential_fields=own.credential_fields,
        )

    def _fragment(self, name: str, *, root: bool, inside: bool) -> Shape:
        key = (name, root, inside)
        if key in self._known:
            return self._known[key]
        fragment = self._fragments.get(name)
        if fragment is None:
            return Shape()
        self._known[key] = Shape()  # a cycle back to this fragment adds nothing
        shape = Shape(directives=_count(fragment.directives)).beside(
            self._selections(fragment.selection_set, root=root, inside=inside)
        )
        self._known[key] = shape
        return shape


class CostMeter:
    """The cost of one operation: one per field asked for, with everything under a list
    multiplied by the most items that list can hold (its declared bound, see ``bounds``).

    A paged field's bound is the page size asked for (a literal or a variable), else the
    argument's default, capped at the largest page a list serves; a capped list's bound
    is its cap; the items of a page were counted by their connection field. Fragments,
    inline fragments and aliases count wherever they are used.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        *,
        bounds: Bounds,
        max_page_size: int,
    ) -> None:
        self._schema = schema
        self._bounds = bounds
        self._fragments = fragments_of(document)
        self._variables = variables
        self._defaults = {
            v.variable.name.value: v.default_value for v in operation.variable_definitions or ()
        }
        self._max_page_size = max_page_size
        self._known: dict[str, int] = {}
        self._operation = operation

    def total(self) -> int:
        root = self._schema.get_root_type(self._operation.operation)
        return self._selections(self._operation.selection_set, root)

    def _selections(self, selections: SelectionSetNode, parent: GraphQLNamedType | None) -> int:
        cost = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                cost += self._field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                scope = self._schema.get_type(condition.name.value) if condition else parent
                cost += self._selections(node.selection_set, scope)
            elif isinstance(node, FragmentSpreadNode):
                cost += self._fragment(node.name.value)
        return cost

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        name = node.name.value
        if _is_introspection(name):
            return 0
        definition = None
        bound = None
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            definition = parent.fields.get(name)
            bound = self._bounds.get((parent.name, name))
        if node.selection_set is None:
            return 1
        child = get_named_type(definition.type) if definition else None
        below = self._selections(node.selection_set, child)
        return 1 + self._items(node, bound, definition) * below

    def _items(self, node: FieldNode, bound: ListBound | None, definition: Any) -> int:
        """How many times the selection under ``node`` runs at most."""
        if bound is None or bound.counted_by_page:
            return 1
        if bound.most is not None:
            return bound.most
        argument = definition.args.get(PAGE_SIZE_ARGUMENT) if definition else None
        default = argument.default_value if argument is not None else None
        return self._page_size(node, default)

    def _page_size(self, node: FieldNode, default: Any) -> int:
        requested: Any = default
        for argument in node.arguments or ():
            if argument.name.value != PAGE_SIZE_ARGUMENT:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                requested = int(value.value)
            elif isinstance(value, VariableNode):
                requested = self._variable(value.name.value, default)
            else:
                requested = None
        if not isinstance(requested, int) or isinstance(requested, bool):
            return self._max_page_size  # not a number: execution refuses it anyway
        return max(0, min(requested, self._max_page_size))

    def _variable(self, name: str, argument_default: Any) -> Any:
        """The variable's value, else its own default, else the argument's default."""
        if name in self._variables:
            return self._variables[name]
        default = self._defaults.get(name)
        return int(default.value) if isinstance(default, IntValueNode) else argument_default

    def _fragment(self, name: str) -> int:
        if name in self._known:
            return self._known[name]
        fragment = self._fragments.get(name)
        if fragment is None:
            return 0
        self._known[name] = 0  # a cycle back to this fragment adds nothing
        scope = self._schema.get_type(fragment.type_condition.name.value)
        self._known[name] = self._selections(fragment.selection_set, scope)
        return self._known[name]
