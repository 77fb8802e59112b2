"""Absence requests and decisions."""

from __future__ import annotations

import strawberry

from hrvault.models import AbsenceStatus
from hrvault.permissions.access import PeopleData
from hrvault.resolvers import absences
from hrvault.schema import fields
from hrvault.schema.inputs import RequestAbsenceInput, UpdateAbsenceInput, provided
from hrvault.schema.types.absence import Absence
from hrvault.schema.types.base import Info


@strawberry.type
class AbsenceMutations:
    @fields.mutation(
        access=PeopleData,
        description="Request an absence; types without approval are approved at once.",
    )
    async def request_absence(self, info: Info, input: RequestAbsenceInput) -> Absence:
        row = await absences.request_absence(
            info.context,
            input.employee,
            input.absence_type,
            input.start_date,
            input.end_date,
            reason=input.reason,
        )
        return Absence.from_row(row)

    @fields.mutation(
        access=PeopleData,
        description="Change an absence. A change to its type, dates or reason makes it a new"
        " request: an approved or rejected absence waits for a decision again.",
    )
    async def update_absence(
        self, info: Info, id: strawberry.ID, input: UpdateAbsenceInput
    ) -> Absence:
        changes = provided(input, rename={"absence_type": "absence_type_id"})
        return Absence.from_row(
            await absences.update_absence(info.context, id, input.version, changes)
        )

    @fields.mutation(
        access=PeopleData,
        description="Approve a requested absence; never one about yourself, nor one you"
        " requested or last changed.",
    )
    async def approve_absence(self, info: Info, id: strawberry.ID, version: int) -> Absence:
        row = await absences.decide_absence(info.context, id, version, AbsenceStatus.APPROVED)
        return Absence.from_row(row)

    @fields.mutation(
        access=PeopleData,
        description="Reject a requested absence; never one about yourself, nor one you"
        " requested or last changed.",
    )
    async def reject_absence(self, info: Info, id: strawberry.ID, version: int) -> Absence:
        row = await absences.decide_absence(info.context, id, version, AbsenceStatus.REJECTED)
        return Absence.from_row(row)

    @fields.mutation(access=PeopleData)
    async def cancel_absence(self, info: Info, id: strawberry.ID, version: int) -> Absence:
        row = await absences.decide_absence(info.context, id, version, AbsenceStatus.CANCELLED)
        return Absence.from_row(row)
