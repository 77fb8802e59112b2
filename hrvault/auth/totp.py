"""TOTP arithmetic (RFC 6238 via pyotp), enrolment URIs with QR codes, recovery codes.

Pure functions: which time step a code matches, never whether it was used before — that
is decided in the database by advancing the last accepted step (see ``second_factor``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno

from hrvault.config import Secret

STEP_SECONDS = 30
DRIFT_STEPS = 1
ISSUER = "hrvault"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each
_RECOVERY_SYMBOLS = 20  # 100 bits


def new_seed() -> Secret:
    return Secret(pyotp.random_base32(length=32))  # 160 bits, as RFC 4226 recommends


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def matching_step(seed: Secret, code: str, now: datetime) -> int | None:
    """The step (now, one before or one after) whose code this is, else None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(seed.reveal(), interval=STEP_SECONDS)
    current = step_of(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            found = step if found is None else found
    return found


def code_at(seed: Secret, moment: datetime) -> str:
    """The code an authenticator shows at ``moment`` (used by tests and the demo)."""
    return pyotp.TOTP(seed.reveal(), interval=STEP_SECONDS).at(moment)


@dataclass(frozen=True)
class Enrollment:
    uri: Secret
    qr_svg_data_uri: Secret


def enrollment(seed: Secret, account: str) -> Enrollment:
    uri = pyotp.TOTP(seed.reveal(), interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=ISSUER
    )
    svg = segno.make(uri, error="m").svg_inline(scale=4)
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return Enrollment(Secret(uri), Secret(data_uri))


def new_recovery_codes() -> list[Secret]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_SYMBOLS))
        codes.append(Secret("-".join(raw[i : i + 5] for i in range(0, _RECOVERY_SYMBOLS, 5))))
    return codes


def recovery_digest(code: str) -> bytes:
    """SHA-256 of the normalised code: 100 random bits need no slow hash."""
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(b"hrvault-recovery-v1|" + normalised.encode()).digest()


def looks_like_recovery_code(code: str) -> bool:
    return len(code.strip().replace("-", "").replace(" ", "")) == _RECOVERY_SYMBOLS
