"""Trusted documents at the edge: which document a request runs, named by its hash or sent in full.

A client names a document by the SHA-256 of its text in Apollo's Automatic Persisted Queries
format, `"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<64 hex digits>"}}`,
in a POST body, a GET's `extensions` parameter or a graphql-transport-ws `subscribe`; the
text is then the trusted document's (`groupcover documents add`), never one the client sent.

- A hash alone runs the trusted document; an unknown one answers Apollo's
  `PersistedQueryNotFound` (200, `PERSISTED_QUERY_NOT_FOUND`, not to be cached), on which
  Apollo's clients send the text again with the hash.
- A hash with a text runs the text only if the text hashes to it, so that a correct hash
  cannot carry another text in.
- With `GROUPCOVER_TRUSTED_DOCUMENTS_ONLY=true`, a text (with or without its hash) runs only
  when it is a trusted document's, byte for byte.

Clients never add documents: with trusted-only off, a hash with its text runs the text but is
not remembered (Apollo's servers would keep it), because the manifest is one list, the
operators', the same on every process, and a document a client could put there would be
trusted by any process that is switched to trusted-only later.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from graphql import GraphQLFormattedError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    SubscribeMessage,
)

from api.authentication import SignInOnConnect
from api.refusals import refusal
from domain.persisted.service import find_text, sha256_of

RECHECK_SECONDS = 60.0
"""How long a process runs a trusted document before asking the database again whether it is
still trusted: a removed document stops running everywhere within this time."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_SHAPE = (
    'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<the SHA-256 of the '
    'document, 64 hex digits>"}.'
)
NOT_TRUSTED = (
    "This server runs only trusted documents, and this one is not trusted; send the "
    "sha256Hash of a trusted document in extensions.persistedQuery."
)


class Refused(Exception):
    """A request whose document cannot run, and the answer that says why."""

    def __init__(
        self, status: int, message: str, code: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers

    @property
    def error(self) -> dict[str, Any]:
        """The refusal as one GraphQL error."""
        return {"message": self.message, "extensions": {"code": self.code}}

    def response(self) -> JSONResponse:
        """The refusal as an HTTP answer, shaped like every other refusal."""
        return refusal(self.status, self.message, self.code, self.headers)


def _not_found() -> Refused:
    # Apollo's shape, status and header: its clients (web, iOS, Kotlin) retry with the text
    # only on this message or code in a 2xx answer; a CDN must not keep it.
    return Refused(
        200,
        "PersistedQueryNotFound",
        "PERSISTED_QUERY_NOT_FOUND",
        {"Cache-Control": "private, no-cache, must-revalidate"},
    )


def requested_hash(extensions: Any) -> str | None:
    """The hash a request's `extensions` name, None when they name none; Refused when the
    persisted query is not of version 1 with a SHA-256."""
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise Refused(400, "extensions must be an object.", "BAD_REQUEST")
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if (
        not isinstance(persisted, dict)
        or persisted.get("version") != 1
        or not isinstance(digest, str)
        or not _HEX64.fullmatch(digest.lower())
    ):
        raise Refused(400, _SHAPE, "BAD_REQUEST")
    return digest.lower()


class TrustedDocuments:
    """The manifest as one process sees it: the text of each trusted hash it was asked for.

    A hash names one text for ever, so a text found is kept and asked for again only every
    `recheck_seconds` (has it been removed?): a trusted document costs no database round trip
    on most requests. A hash not found is not kept: its document may be added any moment, and
    only signed-in callers, within their rate limit, can ask.
    """

    def __init__(
        self,
        *,
        only: bool,
        recheck_seconds: float = RECHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.only = only
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self._texts: dict[str, tuple[str, float]] = {}

    async def query(self, session: AsyncSession, query: Any, extensions: Any) -> Any:
        """The text a request runs, or Refused; a request naming no document is left as sent
        (a missing or malformed query is strawberry's to refuse)."""
        digest = requested_hash(extensions)
        if digest is None:
            if self.only and isinstance(query, str):
                await self._trusted(session, sha256_of(query))
            return query
        if query is None:
            text = await self.text(session, digest)
            if text is None:
                raise _not_found()
            return text
        if not isinstance(query, str) or sha256_of(query) != digest:
            raise Refused(
                400,
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query; "
                "nothing was run.",
                "BAD_REQUEST",
            )
        if self.only:
            await self._trusted(session, digest)
        return query

    async def _trusted(self, session: AsyncSession, digest: str) -> None:
        if await self.text(session, digest) is None:
            raise Refused(403, NOT_TRUSTED, "PERSISTED_QUERY_NOT_IN_LIST")

    async def text(self, session: AsyncSession, digest: str) -> str | None:
        """The trusted text with this hash, from this process's memory while fresh."""
        now = self.clock()
        known = self._texts.get(digest)
        if known is not None and now - known[1] < self.recheck_seconds:
            return known[0]
        text = await find_text(session, sha256=digest)
        if text is None:
            self._texts.pop(digest, None)
        else:
            self._texts[digest] = (text, now)
        return text


class TrustedSubscriptions(SignInOnConnect):
    """graphql-transport-ws whose `subscribe` names its document as an HTTP request does; a
    refused one gets an `error` message for its id, the connection stays open."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload: Any = message.get("payload")
        if (
            self.connection_acknowledged
            and isinstance(payload, dict)
            and message.get("id") not in self.operations
        ):
            documents: TrustedDocuments = self.view.documents  # type: ignore[attr-defined]
            try:
                query = await documents.query(
                    self.context.session, payload.get("query"), payload.get("extensions")
                )
            except Refused as refused:
                error: ErrorMessage = {
                    "id": message["id"],
                    "type": "error",
                    "payload": [cast(GraphQLFormattedError, refused.error)],
                }
                await self.send_message(error)
                return
            if query is not None:
                named = {**message, "payload": {**payload, "query": query}}
                message = cast(SubscribeMessage, named)
        await super().handle_subscribe(message)
