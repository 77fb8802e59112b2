"""Database connections: the owner (migrations) and the unprivileged application role.

Requests are served by ``hrvault_app``, a role that owns no table and has no BYPASSRLS,
so PostgreSQL's row-level security applies to every statement it runs. Each request runs
in one transaction bound to its tenant with a transaction-local setting that the
row-level security policies read; a pooled connection therefore never carries a tenant
from one request into the next.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from hrvault.config import Settings
from hrvault.deadline import DeadlinePool, refuse_connect_after_deadline
from hrvault.embedded_db import start_embedded_postgres

APP_ROLE = "hrvault_app"
TENANT_SETTING = "hrvault.tenant_id"
LOGIN_SLUG_SETTING = "hrvault.login_slug"


@dataclass(frozen=True)
class DatabaseUrls:
    owner: URL
    app: URL

    def __repr__(self) -> str:
        return f"DatabaseUrls(owner={self.owner!r}, app={self.app!r})"  # URL hides passwords


def _asyncpg(url: URL) -> URL:
    return url.set(drivername="postgresql+asyncpg")


def resolve_database(settings: Settings) -> DatabaseUrls:
    """Where to connect; starts the embedded server when no database URL is configured."""
    if settings.database_url is None:
        owner = start_embedded_postgres(settings.data_dir)
    else:
        owner = _asyncpg(make_url(settings.database_url.reveal()))
    if settings.app_database_url is not None:
        app = _asyncpg(make_url(settings.app_database_url.reveal()))
    else:
        app = owner.set(username=APP_ROLE, password=None)
    return DatabaseUrls(owner=owner, app=app)


CLIENT_CHECK_INTERVAL = "1s"
"""How often PostgreSQL checks, while a statement runs, that its client is still there: a
connection ended at a request's deadline (``hrvault.deadline``) stops its statement soon."""


def create_engine(url: URL, *, pool_size: int = 5) -> AsyncEngine:
    """An engine whose connections end with the deadline they were checked out under."""
    engine = create_async_engine(
        url,
        poolclass=DeadlinePool,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={
            "server_settings": {
                "application_name": "hrvault",
                "jit": "off",
                "client_connection_check_interval": CLIENT_CHECK_INTERVAL,
            }
        },
    )
    event.listen(engine.sync_engine, "do_connect", refuse_connect_after_deadline)
    event.listen(engine.sync_engine.pool, "checkout", discard_closed)
    return engine


def discard_closed(_dbapi: object, entry: ConnectionPoolEntry, _proxy: object) -> None:
    """Instead of a pre-ping (three round trips at every checkout): a connection whose
    socket is known closed (dropped by the server while idle, or terminated at a
    deadline) is replaced at once. One that dies unnoticed fails its first statement,
    and a request retries its authentication once (``HrvaultGraphQL``)."""
    driver: Any = entry.driver_connection
    if driver is None or driver.is_closed():
        raise exc.DisconnectionError("the connection was closed while idle in the pool")


_UNREACHABLE = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    socket.gaierror,
    exc.TimeoutError,  # no connection free in the pool
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def is_unreachable(error: BaseException) -> bool:
    """Whether the database could not be reached or dropped the connection, rather than
    refused a statement: the same request may well succeed when tried again later."""
    current: BaseException | None = error
    for _ in range(8):  # the driver's error, wrapped by SQLAlchemy's, wrapped by ours
        if current is None:
            return False
        if isinstance(current, _UNREACHABLE):
            return True
        if isinstance(current, exc.DBAPIError):
            if current.connection_invalidated:
                return True
            current = current.orig
        else:
            current = current.__cause__
    return False


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


_BIND_TENANT = text("SELECT set_config(:name, :value, true)")


async def bind_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Scope the current transaction to one tenant; row-level security reads this."""
    await session.execute(_BIND_TENANT, {"name": TENANT_SETTING, "value": str(tenant_id)})
