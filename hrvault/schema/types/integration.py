"""Partner integrations, their tokens and the transfer register (administration data)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Self

import strawberry

from hrvault.models import Integration as IntegrationRow
from hrvault.models import IntegrationAccess, TransferBasis
from hrvault.models import PartnerToken as TokenRow
from hrvault.resolvers import integrations, partner_tokens
from hrvault.resolvers.integrations import SubProcessor as SubProcessorValue
from hrvault.schema import caps
from hrvault.schema.bounds import cap_note, capped
from hrvault.schema.types.base import (
    ADMINISTRATION,
    FieldGroupEnum,
    Info,
    resolver,
)
from hrvault.vocabulary import FieldGroup

IntegrationAccessEnum = strawberry.enum(IntegrationAccess, name="IntegrationAccess")
TransferBasisEnum = strawberry.enum(TransferBasis, name="TransferBasis")


def _basis(value: str | None) -> TransferBasis | None:
    return TransferBasis(value) if value else None


@strawberry.type(description="An API token of an integration, without its secret.")
class PartnerToken:
    id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    integration_id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    prefix: str = strawberry.field(metadata=ADMINISTRATION, description="The token's start.")
    created_at: datetime = strawberry.field(metadata=ADMINISTRATION)
    expires_at: datetime = strawberry.field(metadata=ADMINISTRATION)
    last_used_at: datetime | None = strawberry.field(metadata=ADMINISTRATION)
    last_used_ip: str | None = strawberry.field(metadata=ADMINISTRATION)
    revoked_at: datetime | None = strawberry.field(metadata=ADMINISTRATION)
    revoked_reason: str | None = strawberry.field(metadata=ADMINISTRATION)
    rotated_from: strawberry.ID | None = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def from_row(cls, row: TokenRow) -> Self:
        return cls(
            id=strawberry.ID(str(row.id)),
            integration_id=strawberry.ID(str(row.integration_id)),
            prefix=row.display_prefix,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            last_used_ip=str(row.last_used_ip) if row.last_used_ip else None,
            revoked_at=row.revoked_at,
            revoked_reason=row.revoked_reason,
            rotated_from=strawberry.ID(str(row.rotated_from)) if row.rotated_from else None,
        )


@strawberry.type(description="A new token: `token` is shown this once and never again.")
class IssuedPartnerToken:
    token: str = strawberry.field(metadata=ADMINISTRATION)
    info: PartnerToken = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def from_issued(cls, issued: partner_tokens.IssuedToken) -> Self:
        return cls(token=issued.token.reveal(), info=PartnerToken.from_row(issued.row))


@strawberry.type(description="A partner, the consent it holds, and who gave it when.")
class Integration:
    row: strawberry.Private[IntegrationRow]
    id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    partner_name: str = strawberry.field(metadata=ADMINISTRATION)
    purpose: str = strawberry.field(metadata=ADMINISTRATION)
    categories: list[FieldGroupEnum] = strawberry.field(  # type: ignore[valid-type]
        metadata={**ADMINISTRATION, **capped(len(FieldGroup))}
    )
    access: IntegrationAccessEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    processing_country: str = strawberry.field(metadata=ADMINISTRATION)
    transfer_basis: TransferBasisEnum | None = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    employee_ids: list[strawberry.ID] | None = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.SCOPE_IDS)}, description=cap_note(caps.SCOPE_IDS)
    )
    department_ids: list[strawberry.ID] | None = strawberry.field(
        metadata={**ADMINISTRATION, **capped(caps.SCOPE_IDS)}, description=cap_note(caps.SCOPE_IDS)
    )
    consented_by: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    consented_by_name: str = strawberry.field(metadata=ADMINISTRATION)
    consented_at: datetime = strawberry.field(metadata=ADMINISTRATION)
    consent: str = strawberry.field(
        metadata=ADMINISTRATION, description="The consented terms as recorded (JSON)."
    )
    revoked_at: datetime | None = strawberry.field(metadata=ADMINISTRATION)
    version: int = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def from_row(cls, row: IntegrationRow) -> Self:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            partner_name=row.partner_name,
            purpose=row.purpose,
            categories=[FieldGroup(c) for c in row.categories],
            access=IntegrationAccess(row.access),
            processing_country=row.processing_country,
            transfer_basis=_basis(row.transfer_basis),
            employee_ids=None
            if row.employee_ids is None
            else [strawberry.ID(str(i)) for i in row.employee_ids],
            department_ids=None
            if row.department_ids is None
            else [strawberry.ID(str(i)) for i in row.department_ids],
            consented_by=strawberry.ID(str(row.consented_by)),
            consented_by_name=row.consented_by_name,
            consented_at=row.consented_at,
            consent=json.dumps(row.consent, sort_keys=True),
            revoked_at=row.revoked_at,
            version=row.version,
        )

    @resolver(
        {**ADMINISTRATION, **capped(caps.PARTNER_TOKENS)},
        description="Its tokens, newest first (revoked ones included). "
        + cap_note(caps.PARTNER_TOKENS),
    )
    async def tokens(self, info: Info) -> list[PartnerToken]:
        rows = await partner_tokens.list_tokens(info.context, self.row.id)
        return [PartnerToken.from_row(r) for r in rows]


@strawberry.type(description="One entry of the transfer register: who receives what, where.")
class DataTransfer:
    integration_id: strawberry.ID = strawberry.field(metadata=ADMINISTRATION)
    partner_name: str = strawberry.field(metadata=ADMINISTRATION)
    purpose: str = strawberry.field(metadata=ADMINISTRATION)
    categories: list[FieldGroupEnum] = strawberry.field(  # type: ignore[valid-type]
        metadata={**ADMINISTRATION, **capped(len(FieldGroup))}
    )
    access: IntegrationAccessEnum = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    processing_country: str = strawberry.field(metadata=ADMINISTRATION)
    inside_eea: bool = strawberry.field(metadata=ADMINISTRATION)
    transfer_basis: TransferBasisEnum | None = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]
    active: bool = strawberry.field(metadata=ADMINISTRATION)

    @classmethod
    def from_row(cls, row: IntegrationRow) -> Self:
        return cls(
            integration_id=strawberry.ID(str(row.id)),
            partner_name=row.partner_name,
            purpose=row.purpose,
            categories=[FieldGroup(c) for c in row.categories],
            access=IntegrationAccess(row.access),
            processing_country=row.processing_country,
            inside_eea=integrations.inside_eea(row.processing_country),
            transfer_basis=_basis(row.transfer_basis),
            active=row.revoked_at is None,
        )


@strawberry.type(description="A company hrvault itself uses to process the tenant's data.")
class SubProcessor:
    name: str = strawberry.field(metadata=ADMINISTRATION)
    purpose: str = strawberry.field(metadata=ADMINISTRATION)
    country: str = strawberry.field(metadata=ADMINISTRATION)
    transfer_basis: TransferBasisEnum | None = strawberry.field(metadata=ADMINISTRATION)  # type: ignore[valid-type]

    @classmethod
    def from_value(cls, value: SubProcessorValue) -> Self:
        return cls(
            name=value.name,
            purpose=value.purpose,
            country=value.country,
            transfer_basis=value.transfer_basis,
        )
