"""Shared pieces of the object types."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypeVar

import strawberry

from hrvault.errors import bad_input
from hrvault.models import AbsenceStatus, EmployeeStatus, EmploymentType
from hrvault.models.enums import ExtraPayKind, Gender, PayFrequency, PayPeriod
from hrvault.permissions.guard import guard_resolver
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import Ability, Action, FieldGroup, Scope, in_group

Info: TypeAlias = strawberry.Info[RequestContext, None]

EmployeeStatusEnum = strawberry.enum(EmployeeStatus, name="EmployeeStatus")
EmploymentTypeEnum = strawberry.enum(EmploymentType, name="EmploymentType")
AbsenceStatusEnum = strawberry.enum(AbsenceStatus, name="AbsenceStatus")
GenderEnum = strawberry.enum(Gender, name="Gender")
PayPeriodEnum = strawberry.enum(PayPeriod, name="PayPeriod")
PayFrequencyEnum = strawberry.enum(PayFrequency, name="PayFrequency")
ExtraPayKindEnum = strawberry.enum(ExtraPayKind, name="ExtraPayKind")
FieldGroupEnum = strawberry.enum(FieldGroup, name="FieldGroup")
ActionEnum = strawberry.enum(Action, name="Action")
ScopeEnum = strawberry.enum(Scope, name="Scope")
AbilityEnum = strawberry.enum(Ability, name="Ability")

BASIC = in_group(FieldGroup.BASIC)
JOB = in_group(FieldGroup.JOB)
EMPLOYMENT = in_group(FieldGroup.EMPLOYMENT)
ABSENCE = in_group(FieldGroup.ABSENCE)
ABSENCE_REASON = in_group(FieldGroup.ABSENCE_REASON)
PERSONAL = in_group(FieldGroup.PERSONAL)
IDENTITY = in_group(FieldGroup.IDENTITY)
BANK = in_group(FieldGroup.BANK)
EMERGENCY = in_group(FieldGroup.EMERGENCY)
SALARY = in_group(FieldGroup.SALARY)
ORGANISATION = in_group(FieldGroup.ORGANISATION)
ADMINISTRATION = in_group(FieldGroup.ADMINISTRATION)


Resolver = TypeVar("Resolver", bound=Callable[..., Any])
Item = TypeVar("Item")

FIRST_ITEMS = 20
"""How many items of a person's list (history, reports) a request gets unless it asks."""
FIRST_ITEMS_NOTE = (
    f" The first `first` ({FIRST_ITEMS} unless asked, at most the page size); when there"
    " are more, the path is listed in `extensions.truncated`."
)


def first_items(info: Info, items: Sequence[Item], first: int) -> Sequence[Item]:
    """The first ``first`` items of a paged list; its path is noted as truncated if it
    had more, so a client knows to ask for more."""
    limit = info.context.settings.max_page_size
    if not 0 <= first <= limit:
        raise bad_input("first", f"must be between 0 and {limit}")
    if len(items) > first:
        info.context.truncate(info.path.as_list())
    return items[:first]


def resolver(
    group: dict[str, Any], *, description: str | None = None
) -> Callable[[Resolver], Resolver]:
    """A resolved field of a type reached only through a guarded field (job history rows,
    absences, ...) or through a mutation that checked its group for that person."""
    decorator: Callable[[Resolver], Resolver] = strawberry.field(
        metadata=group, description=description
    )
    return decorator


def person_field(
    group: FieldGroup,
    *,
    description: str | None = None,
    bound: dict[str, Any] | None = None,
) -> Callable[[Resolver], Resolver]:
    """A resolved field of ``Employee``: guarded per person unless it is directory data.

    ``basic`` needs no guard here because an ``Employee`` object only exists for people
    whose ``basic`` group the viewer may see (lists filter in SQL, relations check).
    A list field names its ``bound`` (``hrvault.schema.bounds``).
    """
    metadata = {**in_group(group), **(bound or {})}
    field = strawberry.field(metadata=metadata, description=description)

    def declare(resolve: Resolver) -> Resolver:
        guarded = resolve if group is FieldGroup.BASIC else guard_resolver(group, resolve)
        declared: Resolver = field(guarded)
        return declared

    return declare
