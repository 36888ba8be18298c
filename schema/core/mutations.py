"""One way to write a mutation: `@mutation(need, description)` over a body that builds the payload.

The decorator declares, once, what every mutation has: the permission it requires (checked
before the body runs, FORBIDDEN otherwise, and written in its description), one transaction
around the body, the caller as an `Actor` for the domain's write path (`actor(info)`), and the
payload's `errors` from a `DomainError`, with every other field of the payload null. The body
returns the payload of a success; it never catches a domain error itself.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from authz.access import Actor, Need
from domain.core.errors import DomainError
from domain.core.transactions import atomic
from schema.core.context import Info
from schema.core.errors import user_errors
from schema.core.permissions import guarded

P = TypeVar("P")
Body = Callable[..., Awaitable[P]]
After = Callable[[Info, Any], Awaitable[None]]

DECLARED: dict[Callable[..., Any], Need] = {}
"""Every resolver `mutation` made, with the need it checks: a test holds each field of the
schema's Mutation to it, so that no mutation skips the one way."""


def mutation(need: Need, description: str, *, after: After | None = None) -> Callable[[Body[P]], P]:
    """Declare a mutation that requires `need`; `after` runs once its change is committed."""

    def declare(body: Body[P]) -> P:
        @functools.wraps(body)
        async def resolver(self: Any, info: Info, **arguments: Any) -> Any:
            context = info.context
            context.actor = context.access.actor(need)
            try:
                async with atomic(context.session):
                    payload = await body(self, info, **arguments)
            except DomainError as error:
                return _refused(body, error)
            finally:
                context.reset_loaders()
            if after is not None:
                await after(info, payload)
            return payload

        DECLARED[resolver] = need
        # Nullable, as every field that may be FORBIDDEN: one refused mutation of a document
        # leaves the others' payloads in the answer.
        nullable = _payload_type(body) | None
        return strawberry.mutation(**guarded(need, description), graphql_type=nullable)(resolver)  # type: ignore[no-any-return]

    return declare


@functools.cache
def _payload_type(body: Callable[..., Any]) -> Any:
    return typing.get_type_hints(body)["return"]


def _refused(body: Callable[..., Any], error: DomainError) -> Any:
    """The body's payload with the errors and nothing else: nothing was saved."""
    payload = _payload_type(body)
    fields = payload.__strawberry_definition__.fields
    empty = {f.python_name: None for f in fields if f.python_name != "errors"}
    return payload(**empty, errors=user_errors(error))


def actor(info: Info) -> Actor:
    """The caller as the domain's write path sees it, for the need the mutation declared."""
    found = info.context.actor
    assert found is not None, "actor(info) is for the body of a @mutation"
    return found
