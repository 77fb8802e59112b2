"""The vocabulary of permissions: field groups, actions, scopes and tenant abilities.

A leaf module (it imports nothing of hrvault), so models, permissions and schema can all
use it. Every field of every tenant-data GraphQL type belongs to exactly one field group,
declared on the field itself with ``in_group``; building the schema fails if one is
missing. Roles grant actions on field groups for a scope of people, plus abilities that
are not about one person.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

GROUP_METADATA_KEY = "hrvault.field_group"


class FieldGroup(StrEnum):
    BASIC = "basic"
    JOB = "job"
    EMPLOYMENT = "employment"
    PERSONAL = "personal"
    IDENTITY = "identity"
    BANK = "bank"
    EMERGENCY = "emergency"
    SALARY = "salary"
    ABSENCE = "absence"
    ABSENCE_REASON = "absence_reason"
    DOCUMENTS = "documents"
    ORGANISATION = "organisation"
    """Company structure (offices, departments, absence types): readable by every user."""
    ADMINISTRATION = "administration"
    """Roles, users and access explanations: shown to whoever the root field admitted."""


PERSON_GROUPS: tuple[FieldGroup, ...] = tuple(
    g for g in FieldGroup if g not in (FieldGroup.ORGANISATION, FieldGroup.ADMINISTRATION)
)
"""The groups that hold data about one person: the ones roles grant actions on."""


class Action(StrEnum):
    SEE = "see"
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"
    UPLOAD = "upload"
    DOWNLOAD = "download"
    APPROVE = "approve"


class Scope(StrEnum):
    """Whose data a grant covers, from the viewer's point of view."""

    SELF = "self"
    DIRECT_REPORTS = "direct_reports"
    ALL_REPORTS = "all_reports"
    DEPARTMENT = "department"
    ALL = "all"


class Ability(StrEnum):
    """Tenant-wide powers that are not about one person's data."""

    MANAGE_ROLES = "manage_roles"
    MANAGE_USERS = "manage_users"
    MANAGE_ORGANISATION = "manage_organisation"
    SEE_AUDIT = "see_audit"
    MANAGE_INTEGRATIONS = "manage_integrations"
    MANAGE_SUPPORT_ACCESS = "manage_support_access"
    EXPORT = "export"


def in_group(group: FieldGroup) -> dict[str, Any]:
    """Metadata placing a field in a group: ``strawberry.field(metadata=in_group(...))``."""
    return {GROUP_METADATA_KEY: group}
