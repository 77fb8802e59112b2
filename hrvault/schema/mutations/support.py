"""Support access: the tenant grants, approves and revokes; staff ask and activate."""

from __future__ import annotations

import strawberry

from hrvault.models import SupportGrant
from hrvault.permissions.access import StaffOnly, requires
from hrvault.permissions.delegation import Act
from hrvault.resolvers import support_access
from hrvault.resolvers.validation import parse_id
from hrvault.schema import fields
from hrvault.schema.delegating import Exempt
from hrvault.schema.types.base import FieldGroupEnum, Info
from hrvault.schema.types.support import SupportGrantView
from hrvault.vocabulary import Ability

# Creating a grant opens the tenant's data to the vendor: ability plus a fresh step-up.
GRANT_ACCESS = requires(Ability.MANAGE_SUPPORT_ACCESS, step_up=True)
MANAGE_ACCESS = requires(Ability.MANAGE_SUPPORT_ACCESS)


@strawberry.input
class SupportAccessInput:
    reason: str
    ticket: str | None = None
    field_groups: list[FieldGroupEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Default: all but identity, bank, salary, personal and absence_reason.",
    )
    writable: bool = False
    hours: int | None = strawberry.field(default=None, description="At most 72; default 4.")

    def to_request(self) -> support_access.GrantRequest:
        return support_access.GrantRequest(
            self.reason, self.ticket, self.field_groups, self.writable, self.hours
        )


def _view(info: Info, row: SupportGrant) -> SupportGrantView:
    return SupportGrantView.from_row(row, info.context.clock.now(), [])


@strawberry.type
class SupportMutations:
    @fields.mutation(
        access=GRANT_ACCESS,
        delegation=Act.HANDS_OUT,
        description="Open a time-boxed grant for support (only to what you hold yourself).",
    )
    async def create_support_grant(
        self,
        info: Info,
        input: SupportAccessInput,
        staff_id: strawberry.ID | None = None,
        employee_ids: list[strawberry.ID] | None = None,
    ) -> SupportGrantView:
        row = await support_access.create_grant(
            info.context,
            input.to_request(),
            parse_id(staff_id, "staffId") if staff_id else None,
            [parse_id(e, "employeeIds") for e in employee_ids] if employee_ids else None,
        )
        return _view(info, row)

    @fields.mutation(
        access=GRANT_ACCESS,
        delegation=Act.HANDS_OUT,
        description="Approve a staff request for access (only to what you hold yourself).",
    )
    async def approve_support_request(self, info: Info, id: strawberry.ID) -> SupportGrantView:
        row = await support_access.decide_request(info.context, parse_id(id, "id"), True)
        return _view(info, row)

    @fields.mutation(
        access=MANAGE_ACCESS,
        delegation=Exempt.TAKES_AWAY,
        description="Decline a staff request for access.",
    )
    async def decline_support_request(self, info: Info, id: strawberry.ID) -> SupportGrantView:
        row = await support_access.decide_request(info.context, parse_id(id, "id"), False)
        return _view(info, row)

    @fields.mutation(
        access=MANAGE_ACCESS, delegation=Exempt.TAKES_AWAY, description="End a grant at once."
    )
    async def revoke_support_grant(self, info: Info, id: strawberry.ID) -> SupportGrantView:
        return _view(info, await support_access.revoke_grant(info.context, parse_id(id, "id")))

    @fields.mutation(
        access=StaffOnly, delegation=Exempt.ASKS, description="Staff: ask a tenant for access."
    )
    async def request_support_access(
        self, info: Info, tenant: str, input: SupportAccessInput
    ) -> SupportGrantView:
        row = await support_access.request_access(info.context, tenant, input.to_request())
        return _view(info, row)

    @fields.mutation(
        access=StaffOnly,
        delegation=Exempt.OWN_ACCOUNT,
        description="Staff: act under this live grant from the next request.",
    )
    async def activate_support_grant(
        self, info: Info, tenant: str, grant_id: strawberry.ID
    ) -> SupportGrantView:
        row = await support_access.activate(info.context, tenant, parse_id(grant_id, "grantId"))
        return _view(info, row)
