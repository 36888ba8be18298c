"""While the database cannot be reached, a request gets 503 with `Retry-After`, not a 200 that
says "Unexpected error": a client (or a load balancer) knows to try again, and nothing of the
driver's message (host names, SQL) reaches it. The pool reconnects by itself afterwards."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.refusals import refusal
from domain.database import is_unreachable

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
"""What `Retry-After` says: a restart or failover of PostgreSQL takes seconds."""
UNAVAILABLE = "The database cannot be reached right now; retry shortly."


class DatabaseUnreachable(Exception):
    """Raised where an outage was caught and turned into data (a GraphQL result's errors)."""


class Unavailable:
    """Answer 503 (`UNAVAILABLE`) when what is below fails because the database is down:
    authentication's key lookup, the stored grants, a resolver's query, a commit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started or not (isinstance(error, DatabaseUnreachable) or is_unreachable(error)):
                raise
            # One line, without the driver's text: the operator's monitoring has the rest.
            logger.warning("database unreachable: %s", type(error.__cause__ or error).__name__)
            await unavailable()(scope, receive, send)


def unavailable() -> JSONResponse:
    """The 503 answer, with the time to wait before retrying."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return refusal(503, UNAVAILABLE, "UNAVAILABLE", headers)
