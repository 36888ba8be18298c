"""Limits on requests before GraphQL sees them: body size, JSON nesting, requests per principal,
and failed sign-ins per client address (api.authentication)."""

from __future__ import annotations

import json
import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.refusals import refusal


class BodyLimit:
    """Refuse a request body larger than `max_bytes` with 413, before reading all of it.

    A multipart request (a file upload) may be up to `max_file_bytes` instead.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_file_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_file_bytes = max_file_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self.max_bytes
        if headers.get(b"content-type", b"").startswith(b"multipart/form-data"):
            limit = self.max_file_bytes
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._too_large(scope, receive, send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._too_large(scope, receive, send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"The request body is larger than {limit} bytes."
        await refusal(413, message, "REQUEST_TOO_LARGE")(scope, receive, send)


class _TooLarge(Exception):
    pass


@dataclass
class _Bucket:
    tokens: float
    at: float


class Buckets:
    """A token bucket per key, `per_minute` a minute refilled continuously; the least recently
    seen keys are forgotten beyond `remember`, so the table cannot grow without bound."""

    def __init__(self, per_minute: int, remember: int = 100_000) -> None:
        self.per_minute = per_minute
        self.remember = remember
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """Take a token for `key`; 0 when there was one, else seconds until there is."""
        bucket = self._refilled(key, now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return self._wait(bucket)

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` has a token (0: it has one), taking none."""
        return self._wait(self._refilled(key, now)) if key in self.buckets else 0.0

    def _wait(self, bucket: _Bucket) -> float:
        return max(0.0, (1 - bucket.tokens) * 60 / self.per_minute)

    def _refilled(self, key: str, now: float) -> _Bucket:
        bucket = self.buckets.pop(key, None) or _Bucket(float(self.per_minute), now)
        bucket.tokens = min(
            self.per_minute, bucket.tokens + (now - bucket.at) * self.per_minute / 60
        )
        bucket.at = now
        self.buckets[key] = bucket
        while len(self.buckets) > self.remember:
            self.buckets.popitem(last=False)
        return bucket


class RateBuckets(Buckets):
    """At most `per_minute` requests a minute per principal in this process (0: no limit).

    One table serves HTTP requests (RateLimit) and every message on a WebSocket
    (api.sockets), so that a socket is no way around the limit.
    """

    @property
    def refusal(self) -> str:
        return f"More than {self.per_minute} requests a minute; retry later."

    def take(self, key: str, now: float | None = None) -> float:
        """Take a token for `key`; 0 when there was one (or no limit), else seconds until
        there is."""
        if not self.per_minute:
            return 0.0
        return super().take(key, time.monotonic() if now is None else now)


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
                await too_many(self.buckets.refusal, wait)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def too_many(message: str, wait: float) -> JSONResponse:
    """429 saying when to come back."""
    return refusal(429, message, "RATE_LIMITED", {"Retry-After": str(math.ceil(wait))})


MAX_JSON_DEPTH = 64
"""The deepest a request's JSON may nest arrays and objects. Python's json parser recurses
once per level and fails past about 1,000 (a RecursionError, once a 500); no input of this
schema nests beyond 20."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class NestedTooDeep(json.JSONDecodeError):
    """JSON nested deeper than MAX_JSON_DEPTH; a JSONDecodeError, so that a WebSocket
    message holding it is refused as any other that is not JSON."""

    def __init__(self, document: str) -> None:
        super().__init__(f"The JSON nests deeper than {MAX_JSON_DEPTH} levels", document, 0)


def check_nesting(data: str | bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise NestedTooDeep when `data` nests arrays and objects deeper than `limit`.

    Strings are cut out and every byte but brackets dropped by the regex engine and
    bytes.translate, in C; only the brackets that are left are counted here."""
    raw = data.encode() if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    depth = 0
    for byte in _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            raise NestedTooDeep("")
