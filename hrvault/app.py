"""The Starlette application: routes, middleware, the database pool and background duties."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from hrvault.audit.checkpoints import checkpoint_periodically
from hrvault.audit.signing import load_or_create_signer
from hrvault.auth.seed_sealing import load_or_create_sealer
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
    """Build the ASGI app. Pass ``engine`` to share a pool (tests), else ``database`` URLs;
    with URLs the app also signs audit checkpoints periodically (as the owner role)."""
    owns_engine = engine is None
    if engine is not None:
        app_engine = engine
    elif database is not None:
        app_engine = create_engine(database.app, pool_size=settings.db_pool_size)
    else:
        raise ValueError("create_app needs database URLs or an engine")
    clock = clock or SystemClock()
    signer = load_or_create_signer(settings.signing_key_path)

    graphql = HrvaultGraphQL(
        build_schema(),
        settings=settings,
        clock=clock,
        sessions_factory=session_factory(app_engine),
        audit_keys=signer.public(),
        seeds=load_or_create_sealer(settings.seed_key_path),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.engine = app_engine
        duties: list[asyncio.Task[None]] = []
        owner_engine = None
        if database is not None and settings.audit_checkpoint_interval > 0:
            owner_engine = create_engine(database.owner, pool_size=1)
            duties.append(
                asyncio.create_task(
                    checkpoint_periodically(
                        owner_engine, signer, clock, settings.audit_checkpoint_interval
                    )
                )
            )
        try:
            yield
        finally:
            for duty in duties:
                duty.cancel()
            await asyncio.gather(*duties, return_exceptions=True)
            if owner_engine is not None:
                await owner_engine.dispose()
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
