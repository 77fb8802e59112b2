"""Root fields for partner integrations: consent, tokens, the transfer register.

All of it is administration (``manage_integrations``), closed to partners themselves; the
sub-processor list is open to every user of the tenant.
"""

from __future__ import annotations

import strawberry

from hrvault.permissions.access import requires
from hrvault.permissions.delegation import Act
from hrvault.resolvers import integrations, partner_tokens
from hrvault.schema import caps, fields
from hrvault.schema.bounds import cap_note, capped
from hrvault.schema.delegating import Exempt
from hrvault.schema.types.base import FieldGroupEnum, Info
from hrvault.schema.types.integration import (
    DataTransfer,
    Integration,
    IntegrationAccessEnum,
    IssuedPartnerToken,
    PartnerToken,
    SubProcessor,
    TransferBasisEnum,
)
from hrvault.vocabulary import Ability

MANAGE_INTEGRATIONS = requires(Ability.MANAGE_INTEGRATIONS)


@strawberry.input(description="What the tenant consents to share with a partner.")
class RegisterIntegrationInput:
    partner_name: str
    purpose: str
    categories: list[FieldGroupEnum]  # type: ignore[valid-type]
    access: IntegrationAccessEnum  # type: ignore[valid-type]
    processing_country: str
    transfer_basis: TransferBasisEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Required when the country is outside the EU/EEA."
    )
    employees: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Restrict to these people (and any departments given)."
    )
    departments: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Restrict to people in these departments or below."
    )


@strawberry.type
class IntegrationQuery:
    @fields.query(
        access=MANAGE_INTEGRATIONS,
        description=cap_note(caps.INTEGRATIONS),
        metadata=capped(caps.INTEGRATIONS),
    )
    async def integrations(self, info: Info) -> list[Integration]:
        return [Integration.from_row(r) for r in await integrations.list_integrations(info.context)]

    @fields.query(
        access=requires(Ability.MANAGE_INTEGRATIONS, Ability.SEE_AUDIT),
        description="Every integration: categories, destination country and transfer basis. "
        + cap_note(caps.INTEGRATIONS),
        metadata=capped(caps.INTEGRATIONS),
    )
    async def data_transfers(self, info: Info) -> list[DataTransfer]:
        rows = await integrations.list_integrations(info.context)
        return [DataTransfer.from_row(r) for r in rows]

    @fields.query(
        description="The platform's sub-processors: who, why, where, on what basis. "
        + cap_note(caps.INTEGRATIONS),
        metadata=capped(caps.INTEGRATIONS),
    )
    def sub_processors(self, info: Info) -> list[SubProcessor]:
        return [SubProcessor.from_value(v) for v in integrations.sub_processors()]


@strawberry.type
class IntegrationMutations:
    @fields.mutation(
        access=MANAGE_INTEGRATIONS,
        delegation=Act.HANDS_OUT,
        description="Record the consent to share (only what you may see and change yourself).",
    )
    async def register_integration(
        self, info: Info, input: RegisterIntegrationInput
    ) -> Integration:
        terms = integrations.Terms(
            partner_name=input.partner_name,
            purpose=input.purpose,
            categories=input.categories,
            access=input.access,
            processing_country=input.processing_country,
            transfer_basis=input.transfer_basis,
            employee_ids=input.employees,
            department_ids=input.departments,
        )
        return Integration.from_row(await integrations.register_integration(info.context, terms))

    @fields.mutation(
        access=MANAGE_INTEGRATIONS,
        delegation=Exempt.TAKES_AWAY,
        description="Withdraw the consent; all its tokens stop.",
    )
    async def revoke_integration(self, info: Info, id: strawberry.ID, version: int) -> Integration:
        return Integration.from_row(
            await integrations.revoke_integration(info.context, id, version)
        )

    @fields.mutation(
        access=MANAGE_INTEGRATIONS,
        delegation=Act.HANDS_OUT,
        description="Default lifetime 90 days, at most 366; needs the consent's powers.",
    )
    async def create_partner_token(
        self, info: Info, integration_id: strawberry.ID, expires_in_days: int | None = None
    ) -> IssuedPartnerToken:
        issued = await partner_tokens.create_token(info.context, integration_id, expires_in_days)
        return IssuedPartnerToken.from_issued(issued)

    @fields.mutation(
        access=MANAGE_INTEGRATIONS,
        delegation=Act.HANDS_OUT,
        description="A new token; the old one works for `graceHours` more (at most 168).",
    )
    async def rotate_partner_token(
        self,
        info: Info,
        id: strawberry.ID,
        grace_hours: int = 24,
        expires_in_days: int | None = None,
    ) -> IssuedPartnerToken:
        issued = await partner_tokens.rotate_token(info.context, id, grace_hours, expires_in_days)
        return IssuedPartnerToken.from_issued(issued)

    @fields.mutation(
        access=MANAGE_INTEGRATIONS,
        delegation=Exempt.TAKES_AWAY,
        description="Effective on the next request.",
    )
    async def revoke_partner_token(self, info: Info, id: strawberry.ID) -> PartnerToken:
        return PartnerToken.from_row(await partner_tokens.revoke_token(info.context, id))
