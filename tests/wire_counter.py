"""A loopback proxy that counts the round trips the application makes to PostgreSQL.

It reads what the driver sends and counts the messages that end a round trip: a simple
``Query`` (BEGIN, COMMIT) or a ``Sync`` (each prepare, and each bind-and-execute of a
prepared statement). That is what asyncpg waits on, whatever SQLAlchemy logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

from tests.stall_proxy import StallingProxy

_NOT_STARTUP = {80877103, 80877104}  # SSLRequest, GSSENCRequest: the startup comes after


class _FrontendReader:
    """Splits one client's byte stream into protocol messages."""

    def __init__(self, counter: RoundTripCounter) -> None:
        self._counter = counter
        self._buffer = b""
        self._started = False
        self._statements: dict[str, str] = {}
        """Prepared statements by name, as this connection parsed them."""
        self._pending: str | None = None

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if not self._started:
                if len(self._buffer) < 8:
                    return
                length, code = struct.unpack("!ii", self._buffer[:8])
                if len(self._buffer) < length:
                    return
                self._buffer = self._buffer[length:]
                self._started = code not in _NOT_STARTUP
                continue
            if len(self._buffer) < 5:
                return
            kind = self._buffer[:1]
            (length,) = struct.unpack("!i", self._buffer[1:5])
            if len(self._buffer) < 1 + length:
                return
            body, self._buffer = self._buffer[5 : 1 + length], self._buffer[1 + length :]
            self._message(kind, body)

    def _message(self, kind: bytes, body: bytes) -> None:
        if kind == b"Q":
            self._counter.record(body.rstrip(b"\0").decode())
        elif kind == b"P":
            name, query = (part.decode() for part in body.split(b"\0")[:2])
            self._statements[name] = query
            self._pending = "prepare: " + query
        elif kind == b"B":
            name = body.split(b"\0")[1].decode()
            self._pending = self._statements.get(name, "execute a statement prepared earlier")
        elif kind == b"S" and self._pending is not None:
            self._counter.record(self._pending)
            self._pending = None


class RoundTripCounter(StallingProxy):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._clients: dict[asyncio.StreamReader, _FrontendReader] = {}
        self.round_trips: list[str] = []

    def record(self, what: str) -> None:
        self.round_trips.append(" ".join(what.split()))

    def reset(self) -> None:
        self.round_trips.clear()

    async def _accept(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        self._clients[client_in] = _FrontendReader(self)
        try:
            await super()._accept(client_in, client_out)
        finally:
            del self._clients[client_in]

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        reader = self._clients.get(source)
        if reader is None:
            await super()._pipe(source, sink)
            return
        with contextlib.suppress(OSError):  # either side closed: the pipe ends
            while data := await source.read(65536):
                reader.feed(data)
                sink.write(data)
                await sink.drain()
        sink.transport.abort()
