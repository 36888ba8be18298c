"""What one connection may hold of a server process: uvicorn's own limits, and a deadline and
a size bound for the request head that uvicorn lacks.

uvicorn (0.55) times out only an idle kept-alive connection, after a response: a connection
that sends part of a request head and then nothing is kept open for ever (issue 14: 7,920 of
them were). Its protocol is subclassed here to close a connection that has not sent a whole
head within `GROUPCOVER_HEADER_TIMEOUT_SECONDS` of its first byte (or of being opened). The
deadline is not moved by more bytes, so sending a header a byte at a time does not keep a
connection either.

The protocol is uvicorn's httptools one (llhttp, in C): parsing a request and writing its
answer cost 15 us of CPU there against 84 us in uvicorn's h11 one (in process, a request of
bench.load's employee's coverage), about 2% of that request's CPU. httptools bounds no head
by itself, where h11 did (`h11_max_incomplete_event_size`): the bytes a connection sends
while its head is incomplete are counted here, and past `GROUPCOVER_MAX_HEADER_BYTES` it is
answered 400 and closed, as h11 answered it, before the parser holds more than one read.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.settings import Settings, load_settings

INVALID = "Invalid HTTP request received."
"""What uvicorn answers a request it cannot parse, and so one whose head is too large."""


@functools.cache
def _head_limits() -> tuple[float, int]:
    """The head's deadline in seconds and its largest size in bytes.

    Read here, not passed along: `serve --workers N` starts each process from the environment."""
    settings = load_settings()
    return float(settings.header_timeout_seconds), settings.max_header_bytes


class HttpToolsWithHeadLimits(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request head takes too long
    or grows too large (see the module)."""

    _deadline: asyncio.TimerHandle | None = None
    _head_bytes: int | None = 0
    """The bytes received since the last message ended (the next head's, and at most one
    read more); None from the end of a head to the end of its message."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._waiting_for_head():
            self._arm()
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        if not self._waiting_for_head():
            self._disarm()
        too_large = self._head_bytes is not None and self._head_bytes > _head_limits()[1]
        if too_large and not self.transport.is_closing():
            self.logger.warning(INVALID)
            self.send_400_response(INVALID)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_bytes = 0

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(_head_limits()[0], self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        # A WebSocket upgrade hands the transport to another protocol: not ours to close.
        if self.transport.get_protocol() is not self or self.transport.is_closing():
            return
        if self._waiting_for_head():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The options of `uvicorn.run` that bound what connections may hold."""
    return {
        "http": "api.connections:HttpToolsWithHeadLimits",
        # Connections and running requests of one process; past it uvicorn answers 503.
        "limit_concurrency": settings.max_connections or None,
        "timeout_keep_alive": settings.keep_alive_seconds,
    }
