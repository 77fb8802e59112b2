"""The Starlette application: routes, middleware and the database pool's lifetime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hrvault.auth.throttle import CredentialThrottle
from hrvault.clock import Clock, SystemClock
from hrvault.config import Settings
from hrvault.db import DatabaseUrls, create_engine, session_factory
from hrvault.http.body_limit import BodySizeLimitMiddleware
from hrvault.http.cors import CORSAllowListMiddleware
from hrvault.http.health import healthz, readyz
from hrvault.http.request_id import RequestIdMiddleware
from hrvault.http.security_headers import SecurityHeadersMiddleware
from hrvault.schema.build import build_schema
from hrvault.schema.view import HrvaultGraphQL

THROTTLE_POOL_SIZE = 2


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

    clock = clock or SystemClock()
    # Credential attempts are counted on connections of their own: a request that holds
    # its connection while it waits for one to count on can then never starve the pool
    # it is waiting on.
    throttle_engine = create_engine(app_engine.url, pool_size=THROTTLE_POOL_SIZE)
    throttle = CredentialThrottle(
        session_factory(throttle_engine),
        clock,
        per_account=settings.credential_limit_account,
        per_address=settings.credential_limit_ip,
    )
    graphql = HrvaultGraphQL(
        build_schema(settings),
        settings=settings,
        clock=clock,
        sessions_factory=session_factory(app_engine),
        throttle=throttle,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.engine = app_engine
        try:
            yield
        finally:
            await throttle_engine.dispose()
            if owns_engine:
                await app_engine.dispose()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        middleware=_middleware(settings),
        lifespan=lifespan,
    )


def _middleware(settings: Settings) -> list[Middleware]:
    """Outermost first. Proxy headers come first so that everything after sees the
    client's own address and scheme (HSTS, ``__Host-`` cookies, throttling by address)."""
    stack = []
    if settings.trusted_proxies:
        # X-Forwarded-Proto/For are believed only from these addresses; from anyone
        # else they are ignored, so a client cannot claim HTTPS or another address.
        stack.append(
            Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
        )
    stack += [Middleware(RequestIdMiddleware), Middleware(SecurityHeadersMiddleware)]
    if settings.cors_origins:
        stack.append(Middleware(CORSAllowListMiddleware, origins=settings.cors_origins))
    stack.append(Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes))
    return stack
