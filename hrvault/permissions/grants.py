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
        """Whether holding this grant means holding ``other`` too (used against escalation).

        ``all`` covers every scope; ``all_reports`` covers ``direct_reports``; otherwise a
        scope covers only itself. Former employees are covered only if this grant has them.
        """
        if (self.field_group, self.action) != (other.field_group, other.action):
            return False
        if other.include_former and not self.include_former:
            return False
        return (
            self.scope is Scope.ALL
            or self.scope is other.scope
            or (self.scope is Scope.ALL_REPORTS and other.scope is Scope.DIRECT_REPORTS)
        )


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
