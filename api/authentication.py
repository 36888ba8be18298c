"""Who is asking: a bearer token or a partner's API key, in the `Authorization` header, or, on a
WebSocket, in graphql-transport-ws's `connection_init` payload (a browser cannot set headers on
a WebSocket; graphql-ws sends its `connectionParams` there). The same checks either way."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    UnauthenticatedUser,
)
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from api import oidc, tokens
from api.limits import Buckets, too_many
from api.refusals import refusal
from api.settings import Settings
from authz.principal import Principal, Role
from domain.access import keys
from domain.access.service import stored_grants
from domain.core.columns import utcnow
from schema.core.context import Context

MISSING = "Missing `Authorization: Bearer <token>` header."
# The close code for "try again later" (RFC 6455, 7.4.1): graphql-ws clients retry on it.
UNAVAILABLE_CLOSE = 1013
# The graphql-transport-ws close code for a connection whose credentials are refused: the
# WebSocket twin of HTTP 401 (4403 would invite graphql-ws clients to retry the same token).
UNAUTHENTICATED_CLOSE = 4401
# A WebSocket close reason holds at most 123 bytes (RFC 6455, 5.5).
MAX_REASON_BYTES = 123


class SignInUnavailable(AuthenticationError):
    """The credentials cannot be checked now (the identity provider's keys are out of reach):
    503, not 401, so that a client retries the same token instead of signing in anew."""


class PrincipalUser(BaseUser):
    """The authenticated principal, as Starlette's request.user, and what its credential
    was: an open WebSocket closes when its token expires or its API key is revoked."""

    def __init__(
        self,
        principal: Principal,
        *,
        expires_at: datetime | None = None,
        api_key: str | None = None,
    ) -> None:
        self.principal = principal
        self.expires_at = expires_at
        """When the signed token expires (an API key's expiry is read with its revocation)."""
        self.api_key = api_key
        """The API key's prefix, when the credential is one."""

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.principal.subject


class BearerTokenBackend(AuthenticationBackend):
    """Every request needs `Authorization: Bearer <token>`, except the GraphiQL page itself and
    a WebSocket handshake, whose token may come in `connection_init` instead."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.identity_provider = oidc.IdentityProvider(settings.oidc) if settings.oidc else None
        self.unknown_keys = keys.UnknownKeys(settings.unknown_key_seconds)
        self.tokens = tokens.VerifiedTokens(settings.secret_key)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            if self._is_graphiql_page(conn) or conn.scope["type"] == "websocket":
                return None
            raise AuthenticationError(MISSING)
        user = await self.user(header)
        return AuthCredentials(sorted(user.principal.roles)), user

    async def user(self, authorization: str) -> PrincipalUser:
        """The principal an `Authorization` value signs in as, or AuthenticationError saying why."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("The Authorization header must be `Bearer <token>`.")
        return await self._principal(token.strip())

    async def _principal(self, credential: str) -> PrincipalUser:
        """A partner's API key is looked up on every request, so revoking it counts at once;
        one found unknown is refused without a lookup for a few seconds (keys.UnknownKeys)."""
        try:
            if keys.is_api_key(credential):
                principal = await self._key_principal(credential)
                return PrincipalUser(principal, api_key=keys.prefix_of(credential))
            provider = self.identity_provider
            if provider is not None and provider.issued(credential):
                principal, expires_at = await provider.verified(credential)
            else:
                principal, expires_at = self.tokens.verified(credential)
            return PrincipalUser(principal, expires_at=expires_at)
        except (tokens.InvalidToken, keys.KeyRefused) as error:
            raise AuthenticationError(str(error)) from error
        except oidc.KeysUnavailable as error:
            raise SignInUnavailable(str(error)) from error

    async def _key_principal(self, credential: str) -> Principal:
        if self.unknown_keys.holds(credential, time.monotonic()):
            raise keys.KeyUnknown(keys.UNKNOWN)
        try:
            async with self.sessions() as session:
                return await keys.authenticate(session, credential, now=utcnow())
        except keys.KeyUnknown:
            self.unknown_keys.add(credential, time.monotonic())
            raise

    def _is_graphiql_page(self, conn: HTTPConnection) -> bool:
        return (
            not self.settings.production
            and conn.scope["type"] == "http"
            and conn.scope["method"] == "GET"
            and "text/html" in conn.headers.get("accept", "")
            and "query" not in conn.query_params
            and "extensions" not in conn.query_params  # a document named by its hash
        )


def unauthorized(_conn: HTTPConnection, error: AuthenticationError) -> Response:
    """401 with the reason, and the challenge a client needs; 503 when it cannot be checked."""
    if isinstance(error, SignInUnavailable):
        return refusal(503, str(error), headers={"Retry-After": str(int(oidc.REFETCH_SECONDS))})
    return refusal(401, str(error), headers={"WWW-Authenticate": 'Bearer realm="groupcover"'})


class Authentication(AuthenticationMiddleware):
    """Starlette's, but a WebSocket handshake whose header is refused gets the same 401 as HTTP
    (where the server can answer a handshake; else it is closed, which clients see as 403).

    A client address that failed to sign in `failures_per_minute` times is refused with 429
    until a failure's worth of time has passed (a token bucket per address): guessing tokens
    or keys is slow, and a flood of fake keys costs little."""

    def __init__(self, app: ASGIApp, backend: AuthenticationBackend, failures_per_minute: int):
        super().__init__(app, backend=backend, on_error=self._refused)
        self.failures = Buckets(failures_per_minute) if failures_per_minute else None

    def _refused(self, conn: HTTPConnection, error: AuthenticationError) -> Response:
        # A provider out of reach (503) is no failed sign-in.
        if self.failures is not None and not isinstance(error, SignInUnavailable):
            self.failures.take(_address(conn.scope), time.monotonic())
        return unauthorized(conn, error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wait = self.failures.wait(_address(scope), time.monotonic()) if self.failures else 0
        if wait and scope["type"] == "http":
            message = "Too many failed sign-ins from this address; retry later."
            await too_many(message, wait)(scope, receive, send)
            return
        if wait and scope["type"] == "websocket":
            await WebSocket(scope, receive, send).close()
            return
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        try:
            result = await self.backend.authenticate(conn)
        except AuthenticationError as error:
            websocket = WebSocket(scope, receive, send)
            if "websocket.http.response" in scope.get("extensions", {}):
                await websocket.send_denial_response(self._refused(conn, error))
            else:
                await websocket.close()
            return
        scope["auth"], scope["user"] = result or (AuthCredentials(), UnauthenticatedUser())
        await self.app(scope, receive, send)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


async def with_stored_grants(session: AsyncSession, principal: Principal) -> Principal:
    """The principal with the grants stored for them, read anew for every request."""
    if principal.roles and Role.ADMIN not in principal.roles:  # admin: nothing to add
        # Read on every request, so that a grant given or taken counts on every process.
        return principal.with_stored(await stored_grants(session, principal.subject))
    return principal


class SignInOnConnect(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, signing in by `connection_init`'s `Authorization` when the
    handshake carried no header; refused credentials close the socket with 4401 and the same
    reason an HTTP request would get."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if not self.connection_init_received and not await self.sign_in(message):
            return
        await super().handle_connection_init(message)

    async def sign_in(self, message: ConnectionInitMessage) -> bool:
        """Sign in by the payload if the handshake did not; False when the socket is closed."""
        payload: Any = message.get("payload") or {}
        if isinstance(payload, dict) and not isinstance(self.context.request.user, PrincipalUser):
            backend: BearerTokenBackend = self.view.backend  # type: ignore[attr-defined]
            try:
                user = await backend.user(_authorization(payload))
            except AuthenticationError as error:
                unavailable = isinstance(error, SignInUnavailable)
                await self.close(
                    UNAVAILABLE_CLOSE if unavailable else UNAUTHENTICATED_CLOSE, str(error)
                )
                return False
            self.context.request.scope["user"] = user
            signed_in = await with_stored_grants(self.context.session, user.principal)
            self.context = replace(self.context, principal=signed_in)
        return True

    async def close(self, code: int, reason: str) -> None:
        """Close the socket saying why, within what a close frame holds."""
        await self.websocket.close(
            code=code, reason=reason.encode()[:MAX_REASON_BYTES].decode(errors="ignore")
        )


def _authorization(payload: dict[str, Any]) -> str:
    """The `Authorization` entry of a connection_init payload, in any case."""
    for name, value in payload.items():
        if name.lower() == "authorization" and isinstance(value, str):
            return value
    raise AuthenticationError(
        "Missing `Authorization: Bearer <token>` in the handshake's headers or in "
        "connection_init's payload."
    )
