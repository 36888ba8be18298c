"""The Starlette application: /graphql behind bearer-token authentication, and health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from cross_web import HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute, request_response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api import downloads, jobs, mailer, metrics, observe, traces
from api.authentication import (
    Authentication,
    BearerTokenBackend,
    PrincipalUser,
    with_stored_grants,
)
from api.deliveries import LocalDeliveries
from api.limits import BodyLimit, NestedTooDeep, RateBuckets, RateLimit, check_nesting
from api.outages import DatabaseUnreachable, Unavailable
from api.persisted import Refused, TrustedDocuments, TrustedSubscriptions
from api.refusals import Cors, cors_options, http_exception, refusal
from api.settings import Settings, database_engine
from api.sockets import GuardedSocket, Sockets
from authz.principal import ANONYMOUS
from domain.database import request_sessions
from domain.documents import kinds
from domain.mail.service import on_queued
from domain.workflow import scripts
from domain.workflow.steps import Runner
from schema.core.context import Context
from schema.root import UNREACHABLE, build_schema

logger = logging.getLogger(__name__)


class Socket(GuardedSocket, TrustedSubscriptions):
    """graphql-transport-ws: the principal's caps, rate and credential's end first
    (api/sockets.py), then the document a `subscribe` names (api/persisted.py)."""


class GroupcoverGraphQL(GraphQL[Context, None]):
    """The GraphQL endpoint; each request gets its own session, closed when it ends."""

    graphql_transport_ws_handler_class = Socket

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        runner: Runner | None = None,
        backend: BearerTokenBackend | None = None,
        sockets: Sockets | None = None,
        tracing: traces.Tracing | None = None,
    ) -> None:
        super().__init__(
            build_schema(
                production=settings.production,
                limits=settings.query_limits,
                observers=_observers(settings, tracing),
                # A plan calls resolvers without graphql-core's middleware: where requests are
                # traced, each resolver's span needs the executor.
                compiled_reads=settings.compiled_reads and not _traced(tracing),
            ),
            graphql_ide=None if settings.production else "graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # A browser sends no CORS preflight before a WebSocket: strawberry checks `Origin`.
            allowed_origins=settings.cors_origins,
            # Files come in by the GraphQL multipart request spec (enrollmentFileSubmit).
            multipart_uploads_enabled=True,
        )
        self.backend = backend or BearerTokenBackend(settings, sessions)
        self.sockets = sockets or Sockets(
            settings.socket_limits, RateBuckets(settings.rate_per_minute), sessions
        )
        self.sessions = sessions
        self.policy_limits = settings.policy_limits
        self.intake_background_rows = settings.intake_background_rows
        self.listen_url = settings.listen_url
        self.x12_parties = settings.x12_parties
        self.webhook_rules = settings.webhooks.rules
        self.runner = runner
        self.documents = TrustedDocuments(only=settings.trusted_documents_only)
        self.max_tokens = settings.query_limits.max_tokens

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
        except Refused as refused:
            response = refused.response()
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET naming its document by hash has no `query` either, and is no browser's visit.
        # strawberry's own test first: it is false for a POST without reading the query string.
        return super().should_render_graphql_ide(request) and "extensions" not in (
            request.query_params
        )

    async def execute_operation(  # type: ignore[override]
        self, request: Any, request_adapter: Any, request_data: Any, context: Context, **rest: Any
    ) -> Any:
        # The document a hash names, or the text sent if it may run (api/persisted.py).
        if isinstance(request_data, GraphQLRequestData):  # a batch was refused while parsing
            request_data.query = await self.documents.query(
                context.session, request_data.query, request_data.extensions
            )
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            **rest,
        )

    async def execute_single(  # type: ignore[override]
        self, request: Any, request_adapter: Any, request_data: Any, **rest: Any
    ) -> Any:
        # strawberry would run a subscription sent over HTTP as a query of one answer (null,
        # or an unexpected error); here it is refused, saying where subscriptions are served.
        if _is_subscription(request_data.query, request_data.operation_name, self.max_tokens):
            raise HTTPException(400, SUBSCRIPTIONS_OVER_WEBSOCKET)
        return await super().execute_single(
            request=request, request_adapter=request_adapter, request_data=request_data, **rest
        )

    def encode_json(self, data: object) -> str:
        # orjson writes a nested answer of 11,000 fields several times faster than json; as
        # text, since a WebSocket message must be a text frame (strawberry sends bytes as
        # binary ones).
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        # Before the parser recurses: a WebSocket message too deep is refused as not JSON.
        check_nesting(data)
        return super().decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return super().parse_json(data)
        except HTTPException as error:
            if isinstance(error.__cause__, NestedTooDeep):
                raise HTTPException(400, f"{error.__cause__.msg}.") from None
            raise

    async def get_sub_response(self, request: Any) -> Response:
        # GraphQL over HTTP: a client that accepts application/graphql-response+json gets it,
        # with 4xx for a request that never ran (see process_result).
        sub_response = await super().get_sub_response(request)
        if request.method == "GET":
            # An answer is the caller's own: a shared cache (a CDN) must not serve it to another.
            sub_response.headers["Cache-Control"] = "private"
        if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            sub_response.media_type = GRAPHQL_RESPONSE
            request.state.sub_response = sub_response
        return sub_response

    async def process_result(self, request: Any, result: Any) -> Any:
        if any(_code(error) == UNREACHABLE for error in getattr(result, "errors", None) or ()):
            raise DatabaseUnreachable  # the whole request gets 503 (api.outages)
        observe.record_errors(getattr(result, "errors", None))
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
        record = observe.current()
        if record is not None:
            record.subject = principal.subject
        return Context(
            session=session,
            principal=principal,
            request=request,
            policy_limits=self.policy_limits,
            runner=self.runner,
            listen_url=self.listen_url,
            x12_parties=self.x12_parties,
            webhook_rules=self.webhook_rules,
            intake_background_rows=self.intake_background_rows,
        )


def _traced(tracing: traces.Tracing | None) -> bool:
    return tracing is not None and tracing.tracer is not None


def _observers(settings: Settings, tracing: traces.Tracing | None) -> list[Any]:
    """The extensions that record each operation for the request's log line, and trace it."""
    observers: list[Any] = [observe.Recorded]
    if _traced(tracing):
        observers.append(lambda: traces.Traced(production=settings.production))
    return observers


