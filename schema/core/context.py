"""What every resolver gets: the request's session, its principal and its loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access import Access
from authz.principal import Principal
from domain.policies.rules import PolicyLimits
from domain.workflow.jobs import Runner

if TYPE_CHECKING:
    from schema.loaders import Loaders


@dataclass
class Context:
    """Per-request state; loaders are made anew for every request and after every mutation."""

    session: AsyncSession
    principal: Principal
    request: Any = None
    policy_limits: PolicyLimits = field(default_factory=PolicyLimits)
    runner: Runner | None = None
    """Where the server steps of a workflow request go once its change is committed."""
    database_url: str = ""
    """For subscriptions, which listen on the database for changes made anywhere."""
    access: Access = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.access = Access(self.principal)
        self.reset_loaders()

    def reset_loaders(self) -> None:
        """Forget every cached row, so that what a mutation changed is read afresh."""
        from schema.loaders import Loaders

        self.loaders = Loaders(self.session, self.access)


Info: TypeAlias = strawberry.Info[Context, None]
