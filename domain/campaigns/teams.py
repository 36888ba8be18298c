"""Account teams: who in the back office looks after which group clients.

A group client without a team of its own falls to the default team, so every client has
someone to ask; an event's e-mail for it goes to that team's mailbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from authz.access import Actor
from domain.campaigns.models import AccountTeam, AccountTeamAssignment
from domain.core.changes import Action, changing, load
from domain.core.errors import DomainError, ErrorCode, Problem, raise_if
from domain.core.fields import check_code, check_name, is_code
from domain.groups.models import GroupClient
from domain.policies.persons import EMAIL, check_text

MAX_MEMBERS = 50


@dataclass(frozen=True)
class TeamData:
    """What an admin gives for a team (its problems are named under `team`)."""

    name: str
    email: str
    members: Sequence[str]
    is_default: bool = False


async def create_team(
    session: AsyncSession, *, actor: Actor, code: str, data: TeamData
) -> AccountTeam:
    """Add an account team: a new code, a name, a mailbox and its members."""
    problems: list[Problem] = []
    code = check_code("code", code, problems)
    if not problems and await team_id(session, code) is not None:
        problems.append(Problem(("code",), ErrorCode.DUPLICATE, f"A team {code!r} exists."))
    values = _checked(data, problems)
    raise_if(problems)
    if data.is_default:
        await _clear_default(session, actor)
    async with changing(session, actor, Action.ACCOUNT_TEAM_CREATE, AccountTeam) as change:
        return change.add(AccountTeam(code=code, **values))


async def update_team(
    session: AsyncSession, *, actor: Actor, code: str, version: int, data: TeamData
) -> AccountTeam:
    """Change a team's name, mailbox, members or whether it is the default."""
    found = await team_id(session, code)
    if found is None:
        raise DomainError.of("code", ErrorCode.NOT_FOUND, "No account team with this code.")
    problems: list[Problem] = []
    values = _checked(data, problems)
    raise_if(problems)
    if data.is_default:
        await _clear_default(session, actor, except_id=found)
    async with changing(
        session, actor, Action.ACCOUNT_TEAM_UPDATE, AccountTeam, found, field="code",
        version=version,
    ) as change:  # fmt: skip
        for name, value in values.items():
            setattr(change.row, name, value)
    return change.row


def _checked(data: TeamData, problems: list[Problem]) -> dict[str, Any]:
    members = [" ".join(m.split()) for m in data.members]
    if len(members) > MAX_MEMBERS or len(set(members)) != len(members):
        message = f"At most {MAX_MEMBERS} members, each once."
        problems.append(Problem(("team", "members"), ErrorCode.INVALID_FORMAT, message))
    for index, member in enumerate(members):
        check_name(("team", "members", str(index)), member, problems)
    return {
        "name": check_name(("team", "name"), data.name, problems),
        "email": _email(data.email, problems),
        "members": members,
        "is_default": data.is_default,
    }


def _email(value: str, problems: list[Problem]) -> str:
    email = check_text(("team", "email"), value, *EMAIL, problems)
    if email is None:
        problems.append(Problem(("team", "email"), ErrorCode.REQUIRED, "A team needs its mailbox."))
    return email or ""


async def _clear_default(session: AsyncSession, actor: Actor, except_id: int | None = None) -> None:
    """Make the current default team an ordinary one: there is one default at most."""
    stmt = sa.select(col(AccountTeam.id)).where(col(AccountTeam.is_default))
    for found in await session.scalars(stmt):
        if found == except_id:
            continue
        update = Action.ACCOUNT_TEAM_UPDATE
        async with changing(session, actor, update, AccountTeam, found) as change:
            change.row.is_default = False


async def team_id(session: AsyncSession, code: str) -> int | None:
    """The id of the team with this code; None for none (or text that is no code)."""
    if not is_code(code.strip()):
        return None
    stmt = sa.select(col(AccountTeam.id)).where(col(AccountTeam.code) == code.strip())
    return await session.scalar(stmt)


async def assign_team(
    session: AsyncSession, *, actor: Actor, group_client_id: int, team_code: str | None
) -> GroupClient:
    """Give a group client its own team, or with None let it fall to the default team."""
    client = await load(session, actor, GroupClient, group_client_id, field="group_client_id")
    team = None if team_code is None else await team_id(session, team_code)
    if team_code is not None and team is None:
        raise DomainError.of("team_code", ErrorCode.NOT_FOUND, "No account team with this code.")
    current = await session.scalar(
        sa.select(col(AccountTeamAssignment.id)).where(
            col(AccountTeamAssignment.group_client_id) == client.id
        )
    )
    if current is None and team is None:
        return client
    async with changing(
        session, actor, Action.ACCOUNT_TEAM_ASSIGN, AccountTeamAssignment, current,
        field="group_client_id", marks_changed=False,
    ) as change:  # fmt: skip
        if team is None:
            await change.delete()
        elif current is None:
            change.add(AccountTeamAssignment(group_client_id=group_client_id, account_team_id=team))
        else:
            change.row.account_team_id = team
    return client


async def teams_of(
    session: AsyncSession, group_client_ids: Iterable[int]
) -> dict[int, tuple[AccountTeam | None, bool]]:
    """Each group client's team and whether it is its own (False: the default, or none)."""
    ids = list(group_client_ids)
    stmt = (
        sa.select(col(AccountTeamAssignment.group_client_id), AccountTeam)
        .join(AccountTeam, col(AccountTeam.id) == col(AccountTeamAssignment.account_team_id))
        .where(col(AccountTeamAssignment.group_client_id).in_(ids))
    )
    own = {client_id: team for client_id, team in (await session.execute(stmt)).all()}
    default = await session.scalar(sa.select(AccountTeam).where(col(AccountTeam.is_default)))
    return {i: (own[i], True) if i in own else (default, False) for i in ids}
