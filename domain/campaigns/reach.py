"""Which campaign rows a scope reaches.

Teams, drugs and market events are the insurer's configuration, read by whoever may read the
area. A team's assignment follows its group client's reach. A claims summary follows its
member's: a back office reaches the claims of the members of the policies it reaches, and the
API asks the claims grant on top (authz CLAIMS_READ), so no group manager or partner ever does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import SCOPES, RowScope
from domain.campaigns.models import (
    AccountTeam,
    AccountTeamAssignment,
    CampaignClient,
    CampaignDefinition,
    CampaignEvent,
    CampaignLetter,
    CampaignRun,
    CampaignTask,
    ClaimsSummary,
    Drug,
    MarketEvent,
)
from domain.core.reach import Entity, declare
from domain.documents.models import Document
from domain.documents.reach import documents
from domain.groups import reach as groups
from domain.groups.models import GroupClient
from domain.policies import reach as policies
from domain.policies.models import Person
from domain.reference.reach import any_of, everyone, restricted
from domain.workflow.engine import Assignee


def _assignments(scope: RowScope) -> Any:
    if scope.everything:
        return sa.true()
    reached = sa.select(col(GroupClient.id)).where(groups.clients(scope))
    return col(AccountTeamAssignment.group_client_id).in_(reached)


def _claims(scope: RowScope) -> Any:
    if scope.everything:
        return sa.true()
    members = sa.select(col(Person.id)).where(policies.persons(scope))
    return col(ClaimsSummary.person_id).in_(members)


async def _assigned_client(session: AsyncSession, row: Any) -> set[int]:
    return {row.group_client_id}


_MEDICAL = frozenset({"drug_id", "last_fill_date", "fills_12_months"})
"""What the audit trail of a claims summary leaves out: it records that a member's claims
changed, never which drug (medical data stays in its own table)."""


@lru_cache(maxsize=SCOPES)
def campaign_clients(scope: RowScope) -> Any:
    """A run's part for a group client the scope reaches (a manager: their subtree)."""
    if scope.everything:
        return sa.true()
    reached = sa.select(col(GroupClient.id)).where(groups.clients(scope))
    return col(CampaignClient.group_client_id).in_(reached)


def _parts(scope: RowScope, client_id: Any) -> Any:
    return client_id.in_(sa.select(col(CampaignClient.id)).where(campaign_clients(scope)))


@lru_cache(maxsize=SCOPES)
def _runs(scope: RowScope) -> Any:
    """Runs its starter made, and runs with a part the scope reaches."""
    if scope.everything:
        return sa.true()
    parts = sa.select(col(CampaignClient.run_id)).where(campaign_clients(scope))
    mine = col(CampaignRun.started_by) == scope.subject if scope.subject else sa.false()
    return any_of(mine, col(CampaignRun.id).in_(parts))


def _office(scope: RowScope) -> Any:
    """A back office's: the tasks of the clients its restrictions allow."""
    if not scope.restrictions:
        return sa.false()
    parts = (
        sa.select(col(CampaignClient.id))
        .join(GroupClient, col(GroupClient.id) == col(CampaignClient.group_client_id))
        .where(restricted(scope, col(GroupClient.data_access_group_id),
                          col(GroupClient.line_of_business_id)))
    )  # fmt: skip
    return col(CampaignTask.campaign_client_id).in_(parts)


def _opt_ins(scope: RowScope) -> Any:
    """A group manager's: the opt-ins of the clients in their subtrees."""
    if not scope.subtrees:
        return sa.false()
    parts = sa.select(col(CampaignClient.id)).where(
        groups.in_subtree(scope, col(CampaignClient.group_client_id))
    )
    return sa.and_(
        col(CampaignTask.assignee) == Assignee.GROUP_MANAGER.value,
        col(CampaignTask.campaign_client_id).in_(parts),
    )


@lru_cache(maxsize=SCOPES)
def campaign_tasks(scope: RowScope) -> Any:
    """A back office reads every task of its clients; a group manager only their opt-ins
    (never the account team's election)."""
    if scope.everything:
        return sa.true()
    return any_of(_office(scope), _opt_ins(scope))


@lru_cache(maxsize=SCOPES)
def actionable(scope: RowScope) -> Any:
    """Tasks the scope may decide: a back office the elections of its clients, a group
    manager the opt-ins of theirs."""
    if scope.everything:
        return sa.true()
    elections = col(CampaignTask.assignee) == Assignee.BACK_OFFICE.value
    office = _office(scope)
    return any_of(sa.and_(elections, office) if scope.restrictions else office, _opt_ins(scope))


def _timeline(scope: RowScope) -> Any:
    """A client's lines follow the client; the run's own lines are the insurer's."""
    if scope.everything:
        return sa.true()
    if scope.restrictions:
        runs = sa.select(col(CampaignRun.id)).where(_runs(scope))
    else:  # a group manager's run lines would tell the totals of other clients
        runs = sa.select(col(CampaignRun.id)).where(col(CampaignRun.started_by) == scope.subject)
    whole = sa.and_(
        col(CampaignEvent.campaign_client_id).is_(None), col(CampaignEvent.run_id).in_(runs)
    )
    return any_of(whole, _parts(scope, col(CampaignEvent.campaign_client_id)))


def _letters(scope: RowScope) -> Any:
    if scope.everything:
        return sa.true()
    return col(CampaignLetter.document_id).in_(sa.select(col(Document.id)).where(documents(scope)))


async def _run_client(session: AsyncSession, row: Any) -> set[int]:
    return {row.group_client_id}


declare(AccountTeam, Entity(noun="account team", reach=everyone))
declare(Drug, Entity(noun="drug", reach=everyone))
declare(MarketEvent, Entity(noun="market event", reach=everyone))
declare(
    AccountTeamAssignment,
    Entity(noun="group client", reach=_assignments, concerns=_assigned_client),
)
declare(ClaimsSummary, Entity(noun="member", reach=_claims, omit=_MEDICAL))
declare(CampaignDefinition, Entity(noun="campaign definition", reach=everyone))
declare(CampaignRun, Entity(noun="campaign run", reach=_runs, omit=frozenset({"started_scope"})))
declare(
    CampaignClient,
    Entity(noun="campaign client", reach=campaign_clients, omit=frozenset({"workflow"}),
           concerns=_run_client),
)  # fmt: skip
declare(CampaignTask, Entity(noun="task", reach=campaign_tasks))
declare(CampaignEvent, Entity(noun="timeline entry", reach=_timeline))
declare(CampaignLetter, Entity(noun="letter", reach=_letters))
