"""Input checks shared by the mutations. Each failure names the offending field."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date

from hrvault.errors import bad_input

# ISO 3166-1 alpha-2, as assigned.
COUNTRY_CODES = frozenset(
    (
        "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO "
        "BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ "
        "DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP "
        "GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG "
        "KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML "
        "MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE "
        "PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL "
        "SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM "
        "US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
    ).split()
)


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise bad_input(field, "is not a valid id") from None


def text(value: str, field: str, *, max_length: int, min_length: int = 1) -> str:
    value = value.strip()
    if not min_length <= len(value) <= max_length:
        raise bad_input(field, f"must be {min_length} to {max_length} characters")
    if any(ord(c) < 32 for c in value):
        raise bad_input(field, "must not contain control characters")
    return value


def optional_text(value: str | None, field: str, *, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return text(value, field, max_length=max_length)


def country_code(value: str, field: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise bad_input(field, "must be an ISO 3166-1 alpha-2 country code")
    return code


def timezone(value: str, field: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise bad_input(field, "must be an IANA time zone such as Europe/Stockholm") from None
    return value


def date_range(start: date, end: date | None, field: str) -> None:
    if end is not None and end < start:
        raise bad_input(field, "must not be before the start date")
