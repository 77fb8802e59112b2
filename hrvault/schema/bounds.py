"""How many items a list field returns at most: declared once per field, read by the cost
meter, enforced by the executor.

A list sized by the data rather than by the request would let one small document ask for
the whole company (a manager/directReports cycle within the depth limit returned 9 MB).
So every list field of the schema declares its bound in its metadata, one of:

- ``capped(n)``: never more than ``n`` items; a field that had more answers the first
  ``n`` and lists its path under ``extensions.truncated``;
- ``paged()``: the field takes ``first:`` and returns at most that many, never more than
  the page size setting (``HRVAULT_MAX_PAGE_SIZE``);
- ``page_items()``: the items of a page (``edges``, ``nodes``) whose connection field
  declared ``paged()`` and was counted there.

The meter multiplies everything under a list by its bound; a schema holding a list field
without a bound does not build (:func:`list_bounds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
)

BOUND_METADATA_KEY = "hrvault.list_bound"
PAGE_SIZE_ARGUMENT = "first"


@dataclass(frozen=True)
class ListBound:
    most: int | None = None
    """Items at most; None: the page size, which the request asks for (``first:``)."""
    counted_by_page: bool = False
    """The items of a page: the connection field above counted them."""

    def largest(self, max_page_size: int) -> int:
        """The most items the list may ever hold."""
        return max_page_size if self.most is None else self.most


def capped(most: int) -> dict[str, Any]:
    """Metadata for a list of at most ``most`` items."""
    if most < 1:
        raise ValueError(f"a list cap must be positive, got {most}")
    return {BOUND_METADATA_KEY: ListBound(most=most)}


def paged() -> dict[str, Any]:
    """Metadata for a field that takes ``first:`` (at most the page size setting)."""
    return {BOUND_METADATA_KEY: ListBound()}


def page_items() -> dict[str, Any]:
    """Metadata for the items of a page counted by its ``paged()`` connection field."""
    return {BOUND_METADATA_KEY: ListBound(counted_by_page=True)}


def cap_note(most: int) -> str:
    """The sentence a capped field's description ends with."""
    return f"At most {most}; a longer list is cut and its path listed in `extensions.truncated`."


Bounds = Mapping[tuple[str, str], ListBound]
"""``(type name, field name)`` -> the field's bound, for every list or paged field."""


class UnboundedListError(Exception):
    """A list field of the schema declares no bound; the message lists them all."""


def _is_list(field_type: GraphQLOutputType) -> bool:
    unwrapped = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    return isinstance(unwrapped, GraphQLList)


def list_bounds(schema: strawberry.Schema) -> Bounds:
    """Every list field's bound; raise UnboundedListError if any list has none (and for a
    field that takes ``first:`` without declaring ``paged()``: its bound is the page)."""
    bounds: dict[tuple[str, str], ListBound] = {}
    missing: list[str] = []
    for type_name, graphql_type in schema._schema.type_map.items():
        if type_name.startswith("__") or not isinstance(
            graphql_type, (GraphQLObjectType, GraphQLInterfaceType)
        ):
            continue
        for field_name, graphql_field in graphql_type.fields.items():
            definition = graphql_field.extensions.get("strawberry-definition")
            metadata: Mapping[str, object] = getattr(definition, "metadata", None) or {}
            bound = metadata.get(BOUND_METADATA_KEY)
            takes_page = PAGE_SIZE_ARGUMENT in graphql_field.args
            if isinstance(bound, ListBound):
                if takes_page and bound.most is not None:
                    missing.append(f"{type_name}.{field_name}: takes `first:`, so paged()")
                if bound == ListBound() and not takes_page:
                    missing.append(f"{type_name}.{field_name}: paged() without `first:`")
                bounds[(type_name, field_name)] = bound
            elif _is_list(graphql_field.type) or takes_page:
                missing.append(f"{type_name}.{field_name}: capped(n), paged() or page_items()")
    if missing:
        raise UnboundedListError("list fields without a bound:\n" + "\n".join(missing))
    return bounds
