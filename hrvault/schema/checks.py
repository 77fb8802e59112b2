"""Build-time checks: a schema that would serve data without a declared decision fails.

- every root field names exactly one access marker (``Public`` or ``Authenticated``);
- every field of every object type that carries tenant data names its field group;
- every mutation that administers powers (roles, users, integrations, support access)
  declares its delegation: an act the delegation rule checks, or why none is due.
"""

from __future__ import annotations

from collections.abc import Mapping

import strawberry
from graphql import GraphQLObjectType
from strawberry.types.field import StrawberryField

from hrvault.permissions.access import RequiresAbility, is_access_marker
from hrvault.permissions.delegation import Act
from hrvault.schema.delegating import declared_delegation, enforces_delegation
from hrvault.vocabulary import GROUP_METADATA_KEY, Ability, FieldGroup

ADMINISTERING_POWERS = frozenset(
    {
        Ability.MANAGE_ROLES,
        Ability.MANAGE_USERS,
        Ability.MANAGE_INTEGRATIONS,
        Ability.MANAGE_SUPPORT_ACCESS,
    }
)
"""Abilities over other people's powers: every mutation behind one must declare how the
delegation rule applies to it."""


class UndeclaredAccessError(Exception):
    """A field of the schema has no declared permission; the message lists them all."""


def _served_fields(schema: strawberry.Schema) -> list[tuple[str, StrawberryField]]:
    """``(type name, field)`` for every field the GraphQL schema serves (not introspection)."""
    served = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            served.append((name, graphql_field.extensions["strawberry-definition"]))
    return served


def check_declared_access(
    schema: strawberry.Schema,
    *,
    root_types: set[str],
    structural_types: set[str],
    subject_types: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Raise UndeclaredAccessError naming every field without a declared decision.

    On ``subject_types`` (types whose object is one person) every field outside ``basic``
    must also carry the per-person guard of its own group.
    """
    missing: list[str] = []
    for type_name, field in _served_fields(schema):
        where = f"{type_name}.{field.graphql_name or field.python_name}"
        if type_name in root_types:
            markers = [p for p in field.permission_classes if is_access_marker(p)]
            if len(markers) != 1:
                missing.append(
                    f"{where}: needs exactly one access marker"
                    " (Public, Authenticated or requires(...))"
                )
        elif type_name not in structural_types:
            metadata: Mapping[str, object] = field.metadata or {}
            group = metadata.get(GROUP_METADATA_KEY)
            if not isinstance(group, FieldGroup):
                missing.append(f"{where}: needs a field group (metadata=in_group(...))")
            elif type_name in subject_types and group is not FieldGroup.BASIC:
                resolver = field.base_resolver
                guarded = getattr(resolver.wrapped_func, "field_group", None) if resolver else None
                if guarded is not group:
                    missing.append(f"{where}: needs the {group.value} guard (person_field)")
    if missing:
        raise UndeclaredAccessError("fields without a declared permission:\n" + "\n".join(missing))


def _administers_powers(field: StrawberryField) -> bool:
    return any(
        issubclass(p, RequiresAbility) and ADMINISTERING_POWERS & set(p.abilities)
        for p in field.permission_classes
    )


def check_declared_delegation(schema: strawberry.Schema, *, mutation_type: str) -> None:
    """Raise UndeclaredAccessError for a mutation that administers powers without saying
    how the delegation rule applies, or that declares an act without its enforcement."""
    missing: list[str] = []
    graphql_type = schema._schema.type_map.get(mutation_type)
    served = graphql_type.fields if isinstance(graphql_type, GraphQLObjectType) else {}
    for name, graphql_field in served.items():
        field: StrawberryField = graphql_field.extensions["strawberry-definition"]
        where = f"{mutation_type}.{name}"
        declared = declared_delegation(field)
        if declared is None and _administers_powers(field):
            missing.append(f"{where}: administers powers; declare delegation=Act... or Exempt...")
        elif isinstance(declared, Act) and not enforces_delegation(field):
            missing.append(f"{where}: declares {declared.value} but does not enforce it")
    if missing:
        raise UndeclaredAccessError("mutations without their delegation:\n" + "\n".join(missing))
