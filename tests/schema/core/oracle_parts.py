"""Parts of test_compiled_oracle.py's random documents: effective settings, filters and the
inbox, and the settings and approvals its random data gets for them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st
from sqlmodel import col

from domain.groups.models import GroupAccount, GroupClient
from domain.policies.limits import utc_today
from domain.policies.models import Policy
from domain.settings.models import CollectionSetting, PremiumSchedule, Setting, SettingKind
from schema.core.relay import global_id
from tests.factories import Book, employee_asks_to_end, settings_reference

TODAY = utc_today()
DAYS = (None, TODAY - timedelta(days=15), TODAY + timedelta(days=30))
SOURCE = "source { level id settingId startDate endDate }"
EFFECTIVE_FIELDS = (
    f"collectionSetting {{ value {SOURCE} }}",
    "premiumSchedule { value { code name currency rates { ageFrom ageTo coverageTier amount } }"
    " source { level id } }",
    "processFlow { value source { level } }",
    "groupCommissionRate { value source { level id } }",
    "brokerAgent { value { code name } source { level } }",
    "adjustments { rule { code kind value } value overridden source { level } }",
    "parameterValues { name value }",
    "billAllocation { value }",
)
# Ids run on across examples: these name a row in some examples and none in others.
GROUP_CLIENT_IDS = [global_id("GroupClient", n) for n in (1, 5, 40)] + ["garbage"]
FILTERS = {
    "groupClients": (
        "status: APPROVED",
        "status: CHANGED",
        "rootsOnly: true",
        "rootsOnly: false",
        'search: "rc1"',
        *(f'parentId: "{i}"' for i in GROUP_CLIENT_IDS),
    ),
    "policies": (
        "status: ACTIVE",
        "status: TERMINATED",
        'search: "POL"',
        *(f'asOf: "{day.isoformat()}"' for day in DAYS if day),
        *(f'groupClientId: "{i}"' for i in GROUP_CLIENT_IDS),
        'groupAccountId: "garbage"',
    ),
    "workflowTasks": (
        "state: OPEN",
        "state: COMPLETED",
        "state: null",
        "type: TERMINATION",
        "type: ENROLMENT",
        "overdue: true",
        "overdue: false",
    ),
}
NODE_IDS = (
    *(
        global_id(t, n)
        for t in ("Policy", "GroupClient", "GroupAccount", "Person")
        for n in (1, 9, 60)
    ),
    global_id("PolicyConnection", 1),
    global_id("Node", 1),
    "garbage",
)
REQUEST_FIELDS = (
    "type",
    "state",
    "submittedBy",
    "timeline { action state }",
    "tasks { name state }",
    "policy { number subscriber { givenName } }",
    "groupAccount { code }",
)
TASK_FIELDS = ("id", "title", "state", "kind", "assignee", "overdue")


def pick(draw: Any, fields: tuple[str, ...]) -> list[str]:
    """Some of `fields`, each perhaps under an alias of its own."""
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True))
    return [f"k{n}: {f}" if draw(st.booleans()) else f for n, f in enumerate(chosen)]


def effective(draw: Any) -> str:
    """An `effectiveSettings`, perhaps on a day, with some of its fields."""
    day = draw(st.sampled_from(DAYS))
    asked = f'(asOf: "{day.isoformat()}")' if day else ""
    return f"effectiveSettings{asked} {{ {' '.join(pick(draw, EFFECTIVE_FIELDS))} }}"


def root_filter(draw: Any, root: str) -> str:
    """A root page's `filter:` argument, or none."""
    if not draw(st.booleans()):
        return ""
    given = draw(st.lists(st.sampled_from(FILTERS[root]), min_size=0, max_size=2))
    names = {part.split(":")[0] for part in given}
    if len(names) < len(given):
        given = given[:1]  # a field given twice is a document the validation refuses
    return f", filter: {{ {', '.join(given)} }}"


def node_by_id(draw: Any) -> str:
    """A root `node(id:)` beside the page, or none."""
    if not draw(st.booleans()):
        return ""
    fields = " ".join(draw(st.permutations(("id", "__typename"))))
    return f'node(id: "{draw(st.sampled_from(NODE_IDS))}") {{ {fields} }}'


@st.composite
def task_node(draw: Any) -> str:
    parts = pick(draw, TASK_FIELDS)
    if draw(st.booleans()):
        parts.append(f"request {{ {' '.join(pick(draw, REQUEST_FIELDS))} }}")
    return " ".join(parts)


async def reference(book: Book) -> int:
    """The settings' reference data; the id of the standard premium schedule."""
    await settings_reference(book)
    found = sa.select(col(PremiumSchedule.id)).where(col(PremiumSchedule.code) == "PS-STD")
    return int(await book.session.scalar(found))  # type: ignore[arg-type]


async def configure(
    book: Book, schedule: int, client: GroupClient, account: GroupAccount | None
) -> None:
    """Settings on a client (collected from the group, a flow) and on its account (a
    premium schedule from 5 days ago, a commission rate): values and sources to show."""
    s = book.session
    s.add_all(
        [
            Setting(
                kind=SettingKind.COLLECTION_SETTING,
                group_client_id=client.id,
                value_text=CollectionSetting.GROUP_BILLED,
            ),
            Setting(kind=SettingKind.PROCESS_FLOW, group_client_id=client.id, value_text="std"),
        ]
    )
    if account is not None:
        s.add_all(
            [
                Setting(
                    kind=SettingKind.PREMIUM_SCHEDULE,
                    group_account_id=account.id,
                    premium_schedule_id=schedule,
                    start_date=TODAY - timedelta(days=5),
                ),
                Setting(
                    kind=SettingKind.GROUP_COMMISSION_RATE,
                    group_account_id=account.id,
                    value_decimal=3,
                ),
            ]
        )
    await s.flush()


async def ask_to_end(book: Book, policies: list[Policy]) -> None:
    """Each policy's employee asks to end it in a month: an approval for its group manager."""
    end = (TODAY + timedelta(days=30)).isoformat()
    for policy in policies:
        await employee_asks_to_end(book.session, policy.id, end)  # type: ignore[arg-type]
