"""A grant as a value, and what it means for one grant to cover another."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hrvault.vocabulary import Action, FieldGroup, Scope


@dataclass(frozen=True, order=True)
class Grant:
    field_group: FieldGroup
    action: Action
    scope: Scope
    include_former: bool = False

    def covers(self, other: Grant) -> bool:
        """Whether holding this grant lets its holder hand ``other`` to someone else, or act
        on someone who holds it (the delegation rule).

        Only a grant for everyone covers another's grant: every other scope is relative to
        its holder ("my department", "my reports"), so the same scope in someone else's
        hands reaches other people. Former employees are covered only if this grant has them.
        """
        if (self.field_group, self.action) != (other.field_group, other.action):
            return False
        if other.include_former and not self.include_former:
            return False
        return self.scope is Scope.ALL


def grants(
    groups: Iterable[FieldGroup],
    actions: Iterable[Action],
    scope: Scope,
    *,
    include_former: bool = False,
) -> frozenset[Grant]:
    """Every combination of the groups and actions, for one scope."""
    actions = tuple(actions)
    return frozenset(Grant(g, a, scope, include_former) for g in groups for a in actions)
