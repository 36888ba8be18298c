"""Limits on requests before GraphQL sees them: body size, and requests per principal."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.refusals import refusal


class BodyLimit:
    """Refuse a request body larger than `max_bytes` with 413, before reading all of it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_bytes} bytes."
        await refusal(413, message, "REQUEST_TOO_LARGE")(scope, receive, send)


class _TooLarge(Exception):
    pass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateBuckets:
    """At most `per_minute` requests a minute per principal in this process.

    A token bucket per subject, refilled continuously; the least recently seen subjects are
    forgotten beyond `remember`, so the table cannot grow without bound. One table serves
    HTTP requests (RateLimit) and every message on a WebSocket (api.sockets), so that a
    socket is no way around the limit.
    """

    def __init__(self, per_minute: int, remember: int = 100_000) -> None:
        self.per_minute = per_minute
        self.remember = remember
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def refusal(self) -> str:
        return f"More than {self.per_minute} requests a minute; retry later."

    def take(self, subject: str, now: float | None = None) -> float:
        """Take a token for `subject`; 0 when there was one (or no limit), else seconds until
        there is."""
        if not self.per_minute:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self.buckets.pop(subject, None) or _Bucket(float(self.per_minute), now)
        bucket.tokens = min(
            self.per_minute, bucket.tokens + (now - bucket.at) * self.per_minute / 60
        )
        bucket.at = now
        self.buckets[subject] = bucket
        while len(self.buckets) > self.remember:
            self.buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) * 60 / self.per_minute


class RateLimit:
    """HTTP requests over a principal's rate (see RateBuckets) get 429 with Retry-After."""

    def __init__(self, app: ASGIApp, buckets: RateBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        subject = getattr(getattr(user, "principal", None), "subject", None)
        if scope["type"] == "http" and subject is not None:
            wait = self.buckets.take(subject)
            if wait:
                headers = {"Retry-After": str(math.ceil(wait))}
                refused = refusal(429, self.buckets.refusal, "RATE_LIMITED", headers)
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)
