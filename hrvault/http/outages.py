"""The answer when the database cannot serve a request: 503 with ``Retry-After``.

``OPERATION_TIMED_OUT`` when the request's deadline passed (``hrvault.deadline``),
``SERVICE_UNAVAILABLE`` when the database could not be reached or dropped the connection
(``hrvault.db.is_unreachable``). The client is told to wait one deadline before trying
again, and what became of its request (``outcome``).
"""

from __future__ import annotations

import math

from hrvault.errors import ErrorCode
from hrvault.http.refusals import RequestRefused

NOTHING_KEPT = "nothing it did was kept; try again later"
COMMIT_UNKNOWN = (
    "it was stopped while committing, and a commit whose answer never came may have been"
    " made: check whether the change was made before trying again"
)


def timed_out(timeout: float, outcome: str = NOTHING_KEPT) -> RequestRefused:
    return RequestRefused(
        503,
        ErrorCode.OPERATION_TIMED_OUT,
        f"the request ran longer than {timeout:g} seconds and was stopped; {outcome}",
        retry_after=_retry_after(timeout),
        details={"limitSeconds": timeout},
    )


def unreachable(timeout: float, outcome: str = NOTHING_KEPT) -> RequestRefused:
    return RequestRefused(
        503,
        ErrorCode.SERVICE_UNAVAILABLE,
        f"the database cannot be reached right now; {outcome}",
        retry_after=_retry_after(timeout),
    )


def _retry_after(timeout: float) -> int:
    return max(1, math.ceil(timeout))
