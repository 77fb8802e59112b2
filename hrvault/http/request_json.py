"""The JSON of a GraphQL request: one object, read strictly, or a typed 400."""

from __future__ import annotations

from hrvault import json_input
from hrvault.errors import ErrorCode
from hrvault.http.refusals import RequestRefused


def request_object(data: str | bytes) -> dict[str, object]:
    """A body (or GET's ``variables``) as a JSON object; an array is a batch, refused."""
    try:
        value = json_input.loads(data)
    except json_input.UnsafeJson as exc:
        raise RequestRefused(400, ErrorCode.BAD_REQUEST, str(exc)) from None
    if isinstance(value, list):
        raise RequestRefused(
            400,
            ErrorCode.BATCH_NOT_ALLOWED,
            "send one GraphQL request as a JSON object; batches (JSON arrays) are refused",
        )
    if not isinstance(value, dict):
        raise RequestRefused(400, ErrorCode.BAD_REQUEST, "expected a JSON object")
    return value
