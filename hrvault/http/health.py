"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

from hrvault.deadline import Deadline

READINESS_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving HTTP."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The process can reach its database: take traffic. A database that stalls makes
    this answer "unavailable" at the deadline, connection clean-up included."""
    engine: AsyncEngine = request.app.state.engine
    try:
        async with Deadline(READINESS_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
