"""The Starlette application: routes, middleware and the database pool's lifetime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from hrvault.clock import Clock, SystemClock
from hrvault.config import Settings
from hrvault.db import DatabaseUrls, create_engine, session_factory
from hrvault.http.body_limit import BodySizeLimitMiddleware
from hrvault.http.health import healthz, readyz
from hrvault.http.request_id import RequestIdMiddleware
from hrvault.http.security_headers import SecurityHeadersMiddleware
from hrvault.schema.build import build_schema
from hrvault.schema.view import HrvaultGraphQL


def create_app(
    settings: Settings,
    *,
    database: DatabaseUrls | None = None,
    engine: AsyncEngine | None = None,
    clock: Clock | None = None,
) -> Starlette:
    """Build the ASGI app. Pass ``engine`` to share a pool (tests), else ``database`` URLs."""
    owns_engine = engine is None
    if engine is not None:
        app_engine = engine
    elif database is not None:
        app_engine = create_engine(database.app, pool_size=settings.db_pool_size)
    else:
        raise ValueError("create_app needs database URLs or an engine")

    graphql = HrvaultGraphQL(
        build_schema(),
        settings=settings,
        clock=clock or SystemClock(),
        sessions_factory=session_factory(app_engine),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.engine = app_engine
        try:
            yield
        finally:
            if owns_engine:
                await app_engine.dispose()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(SecurityHeadersMiddleware),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
