"""Closed vocabularies of the HR model, stored as checked text (values are lower-case)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class EmployeeStatus(StrEnum):
    PRE_HIRE = "pre_hire"
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    TERMINATED = "terminated"


class EmploymentType(StrEnum):
    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"
    HOURLY = "hourly"
    CONTRACTOR = "contractor"
    INTERN = "intern"


class AbsenceStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# The vocabularies below are sealed with the values they describe (no CHECK constraint can
# see them); the GraphQL enums and the resolvers keep them closed.


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    DIVERSE = "diverse"
    UNDISCLOSED = "undisclosed"


class PayPeriod(StrEnum):
    """What the amount of a base pay is per."""

    YEAR = "year"
    MONTH = "month"
    HOUR = "hour"


class PayFrequency(StrEnum):
    MONTHLY = "monthly"
    SEMI_MONTHLY = "semi_monthly"
    BIWEEKLY = "biweekly"
    WEEKLY = "weekly"


class ExtraPayKind(StrEnum):
    BONUS = "bonus"
    ALLOWANCE = "allowance"
    COMMISSION = "commission"
    OTHER = "other"


def checked_enum(enum: type[StrEnum]) -> Enum:
    """A VARCHAR column with a CHECK constraint; adding a value is a one-line migration."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        name=enum.__name__.lower(),
    )
