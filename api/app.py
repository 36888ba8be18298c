"""The Starlette application: /graphql behind bearer-token authentication, and health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api import jobs
from api.authentication import (
    Authentication,
    BearerTokenBackend,
    PrincipalUser,
    SignInOnConnect,
    with_stored_grants,
)
from api.limits import BodyLimit, RateLimit
from api.outages import DatabaseUnreachable, Unavailable
from api.refusals import Cors, cors_options, http_exception, refusal
from api.settings import Settings
from authz.principal import ANONYMOUS
from domain.database import create_engine, request_sessions
from domain.workflow.steps import Runner
from schema.core.context import Context
from schema.root import UNREACHABLE, build_schema

logger = logging.getLogger(__name__)


class GroupcoverGraphQL(GraphQL[Context, None]):
    """The GraphQL endpoint; each request gets its own session, closed when it ends."""

    graphql_transport_ws_handler_class = SignInOnConnect

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        runner: Runner | None = None,
        backend: BearerTokenBackend | None = None,
    ) -> None:
        super().__init__(
            build_schema(production=settings.production, limits=settings.query_limits),
            graphql_ide=None if settings.production else "graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # A browser sends no CORS preflight before a WebSocket: strawberry checks `Origin`.
            allowed_origins=settings.cors_origins,
        )
        self.backend = backend or BearerTokenBackend(settings, sessions)
        self.sessions = sessions
        self.policy_limits = settings.policy_limits
        self.database_url = settings.database_url
        self.runner = runner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # strawberry answers a request it cannot run (a batch, a GET mutation, a body that is
        # not JSON) in plain text; here it gets the JSON every other refusal gets.
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:
            response = refusal(error.status_code, error.reason)
        await response(scope, receive, send)

    async def get_sub_response(self, request: Any) -> Response:
        # GraphQL over HTTP: a client that accepts application/graphql-response+json gets it,
        # with 4xx for a request that never ran (see process_result).
        sub_response = await super().get_sub_response(request)
        if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            sub_response.media_type = GRAPHQL_RESPONSE
            request.state.sub_response = sub_response
        return sub_response

    async def process_result(self, request: Any, result: Any) -> Any:
        if any(_code(error) == UNREACHABLE for error in getattr(result, "errors", None) or ()):
            raise DatabaseUnreachable  # the whole request gets 503 (api.outages)
        data = await super().process_result(request, result)
        sub_response = getattr(request.state, "sub_response", None)
        if sub_response is not None and _never_ran(result):
            # The document did not parse or validate, or its variables did not coerce.
            data.pop("data", None)
            sub_response.status_code = 400
        return data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response

    async def get_context(self, request: Any, response: Any) -> Context:
        # Only the GraphiQL page itself gets here unauthenticated (see BearerTokenBackend);
        # it runs no operation, and an anonymous principal is granted nothing.
        user = request.user
        principal = user.principal if isinstance(user, PrincipalUser) else ANONYMOUS
        session = request.state.session
        principal = await with_stored_grants(session, principal)
        return Context(
            session=session,
            principal=principal,
            request=request,
            policy_limits=self.policy_limits,
            runner=self.runner,
            database_url=self.database_url,
        )


GRAPHQL_RESPONSE = "application/graphql-response+json"


def _code(error: Any) -> Any:
    return (getattr(error, "extensions", None) or {}).get("code")


def _never_ran(result: Any) -> bool:
    """Whether a result is a request error: errors, no data, and none at a field's path."""
    errors = getattr(result, "errors", None) or []
    return (
        getattr(result, "data", None) is None
        and bool(errors)
        and all(not getattr(error, "path", None) for error in errors)
    )


class SessionMiddleware:
    """Open one database session per request and close it when the response is sent."""

    def __init__(self, app: ASGIApp, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self.sessions() as session:
            scope.setdefault("state", {})["session"] = session
            await self.app(scope, receive, send)


async def healthz(_request: Request) -> Response:
    """The process is up."""
    return JSONResponse({"status": "ok"})


def _readyz(sessions: async_sessionmaker[AsyncSession]) -> Any:
    async def readyz(_request: Request) -> Response:
        """The database answers: 200, else 503 (without saying why: it may hold internals)."""
        try:
            async with sessions() as session:
                await session.execute(sa.text("SELECT 1"))
        except Exception:
            logger.exception("readiness check failed")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    return readyz


def _background(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], runner: Any
) -> tuple[Any, Any]:
    """The runner of workflow server steps, and the lifespan that starts and stops it.

    On PostgreSQL steps are procrastinate jobs for `groupcover worker`; on SQLite they run
    here, and so does the sweep that escalates overdue tasks. Tests pass their own runner.
    """
    if runner is not None:
        return runner, None
    if settings.database_url.startswith("postgresql"):
        queued = jobs.Queued(jobs.jobs)

        @asynccontextmanager
        async def with_queue(_app: Starlette) -> AsyncIterator[None]:
            async with jobs.queue_on(settings.database_url) as queue:
                queued.app = queue
                yield

        return queued, with_queue
    local = jobs.InProcess(sessions, settings.policy_limits)

    @asynccontextmanager
    async def with_sweeps(_app: Starlette) -> AsyncIterator[None]:
        sweeping = asyncio.create_task(local.run_sweeps())
        try:
            yield
        finally:
            sweeping.cancel()

    return local, with_sweeps


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    runner: Runner | None = None,
) -> Starlette:
    """Build the application; tests pass their own session factory and runner."""
    if sessions is None:
        engine = engine or create_engine(
            settings.database_url, statement_timeout_ms=settings.statement_timeout_ms
        )
        sessions = request_sessions(engine)
    runner, lifespan = _background(settings, sessions, runner)
    backend = BearerTokenBackend(settings, sessions)
    graphql = GroupcoverGraphQL(sessions, settings, runner, backend)
    protected = Unavailable(
        BodyLimit(
            Authentication(
                RateLimit(SessionMiddleware(graphql, sessions), settings.rate_per_minute),
                backend=backend,
                failures_per_minute=settings.auth_failures_per_minute,
            ),
            settings.max_body_bytes,
        )
    )
    app = Starlette(
        debug=False,
        routes=[
            Route("/graphql", protected),
            WebSocketRoute("/graphql", protected),
            Route("/healthz", healthz),
            Route("/readyz", _readyz(sessions)),
        ],
        # Outside authentication, so that a preflight needs no token and a 401 is readable.
        middleware=[Middleware(Cors, **cors_options(settings.cors_origins))],
        exception_handlers={StarletteHTTPException: http_exception},
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.runner = runner
    return app
