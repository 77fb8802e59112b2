"""A loopback TCP proxy in front of the test database, owned by the test: it can stall
(keep every connection open and pass nothing on, as a database that hangs does) and go
down (refuse new connections and drop the open ones, as a database that stopped does)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy.engine import URL

_SOCKET_NAME = ".s.PGSQL.{port}"


class StallingProxy:
    def __init__(self, upstream: URL) -> None:
        self._upstream = upstream
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    def url(self) -> URL:
        """The upstream URL, reached through the proxy."""
        return self._upstream.set(host="127.0.0.1", port=self.port).difference_update_query(
            ["host"]
        )

    async def up(self) -> None:
        """Listen (again, on the same port once it has one) and forward."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        """Refuse connections and drop every open one."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def close(self) -> None:
        self.resume()
        await self.down()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        socket_dir = self._upstream.query.get("host")
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):
            port = self._upstream.port or 5432
            path = Path(socket_dir) / _SOCKET_NAME.format(port=port)
            return await asyncio.open_unix_connection(str(path))
        return await asyncio.open_connection(self._upstream.host, self._upstream.port or 5432)

    async def _accept(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        server_in, server_out = await self._open_upstream()
        self._writers.update((client_out, server_out))
        pipes = [
            asyncio.create_task(self._pipe(client_in, server_out)),
            asyncio.create_task(self._pipe(server_in, client_out)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self._pipes.difference_update(pipes)
            for writer in (client_out, server_out):
                self._writers.discard(writer)
                writer.transport.abort()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Bytes that arrive during a stall wait here, as in a stopped server's socket."""
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                await self._flowing.wait()
                sink.write(data)
                await sink.drain()
        sink.transport.abort()
