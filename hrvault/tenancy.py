"""Provisioning a tenant: its registry row, its keys and the defaults every company starts with."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.chain import start_chain
from hrvault.audit.records import Change, Entry
from hrvault.audit.system import ADMIN, record_system
from hrvault.auth.sessions import find_tenant_by_slug
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.rotation import ensure_tenant_keys
from hrvault.db import bind_tenant
from hrvault.documents.categories import ensure_document_categories
from hrvault.errors import Conflict, bad_input, not_found
from hrvault.models import AbsenceType, Tenant
from hrvault.permissions.builtin_roles import ensure_builtin_roles

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")

# (code, name, health related, needs approval). Health-related types keep their reason
# in the protected `absence_reason` field group: colleagues see that someone is away,
# never why.
DEFAULT_ABSENCE_TYPES = (
    ("vacation", "Vacation", False, True),
    ("sick", "Sick leave", True, False),
    ("care_of_child", "Care of sick child", True, False),
    ("parental", "Parental leave", False, True),
    ("unpaid", "Unpaid leave", False, True),
)


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:63]


async def create_tenant(
    db: AsyncSession, *, name: str, slug: str | None, now: datetime, keyring: TenantKeyring
) -> Tenant:
    """Register a tenant with its first data and blind-index keys, in the caller's transaction."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise bad_input("name", "must be 1 to 200 characters")
    slug = slug or slugify(name)
    if not SLUG_PATTERN.match(slug):
        raise bad_input("slug", "use 2 to 63 lower-case letters, digits and dashes")
    if await find_tenant_by_slug(db, slug) is not None:
        raise Conflict(f"the slug {slug!r} is already taken", field="slug")

    tenant = Tenant(id=uuid.uuid4(), slug=slug, name=name, created_at=now, updated_at=now)
    await bind_tenant(db, tenant.id)
    db.add(tenant)
    await db.flush()
    await ensure_tenant_keys(db, keyring, tenant.id)
    for code, type_name, health, approval in DEFAULT_ABSENCE_TYPES:
        absence_type = AbsenceType(
            tenant_id=tenant.id,
            code=code,
            name=type_name,
            is_health_related=health,
            requires_approval=approval,
        )
        absence_type.stamp_created(None, now)
        db.add(absence_type)
    await db.flush()
    await ensure_document_categories(db, tenant.id, now)
    await ensure_builtin_roles(db, tenant.id, now)
    await start_chain(db, tenant.id)
    await record_system(
        db,
        tenant.id,
        [
            Entry(
                "create",
                "Tenant",
                str(tenant.id),
                changes=(Change("name", ADMIN, None, name), Change("slug", ADMIN, None, slug)),
            )
        ],
        operation="tenant create",
        now=now,
    )
    return tenant


async def resolve_tenant(db: AsyncSession, id_or_slug: str) -> Tenant:
    """Find a tenant by id or slug (operator commands accept either) and bind to it."""
    try:
        tenant_id = uuid.UUID(id_or_slug)
    except ValueError:
        tenant = await find_tenant_by_slug(db, id_or_slug)
    else:
        await bind_tenant(db, tenant_id)
        tenant = await db.scalar(select(Tenant).where(Tenant.id == tenant_id))
    if tenant is None:
        raise not_found("tenant")
    await bind_tenant(db, tenant.id)
    return tenant
