"""What membership figures are grouped by and filtered on, and what a group's figures are:
plain values shared by the statement (domain.reports.membership) and the schema."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class MembershipKey(StrEnum):
    """What membership figures may be grouped by."""

    GROUP_CLIENT = "GROUP_CLIENT"
    GROUP_ACCOUNT = "GROUP_ACCOUNT"
    PRODUCT = "PRODUCT"
    COVERAGE_TIER = "COVERAGE_TIER"
    RELATIONSHIP = "RELATIONSHIP"
    LINE_OF_BUSINESS = "LINE_OF_BUSINESS"
    AGE_BAND = "AGE_BAND"


AGE_BANDS: tuple[tuple[int, str], ...] = (
    (18, "0-17"),
    (26, "18-25"),
    (36, "26-35"),
    (46, "36-45"),
    (56, "46-55"),
    (66, "56-65"),
)
"""Each band's first age past it, and its name; older is OLDEST_BAND."""
OLDEST_BAND = "66+"


def age_band(age: int) -> str:
    """The band of an age, as the statement computes it."""
    return next((name for limit, name in AGE_BANDS if age < limit), OLDEST_BAND)


@dataclass(frozen=True)
class MembershipFilter:
    """Which members to count: under a group client (its subtree) or in one account, on the
    day each is looked at. A client or account the caller may not see matches nothing."""

    group_client_id: int | None = None
    group_account_id: int | None = None


@dataclass(frozen=True)
class MembershipRow:
    """One group's figures; a key not grouped by is absent from `keys`."""

    keys: dict[MembershipKey, Any]
    policies: int
    members: int
    joiners: int
    leavers: int
