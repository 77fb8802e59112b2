"""A pull-based, streaming reader of ``multipart/form-data`` bodies.

Starlette's form parser reads the whole body before the application sees any of it
(spooling file parts, in clear, to temporary files). This reader hands the parts out one
at a time as the bytes arrive: small fields are read into memory up to a limit, and a
file part is an async stream of its bytes, so a file of any size passes through in
constant memory and the caller decides where it goes (and whether to read it at all).

python-multipart does the parsing (a push parser); its callbacks queue events that the
reader pulls. Memory held is one received chunk plus the field limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header


class MultipartError(Exception):
    """The body is not well-formed multipart, or a part is over its limit."""


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    """The ``filename`` parameter as sent (UTF-8, as browsers send it), if any."""
    content_type: str | None


_PART, _DATA, _PART_END, _END = range(4)
_MAX_HEADER_BYTES = 8 * 1024


def _decoded(raw: bytes) -> str:
    """Header parameters arrive as bytes; browsers send UTF-8 (WHATWG), old clients Latin-1."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class MultipartStream:
    def __init__(self, body: AsyncIterator[bytes], boundary: bytes) -> None:
        self._body = body
        self._events: deque[tuple[int, object]] = deque()
        self._finished = False
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._in_part = False
        try:
            self._parser = MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
                max_header_size=_MAX_HEADER_BYTES,
            )
        except (ValueError, MultipartParseError) as exc:
            raise MultipartError(f"unusable multipart boundary: {exc}") from None

    # parser callbacks ----------------------------------------------------------------------

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = bytes(self._header_field).decode("latin-1").strip().lower()
        self._headers[name] = bytes(self._header_value).decode("latin-1")
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get("content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise MultipartError("every part needs Content-Disposition: form-data; name=...")
        filename = options.get(b"filename")
        self._events.append(
            (
                _PART,
                Part(
                    name=_decoded(options[b"name"]),
                    filename=None if filename is None else _decoded(filename),
                    content_type=self._headers.get("content-type"),
                ),
            )
        )

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append((_DATA, data[start:end]))

    def _on_part_end(self) -> None:
        self._events.append((_PART_END, None))

    def _on_end(self) -> None:
        self._events.append((_END, None))

    # pulling ---------------------------------------------------------------------------------

    async def _next(self) -> tuple[int, object]:
        while not self._events:
            if self._finished:
                raise MultipartError("the multipart body ended before its closing boundary")
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._finished = True
                continue
            if not chunk:
                continue
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise MultipartError(f"malformed multipart body: {exc}") from None
        return self._events.popleft()

    async def next_part(self) -> Part | None:
        """The next part's headers (its data not read yet), or None after the last part.

        Data of a part the caller did not read is skipped.
        """
        while True:
            kind, value = await self._next()
            if kind == _PART and isinstance(value, Part):
                self._in_part = True
                return value
            if kind == _END:
                return None

    async def read(self, limit: int) -> bytes:
        """The rest of the current part, if it is at most ``limit`` bytes."""
        collected = bytearray()
        async for piece in self.stream():
            collected += piece
            if len(collected) > limit:
                raise MultipartError(f"a form field is over {limit} bytes")
        return bytes(collected)

    async def stream(self) -> AsyncIterator[bytes]:
        """The current part's data as it arrives."""
        while self._in_part:
            kind, value = await self._next()
            if kind == _DATA and isinstance(value, bytes):
                yield value
            elif kind == _PART_END:
                self._in_part = False
            else:
                raise MultipartError("a part ended without its boundary")
