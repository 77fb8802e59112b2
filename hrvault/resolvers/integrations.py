"""Registering partner integrations (the tenant's consent), revoking them, and the
transfer register built from them.

The consent is recorded as given: who, when and exactly which terms. Nobody consents to
share what they could not see or change themselves (``hrvault.permissions.delegation``).
The integration's permissions are compiled from these terms at every request
(``hrvault.permissions.partner_policy``), so revoking the consent revokes everything.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import func, select, update

from hrvault.audit.records import Change, Entry
from hrvault.auth.step_up import require_step_up_for_integrations
from hrvault.errors import bad_input
from hrvault.models import (
    Department,
    Employee,
    Integration,
    IntegrationAccess,
    PartnerToken,
    TransferBasis,
)
from hrvault.permissions.delegation import Act
from hrvault.permissions.partner_policy import consent_powers
from hrvault.resolvers import rows, validation
from hrvault.resolvers.context import RequestContext
from hrvault.vocabulary import PERSON_GROUPS, FieldGroup

ADMIN = FieldGroup.ADMINISTRATION.value
EEA_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"  # EU
    " IS LI NO".split()  # EEA beyond the EU
)


@dataclass(frozen=True)
class Terms:
    """What an admin asks to consent to, before validation."""

    partner_name: str
    purpose: str
    categories: Sequence[FieldGroup]
    access: IntegrationAccess
    processing_country: str
    transfer_basis: TransferBasis | None
    employee_ids: Sequence[str] | None
    department_ids: Sequence[str] | None


def inside_eea(country: str) -> bool:
    return country in EEA_COUNTRIES


async def _existing(
    ctx: RequestContext, model: type[Employee] | type[Department], raw: Sequence[str], field: str
) -> list[uuid.UUID]:
    ids = sorted({validation.parse_id(value, field) for value in raw})
    found = set(
        await ctx.db.scalars(
            select(model.id).where(model.tenant_id == ctx.tenant_id, model.id.in_(ids))
        )
    )
    if missing := [i for i in ids if i not in found]:
        raise bad_input(field, f"unknown id {missing[0]}")
    return ids


def _transfer_basis(country: str, basis: TransferBasis | None) -> TransferBasis | None:
    if inside_eea(country):
        if basis is not None:
            raise bad_input("transferBasis", "is only for countries outside the EU/EEA")
        return None
    if basis is None:
        raise bad_input(
            "transferBasis", "a country outside the EU/EEA needs adequacy, SCCs or consent"
        )
    return basis


async def register_integration(ctx: RequestContext, terms: Terms) -> Integration:
    principal = ctx.require_principal()
    user_id = require_step_up_for_integrations(principal, ctx.clock.now())
    if not terms.categories or any(c not in PERSON_GROUPS for c in terms.categories):
        raise bad_input("categories", "name one or more field groups about people")
    categories = sorted(set(terms.categories), key=PERSON_GROUPS.index)
    ctx.require_delegation(
        consent_powers(categories, terms.access), Act.HANDS_OUT, "registerIntegration"
    )
    country = validation.country_code(terms.processing_country, "processingCountry")
    integration = Integration(
        id=uuid.uuid4(),
        tenant_id=ctx.tenant_id,
        partner_name=validation.text(terms.partner_name, "partnerName", max_length=200),
        purpose=validation.text(terms.purpose, "purpose", max_length=2000),
        categories=[c.value for c in categories],
        access=terms.access,
        processing_country=country,
        transfer_basis=_transfer_basis(country, terms.transfer_basis),
        employee_ids=None
        if terms.employee_ids is None
        else await _existing(ctx, Employee, terms.employee_ids, "employees"),
        department_ids=None
        if terms.department_ids is None
        else await _existing(ctx, Department, terms.department_ids, "departments"),
        consented_by=user_id,
        consented_by_name=principal.display_name,
        consented_at=ctx.clock.now(),
        revoked_at=None,
        revoked_by=None,
    )
    integration.consent = consent_terms(integration)
    integration.stamp_created(ctx.actor_id, ctx.clock.now())
    ctx.db.add(integration)
    await ctx.db.flush()
    ctx.audit.add(
        Entry(
            "create",
            "Integration",
            str(integration.id),
            changes=tuple(Change(k, ADMIN, None, v) for k, v in integration.consent.items()),
        )
    )
    return integration


def consent_terms(integration: Integration) -> dict[str, Any]:
    """The consent exactly as recorded: every term that shapes what the partner receives."""
    return {
        "partner_name": integration.partner_name,
        "purpose": integration.purpose,
        "categories": list(integration.categories),
        "access": IntegrationAccess(integration.access).value,
        "processing_country": integration.processing_country,
        "transfer_basis": TransferBasis(integration.transfer_basis).value
        if integration.transfer_basis
        else None,
        "employee_ids": [str(i) for i in integration.employee_ids or ()] or None,
        "department_ids": [str(i) for i in integration.department_ids or ()] or None,
        "consented_by": str(integration.consented_by),
        "consented_by_name": integration.consented_by_name,
        "consented_at": integration.consented_at.isoformat(),
    }


async def revoke_integration(ctx: RequestContext, raw_id: str, version: int) -> Integration:
    """Withdraw the consent: the integration and every token of it stop working at once."""
    integration = await rows.get_row(ctx, Integration, raw_id, "id")
    if integration.revoked_at is not None:
        raise bad_input("id", "this integration's consent was already revoked")
    now = ctx.clock.now()
    await rows.update(ctx, integration, version, {"revoked_at": now, "revoked_by": ctx.actor_id})
    tokens = await ctx.db.scalars(
        update(PartnerToken)
        .where(
            PartnerToken.tenant_id == ctx.tenant_id,
            PartnerToken.integration_id == integration.id,
            PartnerToken.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason="consent_revoked")
        .returning(PartnerToken.id)
    )
    for token_id in sorted(tokens):
        ctx.audit.add(
            Entry(
                "revoke",
                "PartnerToken",
                str(token_id),
                changes=(Change("revoked_reason", ADMIN, None, "consent_revoked"),),
            )
        )
    return integration


async def list_integrations(ctx: RequestContext) -> Sequence[Integration]:
    return await ctx.reader.all(
        select(Integration)
        .where(Integration.tenant_id == ctx.tenant_id)
        .order_by(func.lower(Integration.partner_name), Integration.consented_at)
    )


@dataclass(frozen=True)
class SubProcessor:
    name: str
    purpose: str
    country: str
    transfer_basis: TransferBasis | None


@cache
def sub_processors() -> tuple[SubProcessor, ...]:
    """The platform's own sub-processors, from the data file shipped with the service."""
    text = resources.files("hrvault.data").joinpath("sub_processors.json").read_text("utf-8")
    return tuple(
        SubProcessor(
            name=entry["name"],
            purpose=entry["purpose"],
            country=entry["country"],
            transfer_basis=TransferBasis(entry["transfer_basis"])
            if entry["transfer_basis"]
            else None,
        )
        for entry in json.loads(text)
    )
