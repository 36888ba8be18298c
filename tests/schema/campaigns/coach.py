"""The automated coach's scene on the demo book: teams, a drug's claims, callers and queries.

Three clients have members who filled the drug: Globex (its own team; large, so the team
elects first), Northwind (its own team; elects first) and Brightside (the default team; small,
so the decision table asks it directly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.demo.book import load_demo_book
from authz.access import EVERYTHING, Actor
from authz.principal import Principal, Role
from domain.campaigns import claims, teams
from domain.core.columns import utcnow
from domain.core.periods import in_force
from domain.groups.models import GroupAccount, GroupClient
from domain.policies.models import Person, PolicyAccountLink, PolicyMember
from tests.conftest import token_for

ADMIN = Actor("admin-1", EVERYTHING)
DRUG, DRUG_NAME = "NDC-0085-1128", "Claritin 10 mg"
OTHER_DRUG = "NDC-0000-0001"
FAMILIES = 1000
"""Enough for Northwind to be a large client (100 policies or more) and Brightside a small one."""
TEAMS = {
    "GLOBEX": ("TEAM-GLOBEX", "globex-team@insurer.example"),
    "NORTHWIND": ("TEAM-NORTHWIND", "northwind-team@insurer.example"),
}
DEFAULT_TEAM = ("TEAM-DEFAULT", "coach@insurer.example")
FILLED = {"GLOBEX": 4, "NORTHWIND": 3, "BRIGHTSIDE": 2}
"""Members per client with a recent fill of the drug."""

BACK_OFFICE = token_for(
    Principal(
        "bo-coach",
        frozenset({Role.BACKOFFICE}),
        data_access_groups=frozenset({"US", "APAC", "EU"}),
        lines_of_business=frozenset({"HEALTH", "DENTAL", "LIFE"}),
    )
)


def manager(client: str) -> str:
    """A token of a group manager of the client's whole tree."""
    subject = f"hr-{client.lower()}"
    return token_for(
        Principal(subject, frozenset({Role.GROUP_MANAGER}), groups=frozenset({client}))
    )


@dataclass
class Scene:
    """What the scenario set up: per client, the affected members and the one who left."""

    today: date
    event_date: date
    clients: dict[str, int] = field(default_factory=dict)
    affected: dict[str, list[int]] = field(default_factory=dict)
    left: int | None = None
    """A Globex member affected on the event's date whose cover ended before the letters."""


async def insured(session: AsyncSession, root: str, day: date, count: int) -> list[int]:
    """`count` persons insured on `day` under the client's tree, lowest ids first."""
    tree = sa.select(col(GroupClient.id)).where(
        sa.or_(col(GroupClient.code) == root, col(GroupClient.code).startswith(f"{root}-"))
    )
    stmt = (
        sa.select(col(PolicyMember.person_id))
        .join(PolicyAccountLink, col(PolicyAccountLink.policy_id) == col(PolicyMember.policy_id))
        .join(GroupAccount, col(GroupAccount.id) == col(PolicyAccountLink.group_account_id))
        .where(
            col(GroupAccount.group_client_id).in_(tree),
            in_force(PolicyMember, day),
            in_force(PolicyAccountLink, day),
            col(PolicyMember.end_date).is_(None),
        )
        .group_by(col(PolicyMember.person_id))
        .having(sa.func.count() == 1)
        .order_by(col(PolicyMember.person_id))
        .limit(count)
    )
    return list(await session.scalars(stmt))


async def set_scene(session: AsyncSession) -> Scene:
    """The demo book, the teams, and a claims file with fills of the drug in three clients."""
    await load_demo_book(session, families=FAMILIES)
    today = utcnow().date()
    scene = Scene(today=today, event_date=today - timedelta(days=10))
    for code in ("GLOBEX", "NORTHWIND", "BRIGHTSIDE"):
        client = await session.scalar(sa.select(GroupClient).where(col(GroupClient.code) == code))
        assert client is not None and client.id is not None
        scene.clients[code] = client.id
    await teams.create_team(
        session, actor=ADMIN, code=DEFAULT_TEAM[0],
        data=teams.TeamData("Coach desk", DEFAULT_TEAM[1], ["bo-coach"], is_default=True),
    )  # fmt: skip
    for client, (code, email) in TEAMS.items():
        await teams.create_team(
            session, actor=ADMIN, code=code, data=teams.TeamData(code, email, ["bo-coach"])
        )
        await teams.assign_team(
            session, actor=ADMIN, group_client_id=scene.clients[client], team_code=code
        )
    rows = ["person_number,drug_code,drug_name,last_fill_date,fills_12_months"]
    recent = (today - timedelta(days=40)).isoformat()
    old = (today - timedelta(days=500)).isoformat()
    for client, count in FILLED.items():
        # Two more than affected: one filled long ago, one filled another drug.
        found = await insured(session, client, scene.event_date, count + 2)
        assert len(found) == count + 2, (client, found)
        scene.affected[client] = found[:count]
        numbers = dict(
            (await session.execute(
                sa.select(col(Person.id), col(Person.person_number)).where(col(Person.id).in_(found))
            )).all()
        )  # fmt: skip
        rows += [f"{numbers[p]},{DRUG},{DRUG_NAME},{recent},3" for p in found[:count]]
        rows.append(f"{numbers[found[count]]},{DRUG},{DRUG_NAME},{old},1")
        rows.append(f"{numbers[found[count + 1]]},{OTHER_DRUG},Other,{recent},2")
    loaded = await claims.load_claims(session, actor=ADMIN, data="\n".join(rows).encode())
    assert loaded.refused == [], loaded.refused
    # A Globex member affected on the event's date whose cover ended two days ago.
    scene.left = scene.affected["GLOBEX"][0]
    await session.execute(
        sa.update(PolicyMember)
        .where(col(PolicyMember.person_id) == scene.left)
        .values(end_date=today - timedelta(days=2))
    )
    await session.commit()
    return scene
