"""Checking and normalising the identifiers of sensitive details before they are sealed.

A value is sealed once, in its canonical form, so a blind index over it matches however a
user typed it ("se45 5000 ..." and "SE4550000..." are one IBAN; 10 and 12 digit Swedish
personnummer are one person). The checksums come from python-stdnum, the maintained
standard for these numbers; countries and currencies from pycountry (ISO 3166, ISO 4217).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import pycountry
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.de import idnr
from stdnum.dk import cpr
from stdnum.exceptions import ValidationError
from stdnum.fi import hetu
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from hrvault.errors import bad_input

MAX_AMOUNT = Decimal("1000000000")


@dataclass(frozen=True)
class NationalId:
    country: str
    number: str
    """Canonical form: what is sealed, shown and indexed."""

    @property
    def index_value(self) -> str:
        """The blind-indexed form: the same number in two countries is two ids."""
        return f"{self.country}:{self.number}"


def _swedish(number: str) -> str:
    """Personnummer or samordningsnummer as YYYYMMDD-NNNN (century made explicit)."""
    personnummer.validate(number)
    digits = personnummer.compact(number).replace("-", "").replace("+", "")[-10:]
    century = personnummer.get_birth_date(number).year // 100
    return f"{century}{digits[:6]}-{digits[6:]}"


_NATIONAL_IDS: dict[str, Callable[[str], str]] = {
    "SE": _swedish,
    "DE": lambda n: idnr.compact(idnr.validate(n)),  # Steuerliche Identifikationsnummer
    "NO": lambda n: fodselsnummer.compact(fodselsnummer.validate(n)),
    "DK": lambda n: cpr.format(cpr.validate(n)),
    "FI": lambda n: hetu.compact(hetu.validate(n)),
}
"""Countries whose national id is checked (format and check digits)."""

_OTHER_NATIONAL_ID = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/ ")


def country(value: str, field: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise bad_input(field, "must be an ISO 3166-1 alpha-2 country code")
    return code


def currency(value: str, field: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise bad_input(field, "must be an ISO 4217 currency code such as SEK or EUR")
    return code


def national_id(country_code: str, number: str, field: str) -> NationalId:
    code = country(country_code, f"{field}Country")
    check = _NATIONAL_IDS.get(code)
    if check is not None:
        try:
            return NationalId(code, check(number.strip()))
        except ValidationError:
            raise bad_input(field, f"is not a valid national id for {code}") from None
    canonical = " ".join(number.upper().split())
    if not 4 <= len(canonical) <= 32 or not set(canonical) <= _OTHER_NATIONAL_ID:
        raise bad_input(field, "must be 4 to 32 letters, digits, spaces, '-' or '/'")
    return NationalId(code, canonical)


def iban(value: str, field: str) -> str:
    try:
        return str(stdnum_iban.validate(value))
    except ValidationError:
        raise bad_input(field, "is not a valid IBAN (country, check digits, account)") from None


def bic(value: str, field: str) -> str:
    try:
        return str(stdnum_bic.validate(value))
    except ValidationError:
        raise bad_input(field, "is not a valid BIC (8 or 11 characters)") from None


def passport_number(value: str, field: str) -> str:
    canonical = value.strip().upper()
    if not 5 <= len(canonical) <= 20 or not canonical.isalnum() or not canonical.isascii():
        raise bad_input(field, "must be 5 to 20 letters and digits")
    return canonical


def amount(value: Decimal, field: str) -> Decimal:
    try:
        quantized = value.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise bad_input(field, "must be a number with at most two decimals") from None
    if quantized != value or not 0 <= value < MAX_AMOUNT:
        raise bad_input(field, "must be at least 0, below 1e9, with at most two decimals")
    return quantized


def birth_date(value: date, today: date, field: str) -> date:
    if value > today or value.year < today.year - 120:
        raise bad_input(field, "must be a past date within the last 120 years")
    return value


def email(value: str, field: str) -> str:
    canonical = value.strip()
    local, _, domain = canonical.rpartition("@")
    if not local or "." not in domain or len(canonical) > 254 or " " in canonical:
        raise bad_input(field, "is not a valid email address")
    return canonical


def phone(value: str, field: str) -> str:
    canonical = " ".join(value.split())
    digits = sum(c.isdigit() for c in canonical)
    if not 6 <= digits <= 15 or not set(canonical) <= set("+0123456789 -()"):
        raise bad_input(field, "must be a phone number: digits, spaces, '+', '-' and brackets")
    return canonical
