"""The scalars a client sends, checked once for every argument and input field.

Dates and times fall in one window; decimals are finite numbers of sensible size.

Dates in HR data are days of working lives: nothing before 1900, nothing more than
``HORIZON_YEARS`` ahead. Every ``Date`` and ``DateTime`` argument and input field passes
through these scalars, so no resolver meets the year 9999 (where ``end + 1 day``
overflows) or a time without its offset (which cannot be compared with stored times).
A value outside the window is ``BAD_USER_INPUT``, as a malformed one is.

Rules that belong to one field stay with that field: a birth date is in the past
(``identifiers.birth_date``), an end is not before its start (``validation.date_range``).
The window's end moves with the server's calendar, not the request clock: it is a bound
on sense, not a deadline.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from strawberry.types.scalar import ScalarDefinition

from hrvault.errors import BadUserInput

EARLIEST = date(1900, 1, 1)
HORIZON_YEARS = 50


def latest() -> date:
    """The last day accepted: 31 December, ``HORIZON_YEARS`` years from now."""
    return date(datetime.now(UTC).year + HORIZON_YEARS, 12, 31)


def _within_window(day: date) -> None:
    last = latest()
    if not EARLIEST <= day <= last:
        raise BadUserInput(f"dates must be from {EARLIEST.isoformat()} to {last.isoformat()}")


def parse_date(value: object) -> date:
    if not isinstance(value, str):
        raise BadUserInput("a date is a string: YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadUserInput("a date is written YYYY-MM-DD") from None
    _within_window(day)
    return day


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise BadUserInput("a date and time is a string: ISO 8601 with its offset")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadUserInput("a date and time is written ISO 8601, e.g. 2026-03-01T09:00Z") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadUserInput("a date and time needs its offset from UTC, e.g. Z or +01:00")
    _within_window(moment.date())
    return moment


MAX_DECIMAL_CHARACTERS = 40


def parse_decimal(value: object) -> Decimal:
    """A finite decimal: ``NaN`` would fail every comparison a resolver makes with it."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadUserInput("a decimal is a number or a string such as 1234.50")
    text = str(value).strip()
    if len(text) > MAX_DECIMAL_CHARACTERS:
        raise BadUserInput(f"a decimal has at most {MAX_DECIMAL_CHARACTERS} characters")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadUserInput("a decimal is a number such as 1234.50") from None
    if not number.is_finite() or abs(number.adjusted()) > MAX_DECIMAL_CHARACTERS:
        raise BadUserInput("a decimal is a finite number such as 1234.50")
    return number


def _isoformat(value: date) -> str:
    return value.isoformat()


BoundedDate = ScalarDefinition(
    name="Date",
    description=f"A day, YYYY-MM-DD, from 1900-01-01 to {HORIZON_YEARS} years ahead.",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=parse_date,
    parse_literal=None,
)
OffsetDateTime = ScalarDefinition(
    name="DateTime",
    description=(
        "A moment, ISO 8601 with its offset from UTC (e.g. 2026-03-01T09:00:00+01:00), "
        f"from 1900 to {HORIZON_YEARS} years ahead."
    ),
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=parse_datetime,
    parse_literal=None,
)
FiniteDecimal = ScalarDefinition(
    name="Decimal",
    description="A finite decimal number, as a string (1234.50) or a JSON number.",
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal,
    parse_literal=None,
)
SCALARS: dict[object, ScalarDefinition] = {
    date: BoundedDate,
    datetime: OffsetDateTime,
    Decimal: FiniteDecimal,
}
"""For ``strawberry.Schema(scalar_overrides=...)``."""
