"""The one place that decides: a viewer's grants compiled once per request.

Nothing is cached between requests, so a change to roles, grants or memberships applies
to the very next request. Per-row answers are memoised within the request, so checking a
field is a dictionary look-up, never a query.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from sqlalchemy import ColumnElement, and_, false, or_, true

from hrvault.models import Employee, EmployeeStatus
from hrvault.permissions.grants import Grant
from hrvault.permissions.relations import Relations
from hrvault.vocabulary import PERSON_GROUPS, Ability, Action, FieldGroup, Scope


class Subject(Protocol):
    """The person a piece of data is about."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def status(self) -> EmployeeStatus: ...


@dataclass(frozen=True)
class GrantSource:
    """One grant and the role it came from: the 'why' of an allowed decision."""

    role_id: uuid.UUID
    role_name: str
    grant: Grant


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    granted_by: tuple[GrantSource, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


class Reach(NamedTuple):
    """How the viewer reaches one person: all that a decision about them depends on."""

    scopes: frozenset[Scope]
    former: bool


def _is_former(subject: Subject) -> bool:
    return subject.status is EmployeeStatus.TERMINATED


class Policy:
    def __init__(
        self,
        sources: Iterable[GrantSource],
        abilities: Iterable[tuple[Ability, str]],
        relations: Relations,
    ) -> None:
        self.relations = relations
        self.sources = tuple(sources)
        by_action: dict[tuple[FieldGroup, Action], list[GrantSource]] = defaultdict(list)
        for source in self.sources:
            by_action[(source.grant.field_group, source.grant.action)].append(source)
        self._by_action = {key: tuple(value) for key, value in by_action.items()}
        ability_roles: dict[Ability, list[str]] = defaultdict(list)
        for ability, role_name in abilities:
            ability_roles[ability].append(role_name)
        self.ability_roles = {a: tuple(names) for a, names in ability_roles.items()}
        self._visible: dict[uuid.UUID, frozenset[FieldGroup]] = {}
        self._visible_by_reach: dict[Reach, frozenset[FieldGroup]] = {}

    @property
    def abilities(self) -> frozenset[Ability]:
        return frozenset(self.ability_roles)

    def has_ability(self, *abilities: Ability) -> bool:
        """True when the viewer holds any of the abilities."""
        return any(a in self.ability_roles for a in abilities)

    def decide(self, subject: Subject, group: FieldGroup, action: Action) -> Decision:
        reaching = self.relations.scopes_reaching(subject)
        former = _is_former(subject)
        granted = tuple(
            source
            for source in self._by_action.get((group, action), ())
            if source.grant.scope in reaching and (source.grant.include_former or not former)
        )
        if granted:
            return Decision(True, "granted", granted)
        if not self._by_action.get((group, action)):
            return Decision(False, f"no role grants {action.value} on {group.value}")
        who = "this former employee" if former else "this person"
        return Decision(False, f"no grant of {action.value} on {group.value} reaches {who}")

    def allows(self, subject: Subject, group: FieldGroup, action: Action) -> bool:
        reach = Reach(self.relations.scopes_reaching(subject), _is_former(subject))
        return self._allows(reach, group, action)

    def _allows(self, reach: Reach, group: FieldGroup, action: Action) -> bool:
        return any(
            source.grant.scope in reach.scopes and (source.grant.include_former or not reach.former)
            for source in self._by_action.get((group, action), ())
        )

    def can_see(self, subject: Subject, group: FieldGroup) -> bool:
        """Whether ``group`` of this person may be shown; computed once per person.

        What a viewer may see of someone depends only on how the viewer reaches them and
        whether they are a former employee, so the groups are worked out once per such
        reach (a page of a hundred people usually has one or two), not once per person.
        """
        visible = self._visible.get(subject.id)
        if visible is None:
            reach = Reach(self.relations.scopes_reaching(subject), _is_former(subject))
            visible = self._visible_by_reach.get(reach)
            if visible is None:
                visible = frozenset(g for g in PERSON_GROUPS if self._allows(reach, g, Action.SEE))
                self._visible_by_reach[reach] = visible
            self._visible[subject.id] = visible
        return group in visible

    def grants_anyone(self, group: FieldGroup, action: Action) -> bool:
        return bool(self._by_action.get((group, action)))

    def holds(self, wanted: Grant) -> bool:
        """Whether one of the viewer's own grants covers ``wanted`` in someone else's hands
        (``Grant.covers``: the delegation rule)."""
        return any(source.grant.covers(wanted) for source in self.sources)

    def reach_filter(self, group: FieldGroup, action: Action) -> ColumnElement[bool]:
        """SQL condition on ``employees`` for the people this grant set reaches."""
        clauses = []
        for source in self._by_action.get((group, action), ()):
            reach = self._scope_clause(source.grant.scope)
            if reach is None:
                continue
            if not source.grant.include_former:
                reach = and_(reach, Employee.status != EmployeeStatus.TERMINATED)
            clauses.append(reach)
        return or_(*clauses) if clauses else false()

    def _scope_clause(self, scope: Scope) -> ColumnElement[bool] | None:
        if scope is Scope.ALL:
            return true()
        return self.relations.scope_clause(scope)
