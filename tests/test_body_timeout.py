"""Bodies that arrive too slowly are cut off with a typed 408.

These go through a real HTTP server (uvicorn on a loopback port) and a raw socket, since
only a real server waits for the bytes that a ``Content-Length`` promised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.app import create_app
from hrvault.clock import ManualClock
from hrvault.config import Settings

BODY = json.dumps({"query": "{ __typename }"}).encode()
GUARD = 15  # seconds: a hang fails the test instead of the suite


@contextlib.asynccontextmanager
async def served(settings: Settings, engine: AsyncEngine, clock: ManualClock) -> AsyncIterator[int]:
    """The app behind uvicorn on a free loopback port, with a one-second body timeout."""
    app = create_app(replace(settings, body_timeout_seconds=1.0), engine=engine, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await serving


async def post(port: int, declared: int, pieces: list[bytes], pause: float) -> tuple[int, Any]:
    """POST /graphql declaring ``declared`` bytes, sending ``pieces`` ``pause`` seconds
    apart; the status and JSON body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: hrvault.test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {declared}\r\n\r\n".encode()
    )

    async def send_slowly() -> None:
        with contextlib.suppress(OSError):  # the server may hang up first
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(pause)

    sending = asyncio.create_task(send_slowly())
    try:
        async with asyncio.timeout(GUARD):
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
            body = await reader.readexactly(int(headers["content-length"]))
    finally:
        sending.cancel()
        writer.close()
    assert headers["content-type"] == "application/json"
    return int(lines[0].split()[1]), json.loads(body)


async def test_a_body_sent_at_once_is_answered(
    settings: Settings, app_engine: AsyncEngine, clock: ManualClock
) -> None:
    async with served(settings, app_engine, clock) as port:
        status, body = await post(port, len(BODY), [BODY], pause=0)
    assert (status, body) == (200, {"data": {"__typename": "Query"}})


async def test_a_trickled_body_is_cut_off_with_a_408(
    settings: Settings, app_engine: AsyncEngine, clock: ManualClock
) -> None:
    bytewise = [BODY[i : i + 1] for i in range(len(BODY))]  # about eight seconds in all
    async with served(settings, app_engine, clock) as port:
        status, body = await post(port, len(BODY), bytewise, pause=0.25)
    assert status == 408
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_TIMED_OUT"


async def test_a_body_shorter_than_its_content_length_is_cut_off_with_a_408(
    settings: Settings, app_engine: AsyncEngine, clock: ManualClock
) -> None:
    async with served(settings, app_engine, clock) as port:
        status, body = await post(port, len(BODY) + 100, [BODY], pause=0)
    assert status == 408
    assert body["errors"][0]["extensions"]["code"] == "OPERATION_TIMED_OUT"
