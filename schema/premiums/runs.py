"""GraphQL types of premium runs: their progress, the clients left out, their problems."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry.dataloader import DataLoader

from domain.core.errors import ErrorCode
from domain.premiums import models
from domain.settings.models import SettingKind, SettingLevel
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.relay import CountedConnection, RowNode
from schema.groups.types import GroupClient
from schema.policies.types import Policy

strawberry.enum(models.RunStatus, description="QUEUED; RUNNING (see its progress); DONE; FAILED.")
RunStatus = models.RunStatus


@strawberry.type(description="A group client a run left out, and why.")
class PremiumRunSkip:
    reason: str = strawberry.field(description="Why: CHANGED, not approved since changed.")
    id_: strawberry.Private[int]

    @strawberry.field(description="The client, if you may see it.")
    async def group_client(self, info: Info) -> GroupClient | None:
        found = await info.context.loaders.groups.group_client_by_id.load(self.id_)
        return GroupClient.from_model(found) if found else None


@strawberry.type(description="A product of a policy a run could not price.")
class PremiumRunError:
    code: ErrorCode = strawberry.field(description="MISSING_RATE, NO_SCHEDULE, CURRENCY_MISMATCH.")
    message: str = strawberry.field(description="What is missing, for people.")
    setting: SettingKind | None = strawberry.field(description="The setting at fault.")
    level: SettingLevel | None = strawberry.field(description="The level it came from.")
    policy_id_: strawberry.Private[int]

    @strawberry.field(description="The policy, if you may see it.")
    async def policy(self, info: Info) -> Policy | None:
        found = await info.context.loaders.policies.policy_by_id.load(self.policy_id_)
        return Policy.from_model(found) if found else None


@strawberry.type(description="One calculation of a month's premiums under a group client.")
class PremiumRun(RowNode):
    id: strawberry.relay.NodeID[int]
    period: str = strawberry.field(description="The month, YYYY-MM.")
    dry_run: bool = strawberry.field(description="Calculated and reported; no charge written.")
    status: RunStatus = strawberry.field(description="Where it is.")
    started_by: str = strawberry.field(description="Who started it; its writes are theirs.")
    created_at: datetime = strawberry.field(description="When it was started (UTC).")
    finished_at: datetime | None = strawberry.field(description="When it ended (UTC).")
    policies_total: int = strawberry.field(description="The policies it prices.")
    policies_done: int = strawberry.field(description="The policies priced so far.")
    charges_added: int = strawberry.field(
        description="Charges and reversals it added (a dry run: would add)."
    )
    amount_added: Decimal = strawberry.field(description="Their sum (reversals negative).")
    error_count: int = strawberry.field(description="Products it could not price, in all.")
    row: strawberry.Private[models.PremiumRun]

    @classmethod
    def from_model(cls, row: models.PremiumRun) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            period=row.period,
            dry_run=row.dry_run,
            status=row.status,
            started_by=row.started_by,
            created_at=row.created_at,
            finished_at=row.finished_at,
            policies_total=row.policies_total,
            policies_done=row.policies_done,
            charges_added=row.charges_added,
            amount_added=row.amount_added,
            error_count=row.error_count,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.premiums.run_by_id

    @strawberry.field(description="The group client it ran under, if you may see it.")
    async def group_client(self, info: Info) -> GroupClient | None:
        found = await info.context.loaders.groups.group_client_by_id.load(self.row.group_client_id)
        return GroupClient.from_model(found) if found else None

    @strawberry.field(description="The group clients left out (CHANGED).", metadata=bound(100))
    def skipped(self) -> list[PremiumRunSkip]:
        return [
            PremiumRunSkip(reason=s["reason"], id_=s["group_client_id"]) for s in self.row.skipped
        ]

    @strawberry.field(
        description=f"The first {models.ERRORS_KEPT} products it could not price; the run "
        "went on with the others.",
        metadata=bound(models.ERRORS_KEPT),
    )
    def errors(self) -> list[PremiumRunError]:
        return [
            PremiumRunError(
                code=ErrorCode(e["code"]),
                message=e["message"],
                setting=SettingKind(e["setting"]) if e.get("setting") else None,
                level=SettingLevel(e["level"]) if e.get("level") else None,
                policy_id_=e["policy_id"],
            )
            for e in self.row.errors
        ]


@strawberry.type(description="A page of premium runs.")
class PremiumRunConnection(CountedConnection[PremiumRun]):
    pass
