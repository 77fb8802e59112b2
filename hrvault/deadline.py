"""A deadline that bounds a block of work, the database connections it uses included.

``asyncio.timeout`` alone does not bound work that talks to a database that has stalled
(it accepts connections and answers nothing): cancelling a statement makes the driver
send a cancel request and the clean-up roll back and return the connection, and against
a stalled server each of those waits without end. A connection left in the middle of a
statement would also break the next request that got it from the pool.

So at the deadline the block is cancelled *and* every connection it checked out is
terminated: its socket is closed at once, with nothing the server has to answer. The
clean-up then fails fast instead of waiting, the pool discards the connection, and the
block ends at the deadline. The server rolls back what the connection had open; a
statement still running there stops within ``client_connection_check_interval``
(``hrvault.db.create_engine`` sets it). Past the deadline no connection is made or
handed out to the block.

Only engines made by ``hrvault.db.create_engine`` (their pool is ``DeadlinePool``) take
part; work outside any deadline (background duties) is not affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "hrvault_deadline", default=None
)
_HOLDER = "hrvault_deadline"
"""Key in a pool entry's ``info``: the deadline that holds it while it is checked out."""


class Deadline:
    """``async with Deadline(seconds):`` runs its block for at most ``seconds``, clean-up
    included, and raises ``TimeoutError`` if the deadline passed (whatever the block
    raised then: a failure of a terminated connection is a consequence of the deadline)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._timeout: asyncio.Timeout | None = None
        self._terminator: asyncio.TimerHandle | None = None
        self._held: list[ConnectionPoolEntry] = []
        self._token: contextvars.Token[Deadline | None] | None = None

    async def __aenter__(self) -> Deadline:
        loop = asyncio.get_running_loop()
        self._timeout = asyncio.timeout_at(loop.time() + self.seconds)
        await self._timeout.__aenter__()
        self._arm(self._timeout.when())
        self._token = _CURRENT.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _CURRENT.reset(self._token)
        self._disarm()
        timeout = self._running()
        await timeout.__aexit__(exc_type, exc, traceback)
        if timeout.expired():
            raise TimeoutError(f"the deadline of {self.seconds:g} seconds passed") from exc

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the clock for a wait that has a timeout of its own and holds no connection
        (an upload's body arriving); the time left is kept for after it."""
        timeout = self._running()
        loop = asyncio.get_running_loop()
        when = timeout.when()
        left = (when if when is not None else loop.time()) - loop.time()
        timeout.reschedule(None)
        self._disarm()
        try:
            yield
        finally:
            resumed = loop.time() + left
            timeout.reschedule(resumed)
            self._arm(resumed)

    def hold(self, entry: ConnectionPoolEntry) -> None:
        """The entry was checked out inside the block: it ends with the deadline."""
        entry.info[_HOLDER] = self
        self._held.append(entry)
        if self.expired:
            _terminate(entry)

    def _running(self) -> asyncio.Timeout:
        if self._timeout is None:
            raise RuntimeError("use the deadline with `async with`")
        return self._timeout

    def _arm(self, when: float | None) -> None:
        if when is not None:
            self._terminator = asyncio.get_running_loop().call_at(when, self._expire)

    def _disarm(self) -> None:
        if self._terminator is not None:
            self._terminator.cancel()
            self._terminator = None

    def _expire(self) -> None:
        self.expired = True
        for entry in self._held:
            if entry.info.get(_HOLDER) is self:
                _terminate(entry)


def _terminate(entry: ConnectionPoolEntry) -> None:
    """Close the driver's connection now, without waiting for the server (asyncpg's
    ``terminate``); the pool invalidates the entry when the connection next fails."""
    driver: Any = entry.driver_connection
    if driver is not None:
        driver.terminate()


def refuse_connect_after_deadline(*_: object) -> None:
    """A ``do_connect`` listener: a block past its deadline gets no new connection (a
    connect to a stalled server would wait for the driver's own, much longer, timeout)."""
    deadline = _CURRENT.get()
    if deadline is not None and deadline.expired:
        raise TimeoutError("the deadline passed; no new database connection")


class DeadlinePool(AsyncAdaptedQueuePool):
    """The connection pool of hrvault's engines: a connection checked out inside a
    ``Deadline`` is held by it until it comes back, so the deadline can end it."""

    _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"  # where SQLAlchemy logs

    def _do_get(self) -> ConnectionPoolEntry:
        entry = super()._do_get()
        deadline = _CURRENT.get()
        if deadline is not None:
            deadline.hold(entry)
        return entry

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        record.info.pop(_HOLDER, None)
        super()._do_return_conn(record)
