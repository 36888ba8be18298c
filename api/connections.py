"""What one connection may hold of a server process: uvicorn's own limits, and a deadline for
the request head that uvicorn lacks.

uvicorn (0.55) times out only an idle kept-alive connection, after a response: a connection
that sends part of a request head and then nothing is kept open for ever (issue 14: 7,920 of
them were). Its protocols are subclassed here to close a connection that has not sent a whole
head within `GROUPCOVER_HEADER_TIMEOUT_SECONDS` of its first byte (or of being opened). The
deadline is not moved by more bytes, so sending a header a byte at a time does not keep a
connection either.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import Settings, load_settings


@functools.cache
def _header_timeout() -> float:
    # Read here, not passed along: `serve --workers N` starts each process from the environment.
    return float(load_settings().header_timeout_seconds)


class _HeaderDeadline:
    """Mixed into a uvicorn HTTP protocol: close it when a request head takes too long."""

    _deadline: asyncio.TimerHandle | None = None
    cycle: Any
    transport: Any
    loop: asyncio.AbstractEventLoop

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._waiting_for_head():
            self._arm()
        super().data_received(data)  # type: ignore[misc]
        if not self._waiting_for_head():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(_header_timeout(), self._too_slow)

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


class H11WithHeaderDeadline(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head.

    h11 rather than httptools (uvicorn's choice when installed): h11 bounds the size of a
    request head (`h11_max_incomplete_event_size`), and this subclass is one parser's."""


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The options of `uvicorn.run` that bound what connections may hold."""
    return {
        "http": "api.connections:H11WithHeaderDeadline",
        # Connections and running requests of one process; past it uvicorn answers 503.
        "limit_concurrency": settings.max_connections or None,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