GRAPHQL_RESPONSE = "application/graphql-response+json"
SUBSCRIPTIONS_OVER_WEBSOCKET = (
    "Subscriptions are served over a WebSocket at /graphql (graphql-transport-ws), not over HTTP."
)


def _is_subscription(query: str | None, operation_name: str | None, max_tokens: int) -> bool:
    """Whether the operation a request runs is a subscription; a document that does not
    parse is not (the usual path reports it). Only a text naming one is parsed."""
    if not query or "subscription" not in query:
        return False
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


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
        on_queued(mailer.deferring(lambda: queued.app))

        @asynccontextmanager
        async def with_queue(_app: Starlette) -> AsyncIterator[None]:
            async with jobs.queue_on(settings.listen_url) as queue:
                queued.app = queue
                yield

        return queued, with_queue
    local = jobs.InProcess(sessions, settings.policy_limits, exports_dir=Path(settings.exports_dir))
    sender = mailer.Mailer(sessions, settings.mail)
    on_queued(sender.deliver_logged)
    webhooks = LocalDeliveries(sessions, settings.webhooks)

    @asynccontextmanager
    async def with_sweeps(_app: Starlette) -> AsyncIterator[None]:
        running = [
            asyncio.create_task(local.run_sweeps()),
            asyncio.create_task(sender.run_sweeps()),
            asyncio.create_task(webhooks.run()),
        ]
        try:
            yield
        finally:
            for task in running:
                task.cancel()

    return local, with_sweeps


def _watch(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Count statements (and span them) on the requests' engine; follow its pool."""
    bind = sessions.kw.get("bind")
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind  # tests bind one
    if isinstance(engine, AsyncEngine):
        observe.watch_statements(engine)
        if settings.metrics.enabled:
            metrics.watch_pool(engine)


def _metrics_route(settings: Settings) -> list[Route]:
    """/metrics on this port when it is read with a token (api.metrics)."""
    if settings.metrics.mode != "token":
        return []
    return [Route("/metrics", metrics.endpoint(settings.metrics.token, settings.database_url))]


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    runner: Runner | None = None,
    tracer_provider: Any = None,
) -> Starlette:
    """Build the application; tests pass their own session factory, runner and tracer."""
    if sessions is None:
        engine = engine or database_engine(
            settings,
            statement_timeout_ms=settings.statement_timeout_ms,
            pool_size=settings.pool_size,
        )
        sessions = request_sessions(engine)
    if tracer_provider is None and settings.otlp_endpoint:
        tracer_provider = traces.otlp_provider()
    tracing = traces.Tracing(tracer_provider)
    _watch(sessions, settings)
    scripts.configure(settings.script_limits)
    kinds.configure(settings.retention)
    runner, lifespan = _background(settings, sessions, runner)
    backend = BearerTokenBackend(settings, sessions)
    # One table of rate buckets for HTTP requests and WebSocket messages alike.
    buckets = RateBuckets(settings.rate_per_minute)
    sockets = Sockets(settings.socket_limits, buckets, sessions)
    graphql = GroupcoverGraphQL(sessions, settings, runner, backend, sockets, tracing)
    protected = observe.Observed(
        Unavailable(
            BodyLimit(
                Authentication(
                    RateLimit(SessionMiddleware(graphql, sessions), buckets),
                    backend=backend,
                    failures_per_minute=settings.auth_failures_per_minute,
                ),
                settings.max_body_bytes,
                settings.max_file_bytes,
            )
        ),
        tracing=tracing,
        count=settings.metrics.enabled,
    )

    def download(handler: Callable[[Request], Awaitable[Response]]) -> ASGIApp:
        """Files are read with the same credentials, limits and session as the API."""
        return Unavailable(
            Authentication(
                RateLimit(SessionMiddleware(request_response(handler), sessions), buckets),
                backend=backend,
                failures_per_minute=settings.auth_failures_per_minute,
            )
        )

    app = Starlette(
        debug=False,
        routes=[
            Route("/graphql", protected),
            WebSocketRoute("/graphql", protected),
            Route("/documents/{id}", download(downloads.document), methods=["GET"]),
            Route("/exports/{export_id:int}", download(downloads.export), methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", _readyz(sessions)),
            *_metrics_route(settings),
        ],
        # Outside authentication, so that a preflight needs no token and a 401 is readable.
        middleware=[Middleware(Cors, **cors_options(settings.cors_origins))],
        exception_handlers={StarletteHTTPException: http_exception},
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.runner = runner
    return app
