"""Field groups: the unit that permissions attach to.

Every field of every tenant-data GraphQL type belongs to exactly one group, declared on
the field itself with ``in_group``; building the schema fails if one is missing.
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


def in_group(group: FieldGroup) -> dict[str, Any]:
    """Metadata placing a field in a group: ``strawberry.field(metadata=in_group(...))``."""
    return {GROUP_METADATA_KEY: group}
