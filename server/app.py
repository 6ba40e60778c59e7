"""The Starlette application: create_app wires settings, database, jobs and the doors."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from federation.document_cache import DocumentCache
from federation.lookup import FederatedLookup
from federation.negotiation import ProfileAliases
from federation.routes import routes as federation_routes
from federation.runtime import Federation, Transport
from server import ROOT
from server.api.mastodon.routes import routes as api_routes
from server.bus import make_bus
from server.clock import Clock
from server.config import Settings
from server.db import check_schema, make_engine, make_sessions, migrate, outage_errors
from server.jobs import ArqJobs, InProcessJobs
from server.ratelimit import RateLimits
from server.services import sessions
from server.services.errors import ServiceError
from server.services.grant_cache import GrantCache
from server.services.kept_orders import KeptOrders
from server.urls import Urls
from server.web import errors
from server.web.front import Front
from server.web.pagecache import SESSION_COOKIE, PublicPageCache
from server.web.routes import routes as web_routes

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    apply_migrations: bool | None = None,
    run_jobs: bool = True,
    federation_transport: Transport | None = None,
) -> Starlette:
    """Build the web app. Migrations run at start on SQLite unless told otherwise;
    `run_jobs=False` leaves jobs to be drained by hand (tests); `federation_transport`
    replaces the network for outgoing federation (tests connect instances with it)."""
    clock = clock or Clock()
    migrate_at_start = settings.is_sqlite if apply_migrations is None else apply_migrations

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        try:
            if migrate_at_start:
                await migrate(engine)
            else:
                await check_schema(engine)
            bus = make_bus(settings.redis_url)
            await bus.start()
            app.state.bus = bus
            app.state.grants = GrantCache(bus)
            app.state.orders = KeptOrders(bus)
            sessions = make_sessions(engine, bus)
            app.state.engine = engine
            app.state.sessions = sessions
            federation = Federation.create(
                settings, sessions, clock, federation_transport, urls=app.state.urls
            )
            federation.bus = bus
            app.state.federation = federation
            app.state.remote_lookup = FederatedLookup(federation)
            app.state.jobs = (
                ArqJobs(settings.redis_url, bus)
                if settings.redis_url
                else InProcessJobs(sessions, clock, federation, bus)
            )
            if run_jobs or settings.redis_url:
                await app.state.jobs.start()
            # Start-up objects live as long as the process: keep the collector from
            # walking them again and again (a full pass took 200+ ms on a loaded host).
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                await app.state.jobs.stop()
                await app.state.rate_limits.close()
                await federation.close()
                await bus.stop()
        finally:
            await engine.dispose()

    settings.media_dir.mkdir(parents=True, exist_ok=True)
    app = Starlette(
        routes=[
            *federation_routes,
            *api_routes,
            *web_routes,
            Mount("/static", StaticFiles(directory=ROOT / "static"), name="static"),
            Mount("/media", StaticFiles(directory=settings.media_dir), name="media"),
        ],
        middleware=[
            # Outermost: a kept document is sent before any other middleware runs.
            Middleware(
                DocumentCache,
                max_bytes=settings.document_cache_mb * 1_048_576,
                clock=clock,
            ),
            Middleware(
                Front,
                https=bool(settings.https),
                max_bytes=settings.max_body_bytes,
                max_upload_bytes=settings.max_upload_bytes,
                # Web pages only: the client API and the inboxes never use the cookie.
                web=lambda inner: ProfileAliases(
                    SessionMiddleware(
                        inner,
                        secret_key=settings.secret_key,
                        session_cookie=SESSION_COOKIE,
                        # The cookie names a server-side session (server/services/sessions.py),
                        # which ends on its own after the same time unused.
                        max_age=int(sessions.LIFETIME.total_seconds()),
                        same_site="lax",
                        https_only=bool(settings.https),
                    )
                ),
            ),
        ],
        exception_handlers={
            HTTPException: errors.http_error,
            ServiceError: errors.service_error,
            **dict.fromkeys(outage_errors(settings.database_url), errors.database_unavailable),
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.urls = Urls(settings.base_url)
    app.state.page_cache = PublicPageCache(settings.public_cache_seconds, clock)
    app.state.rate_limits = RateLimits(settings.redis_url, settings.login_attempts_per_5min)
    return app


def app_from_environment() -> Starlette:
    """The app for the settings in the environment (uvicorn's factory for --workers)."""
    import sys

    from server.config import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:  # one line, as `porch serve` says it, not a traceback
        print(f"porch: invalid setting {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return create_app(settings)
