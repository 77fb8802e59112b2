"""Shared pieces of the object types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import strawberry

from hrvault.models import AbsenceStatus, EmployeeStatus, EmploymentType
from hrvault.permissions.field_groups import FieldGroup, in_group
from hrvault.resolvers.context import RequestContext

Info: TypeAlias = strawberry.Info[RequestContext, None]

EmployeeStatusEnum = strawberry.enum(EmployeeStatus, name="EmployeeStatus")
EmploymentTypeEnum = strawberry.enum(EmploymentType, name="EmploymentType")
AbsenceStatusEnum = strawberry.enum(AbsenceStatus, name="AbsenceStatus")

BASIC = in_group(FieldGroup.BASIC)
JOB = in_group(FieldGroup.JOB)
EMPLOYMENT = in_group(FieldGroup.EMPLOYMENT)
ABSENCE = in_group(FieldGroup.ABSENCE)
ORGANISATION = in_group(FieldGroup.ORGANISATION)


Resolver = TypeVar("Resolver", bound=Callable[..., Any])


def resolver(
    group: dict[str, Any], *, description: str | None = None
) -> Callable[[Resolver], Resolver]:
    """Declare a resolved field of a data type together with its field group."""
    decorator: Callable[[Resolver], Resolver] = strawberry.field(
        metadata=group, description=description
    )
    return decorator
