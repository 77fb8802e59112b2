"""Input types. Server-set columns (tenant, ids, timestamps, actors) never appear here."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry

from hrvault.schema.sensitive_inputs import NationalIdFilter
from hrvault.schema.types.base import EmployeeStatusEnum, EmploymentTypeEnum
from hrvault.vocabulary import GROUP_METADATA_KEY, FieldGroup, in_group


def groups_of(data: Any) -> set[FieldGroup]:
    """The field groups of the fields the client sent; a field without a group is refused."""
    definition = data.__strawberry_definition__
    groups = set()
    for field in definition.fields:
        if field.python_name == "version" or getattr(data, field.python_name) is strawberry.UNSET:
            continue
        group = (field.metadata or {}).get(GROUP_METADATA_KEY)
        if not isinstance(group, FieldGroup):
            raise TypeError(f"{definition.name}.{field.python_name} declares no field group")
        groups.add(group)
    return groups


def provided(data: Any, *, rename: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields the client actually sent (UNSET ones are left out), by model column name."""
    rename = rename or {}
    return {
        rename.get(f.name, f.name): getattr(data, f.name)
        for f in dataclass_fields(data)
        if getattr(data, f.name) is not strawberry.UNSET and f.name != "version"
    }


@strawberry.input
class EmployeeFilter:
    department: strawberry.ID | None = None
    office: strawberry.ID | None = None
    manager: strawberry.ID | None = strawberry.field(
        default=None, description="People whose primary manager this is today."
    )
    status: EmployeeStatusEnum | None = None  # type: ignore[valid-type]
    search: str | None = strawberry.field(
        default=None,
        description="Each word is the start of a word of a name (any order), or the whole "
        "work email, or the whole employee number; case does not matter.",
    )
    national_id: NationalIdFilter | None = strawberry.field(
        default=None,
        description="Exact match (any formatting); needs access to identity data.",
    )


# Employee inputs mix field groups (more arrive with the sensitive data), so each field
# names its group and a write is checked against the groups of the fields actually sent.
_BASIC = in_group(FieldGroup.BASIC)


@strawberry.input
class CreateEmployeeInput:
    employee_number: str = strawberry.field(metadata=_BASIC)
    first_name: str = strawberry.field(metadata=_BASIC)
    last_name: str = strawberry.field(metadata=_BASIC)
    preferred_name: str | None = strawberry.field(default=None, metadata=_BASIC)
    work_email: str | None = strawberry.field(default=None, metadata=_BASIC)
    work_phone: str | None = strawberry.field(default=None, metadata=_BASIC)
    status: EmployeeStatusEnum = strawberry.field(  # type: ignore[valid-type]
        default=EmployeeStatusEnum.ACTIVE, metadata=_BASIC
    )


@strawberry.input
class UpdateEmployeeInput:
    version: int
    employee_number: str | None = strawberry.field(default=strawberry.UNSET, metadata=_BASIC)
    first_name: str | None = strawberry.field(default=strawberry.UNSET, metadata=_BASIC)
    last_name: str | None = strawberry.field(default=strawberry.UNSET, metadata=_BASIC)
    preferred_name: str | None = strawberry.field(default=strawberry.UNSET, metadata=_BASIC)
    work_email: str | None = strawberry.field(default=strawberry.UNSET, metadata=_BASIC)
    work_phone: str | None = strawberry.field(default=strawberry.UNSET, metadata=_BASIC)
    status: EmployeeStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, metadata=_BASIC
    )


@strawberry.input
class CreateOfficeInput:
    name: str
    country_code: str
    timezone: str
    address: str | None = None


@strawberry.input
class UpdateOfficeInput:
    version: int
    name: str | None = strawberry.UNSET
    country_code: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET


DEPARTMENT_COLUMNS = {"parent": "parent_id", "head": "head_employee_id"}


@strawberry.input
class CreateDepartmentInput:
    name: str
    parent: strawberry.ID | None = None
    head: strawberry.ID | None = strawberry.field(default=None, description="Head employee id.")


@strawberry.input
class UpdateDepartmentInput:
    version: int
    name: str | None = strawberry.UNSET
    parent: strawberry.ID | None = strawberry.UNSET
    head: strawberry.ID | None = strawberry.UNSET


JOB_COLUMNS = {"department": "department_id", "office": "office_id"}


@strawberry.input
class CreateJobAssignmentInput:
    employee: strawberry.ID
    title: str
    effective_from: date
    department: strawberry.ID | None = None
    office: strawberry.ID | None = None


@strawberry.input
class UpdateJobAssignmentInput:
    version: int
    title: str | None = strawberry.UNSET
    effective_from: date | None = strawberry.UNSET
    department: strawberry.ID | None = strawberry.UNSET
    office: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class CreateReportingLineInput:
    employee: strawberry.ID
    effective_from: date
    manager: strawberry.ID | None = strawberry.field(
        default=None, description="Null: no manager from this date on."
    )


@strawberry.input
class UpdateReportingLineInput:
    version: int
    effective_from: date | None = strawberry.UNSET
    manager: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class CreateEmploymentInput:
    employee: strawberry.ID
    employment_type: EmploymentTypeEnum  # type: ignore[valid-type]
    start_date: date
    fte_percent: Decimal
    legal_entity: str
    country_code: str
    end_date: date | None = None


@strawberry.input
class UpdateEmploymentInput:
    version: int
    employment_type: EmploymentTypeEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    fte_percent: Decimal | None = strawberry.UNSET
    legal_entity: str | None = strawberry.UNSET
    country_code: str | None = strawberry.UNSET


@strawberry.input
class RequestAbsenceInput:
    employee: strawberry.ID
    absence_type: strawberry.ID
    start_date: date
    end_date: date
    reason: str | None = strawberry.field(
        default=None, description="Notes on the reason; needs access to absence reasons."
    )


@strawberry.input
class UpdateAbsenceInput:
    version: int
    absence_type: strawberry.ID | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    reason: str | None = strawberry.field(
        default=strawberry.UNSET, description="Null clears it; needs access to absence reasons."
    )
