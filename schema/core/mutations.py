"""Running one mutation as one transaction, with expected failures returned as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Actor, Need
from domain.core.errors import DomainError
from domain.core.transactions import atomic
from schema.core.context import Info
from schema.core.errors import UserError, user_errors

T = TypeVar("T")
P = TypeVar("P")


async def perform(
    info: Info,
    operation: Callable[[AsyncSession], Awaitable[T]],
    payload: Callable[[T | None, list[UserError]], P],
) -> P:
    """Run `operation` all-or-nothing and build the payload from its result or its errors."""
    context = info.context
    try:
        async with atomic(context.session):
            result = await operation(context.session)
    except DomainError as error:
        return payload(None, user_errors(error))
    finally:
        context.reset_loaders()
    return payload(result, [])


def actor(info: Info, need: Need) -> Actor:
    """The caller as a service sees it: a name for the audit trail, and the rows it may change."""
    access = info.context.access
    return Actor(subject=access.subject, scope=access.scope(need))
