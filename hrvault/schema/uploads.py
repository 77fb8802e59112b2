"""GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec),
read as a stream.

The spec puts ``operations`` and ``map`` before the files, so the operation is known
before any file byte arrives. This reader parses those two fields, checks the map, and
puts an ``IncomingFile`` where the map says, *without reading the file*: the view
receives it once the caller is authenticated, under the tenant's size limit
(``hrvault.documents.incoming``).

Narrower than the spec on purpose: at most one file per request, mapped to one top-level
variable (``variables.<name>``), which is all ``uploadDocument`` needs.

Browsers send ``multipart/form-data`` cross-site without a CORS preflight, and Strawberry
checks nothing for it, so a multipart request must carry a header that no simple request
can: ``X-Requested-With`` or ``Apollo-Require-Preflight`` (any value). A page on another
site cannot add either without a preflight, which CORS then refuses.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request

from hrvault import json_input
from hrvault.auth.principal import PrincipalKind, SessionStage
from hrvault.documents.incoming import IncomingFile
from hrvault.errors import ErrorCode, PayloadTooLarge
from hrvault.http.multipart import MultipartError, MultipartStream
from hrvault.http.refusals import RequestRefused
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.document_categories import tenant_document_limit

CSRF_HEADERS = ("x-requested-with", "apollo-require-preflight")
MULTIPART_ALLOWANCE = 64 * 1024
"""Room for the operation, the map and the part headers on top of a file's own bytes."""
_VARIABLE_PATH = re.compile(r"^variables\.([_A-Za-z][_0-9A-Za-z]*)$")


def _refused(message: str) -> RequestRefused:
    return RequestRefused(400, ErrorCode.BAD_REQUEST, message)


def has_csrf_header(request: Request) -> bool:
    return any(request.headers.get(name) for name in CSRF_HEADERS)


def pending_upload(request: Request) -> IncomingFile | None:
    upload: IncomingFile | None = getattr(request.state, "upload", None)
    return upload


async def parse_multipart_request(
    request: Request,
    boundary: str | None,
    *,
    decode_json: Callable[[str | bytes], object],
    field_limit: int,
) -> dict[str, Any]:
    """The request's ``operations`` with its file (if any) in place, unread."""
    if not has_csrf_header(request):
        raise _refused(
            "a multipart request needs an X-Requested-With or Apollo-Require-Preflight header"
        )
    if not boundary:
        raise _refused("the multipart content type has no boundary")
    try:
        stream = MultipartStream(request.stream().__aiter__(), boundary.encode("latin-1"))
        operations = decode_json(await _field(stream, "operations", field_limit))
        files_map = json_input.loads(await _field(stream, "map", field_limit))
    except (MultipartError, UnicodeEncodeError) as exc:
        raise _refused(str(exc)) from None
    except json_input.UnsafeJson as exc:
        raise _refused(f"the multipart `map` is not usable JSON: {exc}") from None
    if not isinstance(operations, dict):  # decode_json refused arrays (batches) already
        raise _refused("`operations` must be one GraphQL request object")
    if not isinstance(files_map, dict):
        raise _refused("the multipart `map` must be an object")
    if not files_map:
        return operations
    if len(files_map) > 1:
        raise _refused("send one file per request")
    ((key, paths),) = files_map.items()
    if not isinstance(paths, list) or len(paths) != 1 or not isinstance(paths[0], str):
        raise _refused("the file must be mapped to exactly one variable")
    matched = _VARIABLE_PATH.match(paths[0])
    variables = operations.get("variables")
    if matched is None or not isinstance(variables, dict):
        raise _refused("the file must be mapped to a top-level variable: variables.<name>")
    if variables.get(matched.group(1)) is not None:
        raise _refused("the variable a file is mapped to must be null in `operations`")
    try:
        part = await stream.next_part()
    except MultipartError as exc:
        raise _refused(str(exc)) from None
    if part is None or part.name != key or part.filename is None:
        raise _refused(f"the file part {key!r} must follow the map")
    upload = IncomingFile(part.filename, part.content_type, stream.stream())
    variables[matched.group(1)] = upload
    request.state.upload = upload
    return operations


async def _field(stream: MultipartStream, name: str, limit: int) -> bytes:
    part = await stream.next_part()
    if part is None or part.name != name or part.filename is not None:
        raise MultipartError("the multipart request must start with `operations`, then `map`")
    return await stream.read(limit)


async def upload_limit_for(context: RequestContext) -> int | None:
    """The tenant's size limit when a signed-in user's upload is to be received now.

    Anyone else's upload is left unread (the operation refuses them). A declared
    length over the limit is refused before a byte of the body is read. The
    authentication's transaction then ends, so no connection is held while the file
    arrives; the operation's transaction is bound to the tenant again after.
    """
    principal = context.principal
    if (
        pending_upload(context.request) is None
        or principal is None
        or principal.kind is not PrincipalKind.USER
        or principal.stage is not SessionStage.FULL
    ):
        return None
    limit = await tenant_document_limit(context.db, principal.tenant_id)
    declared = context.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_ALLOWANCE:
        raise RequestRefused(
            413,
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"the file is larger than this company's limit of {limit} bytes",
            details={"maxBytes": limit},
        )
    await context.db.commit()
    return limit


async def receive_upload(context: RequestContext, limit: int) -> float:
    """Receive the multipart request's file (its own timeout); the seconds it took."""
    upload = pending_upload(context.request)
    if upload is None:  # upload_limit_for said there is one
        raise RuntimeError("no upload to receive")
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with asyncio.timeout(context.settings.upload_timeout_seconds):
            await upload.receive(max_bytes=limit, spool_dir=context.settings.upload_spool_path)
    except PayloadTooLarge as exc:
        raise RequestRefused(
            413, ErrorCode.PAYLOAD_TOO_LARGE, exc.message, details={"maxBytes": limit}
        ) from None
    except TimeoutError:
        raise RequestRefused(
            408,
            ErrorCode.OPERATION_TIMED_OUT,
            "the file took longer than"
            f" {context.settings.upload_timeout_seconds:g} seconds to arrive",
        ) from None
    except (MultipartError, ClientDisconnect) as exc:
        raise RequestRefused(400, ErrorCode.BAD_REQUEST, f"upload incomplete: {exc}") from None
    return loop.time() - started
