"""What every resolver gets: the request's session, its principal and its loaders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeAlias

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import SchemaExtension

from authz.access import Access, Actor
from authz.principal import Principal
from domain.exports.x12 import Parties
from domain.policies.limits import PolicyLimits
from domain.webhooks.addresses import AddressRules
from domain.workflow.steps import Runner
from schema.dataloaders import Loaders


@dataclass
class Context:
    """Per-request state; loaders are made anew for every request and after every mutation."""

    session: AsyncSession
    principal: Principal
    request: Any = None
    policy_limits: PolicyLimits = field(default_factory=PolicyLimits)
    runner: Runner | None = None
    """Where the server steps of a workflow request go once its change is committed."""
    listen_url: str = ""
    """For subscriptions, which listen on the database for changes made anywhere
    (Settings.listen_url)."""
    intake_background_rows: int = 0
    """An enrolment file of more rows is applied by a background job (0: always in the request)."""
    x12_parties: Parties = field(default_factory=Parties)
    """Who the 834 files the API exports are from and to."""
    webhook_rules: AddressRules = field(default_factory=AddressRules)
    """Which URLs a webhook endpoint may have here (https only, no private address)."""
    access: Access = field(init=False)
    loaders: Loaders = field(init=False)
    actor: Actor | None = field(init=False, default=None)
    """The caller for the mutation running now, as its declared need scopes them."""
    asked: dict[Any, bool] = field(init=False, default_factory=dict)
    """What a field's selection asks for, per field of the document (see policies' members)."""
    _today: date | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.access = Access(self.principal)
        self.reset_loaders()

    def today(self) -> date:
        """The request's today (UTC, by `policy_limits`), read once: every field of an answer
        that is dated by default speaks of the same day, also across midnight, and the
        thousand policies of a page do not each ask the clock."""
        if self._today is None:
            self._today = self.policy_limits.today()
        return self._today

    def reset_loaders(self) -> None:
        """Forget every cached row, so that what a mutation changed is read afresh, and the
        day (a subscription's next event may come days later)."""
        self.loaders = Loaders(self.session, self.access)
        self._today = None


class ReleaseRows(SchemaExtension):
    """Drop the request's loaders, and every row they hold, as soon as its answer is built.

    graphql-core's execution context sits in a reference cycle with the request's Context,
    so whatever the Context holds waits for the cycle collector: thousands of rows for a
    large answer, kept across many later requests. Released here, they are freed at once.
    """

    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            context.reset_loaders()


Info: TypeAlias = strawberry.Info[Context, None]
