"""The one window every date and time a client sends must fall in.

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
SCALARS: dict[object, ScalarDefinition] = {date: BoundedDate, datetime: OffsetDateTime}
"""For ``strawberry.Schema(scalar_overrides=...)``."""
