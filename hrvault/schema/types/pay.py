"""Compensation: effective-dated base pay and additional pay, every value sealed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Self

import strawberry

from hrvault.crypto import columns as c
from hrvault.models import AdditionalCompensation as AdditionalRow
from hrvault.models import Compensation as CompensationRow
from hrvault.models.enums import ExtraPayKind, PayFrequency, PayPeriod
from hrvault.schema.types.base import (
    SALARY,
    ExtraPayKindEnum,
    Info,
    PayFrequencyEnum,
    PayPeriodEnum,
    resolver,
)


@strawberry.type(description="Base pay from a date on (field group salary).")
class Compensation:
    row: strawberry.Private[CompensationRow]
    id: strawberry.ID = strawberry.field(metadata=SALARY)
    effective_from: date = strawberry.field(metadata=SALARY)
    version: int = strawberry.field(metadata=SALARY, description="Pass back when updating.")

    @classmethod
    def from_row(cls, row: CompensationRow) -> Self:
        return cls(
            row=row,
            id=strawberry.ID(str(row.id)),
            effective_from=row.effective_from,
            version=row.version,
        )

    @resolver(SALARY, description="Gross amount per period.")
    def amount(self, info: Info) -> Decimal | None:
        return info.context.sealed.open_decimal(c.PAY_AMOUNT, self.row)

    @resolver(SALARY, description="ISO 4217 code.")
    def currency(self, info: Info) -> str | None:
        return info.context.sealed.open(c.PAY_CURRENCY, self.row)

    @resolver(SALARY)
    def period(self, info: Info) -> PayPeriodEnum | None:  # type: ignore[valid-type]
        value = info.context.sealed.open(c.PAY_PERIOD, self.row)
        return None if value is None else PayPeriod(value)

    @resolver(SALARY)
    def pay_frequency(self, info: Info) -> PayFrequencyEnum | None:  # type: ignore[valid-type]
        value = info.context.sealed.open(c.PAY_FREQUENCY, self.row)
        return None if value is None else PayFrequency(value)

    @resolver(SALARY, description="Why it changed: hire, promotion, annual review, ...")
    def reason(self, info: Info) -> str | None:
        return info.context.sealed.open(c.PAY_REASON, self.row)


@strawberry.type(description="A bonus, allowance or commission (field group salary).")
class AdditionalCompensation:
    row: strawberry.Private[AdditionalRow]
    id: strawberry.ID = strawberry.field(metadata=SALARY)
    version: int = strawberry.field(metadata=SALARY, description="Pass back when updating.")

    @classmethod
    def from_row(cls, row: AdditionalRow) -> Self:
        return cls(row=row, id=strawberry.ID(str(row.id)), version=row.version)

    @resolver(SALARY)
    def kind(self, info: Info) -> ExtraPayKindEnum | None:  # type: ignore[valid-type]
        value = info.context.sealed.open(c.EXTRA_PAY_KIND, self.row)
        return None if value is None else ExtraPayKind(value)

    @resolver(SALARY)
    def amount(self, info: Info) -> Decimal | None:
        return info.context.sealed.open_decimal(c.EXTRA_PAY_AMOUNT, self.row)

    @resolver(SALARY, description="ISO 4217 code.")
    def currency(self, info: Info) -> str | None:
        return info.context.sealed.open(c.EXTRA_PAY_CURRENCY, self.row)

    @resolver(SALARY, description="Paid on (a bonus) or paid from (an allowance).")
    def start_date(self, info: Info) -> date | None:
        return info.context.sealed.open_date(c.EXTRA_PAY_START, self.row)

    @resolver(SALARY, description="Last day of a recurring allowance; null if open-ended.")
    def end_date(self, info: Info) -> date | None:
        return info.context.sealed.open_date(c.EXTRA_PAY_END, self.row)

    @resolver(SALARY)
    def description(self, info: Info) -> str | None:
        return info.context.sealed.open(c.EXTRA_PAY_DESCRIPTION, self.row)
