"""Company structure: offices and departments (needs the manage_organisation ability)."""

from __future__ import annotations

import strawberry

from hrvault.permissions.access import requires
from hrvault.resolvers import org
from hrvault.schema import fields
from hrvault.schema.inputs import (
    DEPARTMENT_COLUMNS,
    CreateDepartmentInput,
    CreateOfficeInput,
    UpdateDepartmentInput,
    UpdateOfficeInput,
    provided,
)
from hrvault.schema.types.base import Info
from hrvault.schema.types.org import Department, Office
from hrvault.vocabulary import Ability


@strawberry.type
class OrganisationMutations:
    @fields.mutation(access=requires(Ability.MANAGE_ORGANISATION))
    async def create_office(self, info: Info, input: CreateOfficeInput) -> Office:
        return Office.from_row(await org.create_office(info.context, provided(input)))

    @fields.mutation(access=requires(Ability.MANAGE_ORGANISATION))
    async def update_office(
        self, info: Info, id: strawberry.ID, input: UpdateOfficeInput
    ) -> Office:
        row = await org.update_office(info.context, id, input.version, provided(input))
        return Office.from_row(row)

    @fields.mutation(access=requires(Ability.MANAGE_ORGANISATION))
    async def create_department(self, info: Info, input: CreateDepartmentInput) -> Department:
        changes = provided(input, rename=DEPARTMENT_COLUMNS)
        return Department.from_row(await org.create_department(info.context, changes))

    @fields.mutation(access=requires(Ability.MANAGE_ORGANISATION))
    async def update_department(
        self, info: Info, id: strawberry.ID, input: UpdateDepartmentInput
    ) -> Department:
        changes = provided(input, rename=DEPARTMENT_COLUMNS)
        row = await org.update_department(info.context, id, input.version, changes)
        return Department.from_row(row)
