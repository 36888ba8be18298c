"""Open WebSockets held to what HTTP requests are held to (issue 14).

A principal may hold a few sockets and a number of operations at once across them; every
message that starts something (connection_init, subscribe: a query, a mutation or a
subscription) takes a token from the same rate buckets as an HTTP request; and a socket is
closed when its token expires or its API key is revoked or expires, checked for every open
socket of the process together, every `check_seconds` (one query for all API keys).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from contextlib import suppress
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from api import metrics
from api.authentication import UNAUTHENTICATED_CLOSE, PrincipalUser, SignInOnConnect
from api.limits import RateBuckets
from api.settings import SocketLimits
from domain.access import keys
from domain.core.columns import utcnow

logger = logging.getLogger(__name__)

TOO_MANY_CLOSE = 4429
"""The close code of a socket refused for its principal's rate or number of sockets: the
WebSocket twin of HTTP 429 (graphql-ws clients do not retry it at once)."""


class Sockets:
    """This process's open, signed-in sockets by subject, and the watch over their credentials."""

    def __init__(
        self,
        limits: SocketLimits,
        buckets: RateBuckets,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self.limits = limits
        self.buckets = buckets
        self.sessions = sessions
        self.by_subject: dict[str, set[GuardedSocket]] = defaultdict(set)
        self._watching: asyncio.Task[None] | None = None

    def admit(self, socket: GuardedSocket, subject: str) -> str | None:
        """Count a signed-in socket; the reason it is refused when the subject holds enough."""
        held = self.by_subject[subject]
        if len(held) >= self.limits.max_sockets:
            return f"At most {self.limits.max_sockets} open sockets per user; close one first."
        held.add(socket)
        metrics.SOCKETS.inc()
        if self._watching is None:
            self._watching = asyncio.create_task(self._watch())
        return None

    def leave(self, socket: GuardedSocket) -> None:
        """Forget a closed socket; the watch stops with the last."""
        for subject, held in list(self.by_subject.items()):
            if socket in held:
                held.discard(socket)
                metrics.SOCKETS.dec()
            if not held:
                del self.by_subject[subject]
        if not self.by_subject and self._watching is not None:
            self._watching.cancel()
            self._watching = None

    def refuse_operation(self, subject: str) -> tuple[str, str] | None:
        """Why the subject may not start another operation now (code, message), if not."""
        if self.buckets.take(subject):
            metrics.RATE_LIMITED.labels("socket").inc()
            return "RATE_LIMITED", self.buckets.refusal
        running = sum(len(socket.operations) for socket in self.by_subject.get(subject, ()))
        if running >= self.limits.max_subscriptions:
            return (
                "TOO_MANY_SUBSCRIPTIONS",
                f"At most {self.limits.max_subscriptions} open subscriptions per user; "
                "complete one first.",
            )
        return None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.limits.check_seconds)
            try:
                await self.check()
            except Exception:  # the database may be away: check again next time
                logger.exception("checking the credentials of open sockets failed")

    async def check(self) -> None:
        """Close every socket whose token has expired or whose API key no longer signs in."""
        now = utcnow()
        sockets = [socket for held in self.by_subject.values() for socket in held]
        ended: dict[GuardedSocket, str] = {
            socket: "The token has expired."
            for socket in sockets
            if socket.user.expires_at is not None and socket.user.expires_at <= now
        }
        prefixes = sorted({s.user.api_key for s in sockets if s.user.api_key is not None})
        if prefixes:
            async with self.sessions() as session:
                refused = await keys.refused_keys(session, prefixes, now=now)
            for socket in sockets:
                if socket.user.api_key in refused:
                    ended[socket] = refused[socket.user.api_key]
        for socket, reason in ended.items():
            self.leave(socket)
            # A socket its client is closing at the same moment refuses a second close.
            with suppress(RuntimeError):
                await socket.close(UNAUTHENTICATED_CLOSE, reason)


class GuardedSocket(SignInOnConnect):
    """graphql-transport-ws with the principal's caps, rate and credential's end applied."""

    user: PrincipalUser

    @property
    def sockets(self) -> Sockets:
        return self.view.sockets  # type: ignore[attr-defined,no-any-return]

    async def sign_in(self, message: ConnectionInitMessage) -> bool:
        if not await super().sign_in(message):
            return False
        user = self.context.request.user
        if not isinstance(user, PrincipalUser):
            return True  # no credentials at all: strawberry closes it (4400) or it times out
        subject = user.principal.subject
        if self.sockets.buckets.take(subject):
            metrics.RATE_LIMITED.labels("socket").inc()
            await self.close(TOO_MANY_CLOSE, self.sockets.buckets.refusal)
            return False
        refused = self.sockets.admit(self, subject)
        if refused is not None:
            await self.close(TOO_MANY_CLOSE, refused)
            return False
        self.user = user
        return True

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:
            refused = self.sockets.refuse_operation(self.user.principal.subject)
            if refused is not None:
                code, said = refused
                error: Any = {"message": said, "extensions": {"code": code}}
                await self.send_message({"id": message["id"], "type": "error", "payload": [error]})
                return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Any) -> None:
        metrics.SUBSCRIPTIONS.inc()
        try:
            await super().run_operation(operation)
        finally:
            metrics.SUBSCRIPTIONS.dec()

    async def shutdown(self) -> None:
        self.sockets.leave(self)
        await super().shutdown()
