"""Sensitive demo values: realistic, checksum-valid and made up, sealed like real ones.

Every demo person gets personal details, a national id and an IBAN that pass the same
validation as the API's (generated, then checked by ``hrvault.resolvers.identifiers``),
an emergency contact and a salary fitting their job; sick leave gets a reason note. The
values go through ``TenantCipher`` like any write, so the demo database holds none of
them in clear (a test dumps it with ``pg_dump`` to prove it).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_11_10

from hrvault.crypto import columns as c
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.columns import SealedColumn
from hrvault.errors import BadUserInput
from hrvault.models import (
    Absence,
    AbsenceType,
    BankAccount,
    Compensation,
    EmergencyContact,
    Employee,
    IdentityDetails,
    JobAssignment,
    PersonalDetails,
)
from hrvault.models.base import Tracked
from hrvault.resolvers import identifiers
from hrvault.resolvers.sealed import seal_values

_CURRENCY = {"SE": "SEK", "DE": "EUR"}
_PHONE_PREFIX = {"SE": "+46", "DE": "+49"}
_MONTHLY_BASE = {"SE": 42000, "DE": 4200}
_BANKS = {"SE": ("ESSESESS", "SEB"), "DE": ("COBADEFF", "Commerzbank")}
_STREETS = {
    "SE": (("Storgatan", "114 51", "Stockholm"), ("Kungsgatan", "411 19", "Göteborg")),
    "DE": (("Lindenstraße", "10969", "Berlin"), ("Schillerstraße", "80336", "München")),
}
_SICK_NOTES = ("flu, doctor's note on file", "back pain, physiotherapy", "child home sick")


def _swedish_id(rng: random.Random, born: date) -> str:
    digits = born.strftime("%y%m%d") + f"{rng.randint(0, 999):03d}"
    return digits + luhn.calc_check_digit(digits)


def _german_id(rng: random.Random, born: date) -> str:
    """Steuer-IdNr: ten digits in which exactly one digit repeats, then a check digit."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(9)]
        if len(set(digits)) == 9:
            head = "".join(map(str, digits))
            return head + mod_11_10.calc_check_digit(head)


_NATIONAL_IDS: Mapping[str, Callable[[random.Random, date], str]] = {
    "SE": _swedish_id,
    "DE": _german_id,
}


def _iban(rng: random.Random, country: str) -> str:
    length = {"SE": 20, "DE": 18}[country]
    bban = "".join(str(rng.randint(0, 9)) for _ in range(length))
    return country + stdnum_iban.calc_check_digits(f"{country}00{bban}") + bban


def _valid(make: Callable[[], str], check: Callable[[str], object]) -> str:
    """A generated value the API would accept (a few draws miss a country's finer rules)."""
    for _ in range(100):
        value = make()
        try:
            check(value)
        except (BadUserInput, ValidationError):
            continue
        return value
    raise RuntimeError("could not generate a valid demo value")


def _valid_national_id(rng: random.Random, country: str, born: date) -> identifiers.NationalId:
    number = _valid(
        lambda: _NATIONAL_IDS[country](rng, born),
        lambda v: identifiers.national_id(country, v, "nationalId"),
    )
    return identifiers.national_id(country, number, "nationalId")


class _Sealer:
    """Seals a new row's values under its person's key, then hands the row to ``build``."""

    def __init__(self, cipher: TenantCipher, build: Callable[[Tracked], None]) -> None:
        self.cipher, self.build = cipher, build

    async def add(self, row: Tracked, values: Mapping[SealedColumn, str | None]) -> None:
        row_id: uuid.UUID = getattr(row, "id")  # noqa: B009 - sealed tables are keyed by id
        person: uuid.UUID = getattr(row, "employee_id")  # noqa: B009
        sealed = await seal_values(self.cipher, values, row_id=row_id, person_id=person)
        for name, value in sealed.items():
            setattr(row, name, value)
        self.build(row)


