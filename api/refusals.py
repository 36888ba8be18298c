"""Every request refused before GraphQL answers it gets the same JSON shape as a GraphQL error.

`{"errors": [{"message": ..., "extensions": {"code": ...}}]}`, whoever refuses it: routing (404,
405), the GraphQL view (a batch, a GET mutation, a body that is not JSON), authentication (401),
the limits (413, 429) and CORS (a preflight from an origin not allowed), so that a client reads
every 4xx one way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Send

# The code a client can branch on, by status, when the refusal has no code of its own.
CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}


def refusal(
    status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A JSON answer refusing a request, as one GraphQL error with a code."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code or CODES.get(status, "")}}]},
        status_code=status,
        headers=headers,
    )


async def http_exception(_request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, a method a route does not take) as JSON."""
    assert isinstance(exc, HTTPException)
    return refusal(exc.status_code, exc.detail, headers=exc.headers)


class Cors(CORSMiddleware):
    """Starlette's CORS middleware, but a refused preflight carries no CORS header at all.

    Starlette answers it 400 with its allowed methods and headers in plain text; a browser
    reads nothing from an origin it may not use, and a curious client learns nothing either.
    """

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        # Starlette's text names what is refused: "Disallowed CORS origin, headers".
        return refusal(
            400,
            f"{bytes(response.body).decode()}.",
            "CORS_REFUSED",
            headers={"Vary": response.headers["vary"]},
        )

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if origin is None or self.is_allowed_origin(origin):
            await super().send(message, send, request_headers)
            return

        async def without_cors(message: Message) -> None:
            # Starlette adds the exposed headers for any origin; not for one it does not allow.
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name in [n for n in headers if n.startswith("access-control-")]:
                    del headers[name]
            await send(message)

        await super().send(message, without_cors, request_headers)


def cors_options(origins: tuple[str, ...]) -> dict[str, Any]:
    """What a browser on one of `origins` may send, and read, across origins."""
    return {
        "allow_origins": origins,
        "allow_methods": ("GET", "POST"),
        # Tokens travel in a header, never in cookies: no credentials mode.
        "allow_headers": ("authorization", "content-type", "accept"),
        "expose_headers": ("retry-after", "www-authenticate"),
        "max_age": 600,
    }