async def seed_sensitive_details(
    db: AsyncSession,
    cipher: TenantCipher,
    build: Callable[[Tracked], None],
    people: Sequence[Employee],
    country: str,
    today: date,
    rng: random.Random,
) -> None:
    """Personal, identity, bank, emergency and pay details for every person."""
    await cipher.prepare_writes(p.id for p in people)
    sealer = _Sealer(cipher, build)
    titles = {
        job.employee_id: job.title
        for job in await db.scalars(
            select(JobAssignment).where(JobAssignment.tenant_id == cipher.tenant_id)
        )
    }
    for person in people:
        born = today - timedelta(days=rng.randint(23 * 365, 62 * 365))
        street, postal_code, city = rng.choice(_STREETS[country])
        address = {
            "street": f"{street} {rng.randint(1, 80)}",
            "postal_code": postal_code,
            "city": city,
            "region": None,
            "country": country,
        }
        prefix = _PHONE_PREFIX[country]
        phone = f"{prefix} 70 {rng.randint(1000000, 9999999)}"
        await sealer.add(
            PersonalDetails(id=uuid.uuid4(), employee_id=person.id),
            {
                c.BIRTH_DATE: born.isoformat(),
                c.GENDER: rng.choice(("female", "male", "female", "male", "undisclosed")),
                c.NATIONALITY: country,
                c.PRIVATE_EMAIL: f"{person.first_name}.{rng.randint(10, 99)}@mail.example".lower(),
                c.PRIVATE_PHONE: phone,
                c.HOME_ADDRESS: json.dumps(address, sort_keys=True),
            },
        )
        national = _valid_national_id(rng, country, born)
        await sealer.add(
            IdentityDetails(
                id=uuid.uuid4(),
                employee_id=person.id,
                national_id_index=await cipher.blind_index(
                    c.NATIONAL_ID_INDEX, national.index_value
                ),
            ),
            {c.NATIONAL_ID: national.number, c.NATIONAL_ID_COUNTRY: country},
        )
        iban = _valid(lambda: _iban(rng, country), lambda v: identifiers.iban(v, "iban"))
        bic, bank_name = _BANKS[country]
        await sealer.add(
            BankAccount(
                id=uuid.uuid4(),
                employee_id=person.id,
                is_primary=True,
                iban_index=await cipher.blind_index(c.IBAN_INDEX, iban),
            ),
            {
                c.IBAN: iban,
                c.BIC: bic,
                c.BANK_NAME: bank_name,
                c.ACCOUNT_HOLDER: person.display_name,
            },
        )
        await sealer.add(
            EmergencyContact(id=uuid.uuid4(), employee_id=person.id, position=1),
            {
                c.CONTACT_NAME: f"{rng.choice(('Alex', 'Kim', 'Robin', 'Sam'))} {person.last_name}",
                c.CONTACT_RELATION: rng.choice(("partner", "parent", "sibling", "friend")),
                c.CONTACT_PHONE: f"{prefix} 73 {rng.randint(1000000, 9999999)}",
            },
        )
        title = titles.get(person.id, "")
        level = 1.9 if title.startswith(("Head", "Chief", "CEO", "Managing")) else 1.0
        amount = Decimal(round(_MONTHLY_BASE[country] * level * rng.uniform(0.85, 1.3), -2))
        await sealer.add(
            Compensation(
                id=uuid.uuid4(),
                employee_id=person.id,
                effective_from=today.replace(month=1, day=1),
            ),
            {
                c.PAY_AMOUNT: f"{amount:.2f}",
                c.PAY_CURRENCY: _CURRENCY[country],
                c.PAY_PERIOD: "month",
                c.PAY_FREQUENCY: "monthly",
                c.PAY_REASON: "annual review",
            },
        )


async def seal_sick_notes(db: AsyncSession, cipher: TenantCipher, rng: random.Random) -> None:
    """A reason note on every health-related absence."""
    rows = await db.execute(
        select(Absence)
        .join(
            AbsenceType,
            (AbsenceType.tenant_id == Absence.tenant_id)
            & (AbsenceType.id == Absence.absence_type_id),
        )
        .where(Absence.tenant_id == cipher.tenant_id, AbsenceType.is_health_related)
    )
    for absence in rows.scalars():
        absence.reason_sealed = await cipher.seal_field(
            c.ABSENCE_REASON,
            rng.choice(_SICK_NOTES),
            row_id=absence.id,
            person_id=absence.employee_id,
        )
    await db.flush()
