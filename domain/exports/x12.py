"""A group's cover as an X12 834 (005010X220A1) benefit enrollment file, built from loaded rows.

Pure: plain rows in, the file's text out; the caller has pyx12 validate it before it leaves.
The mapping is the one domain.intake.x12 reads, so that a file exported here and read there
gives the same members: INS01/INS02 the relationship, INS03 the maintenance type, REF*0F the
subscriber's employee number (the policy number when there is none), REF*1L the group
account's code, REF*17 the insurable class's, DTP 356/357 a member's first and last day,
NM1*IL the names and national id (NM108 34), DMG the birth date and gender, one HD loop per
product (HD03 its line, HD04 its code, HD05 its tier) with DTP 348/349.

A full file (BGN08 4, verify) lists every member in force on the day with INS03 030 (audit);
a file of the changes since a day (BGN08 2, change) lists the members added since (021), those
whose cover ended since (024) and, with 001, the members of the other policies changed since.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.exports.queries import Enrolled, Family
from domain.policies.models import Gender, Relationship
from domain.reference.models import CoverageTier, ProductKind

FULL, ADD, TERMINATE, CHANGE = "030", "021", "024", "001"
"""The maintenance types (INS03, HD01) a file uses."""

_RELATIONSHIP = {
    Relationship.SUBSCRIBER: "18",
    Relationship.SPOUSE: "01",
    Relationship.CHILD: "19",
    Relationship.DOMESTIC_PARTNER: "53",
    Relationship.OTHER_DEPENDANT: "23",  # sponsored dependent
}
_TIER = {
    CoverageTier.EMPLOYEE_ONLY: "EMP",
    CoverageTier.EMPLOYEE_SPOUSE: "ESP",
    CoverageTier.EMPLOYEE_CHILDREN: "ECH",
    CoverageTier.FAMILY: "FAM",
}
# X220 has no insurance line for life cover: such a product goes as health, named in HD04.
_LINE = {ProductKind.MEDICAL: "HLT", ProductKind.DENTAL: "DEN", ProductKind.VISION: "VIS"}
_GENDER = {Gender.FEMALE: "F", Gender.MALE: "M"}  # X12 has U, and no code for OTHER
_SEPARATORS = str.maketrans({"*": " ", "~": " ", ":": " ", "^": " ", "\n": " ", "\r": " "})


@dataclass(frozen=True)
class Parties:
    """Who sends and who receives the files (ISA05-08, GS02-03), and the insurer's N1*IN."""

    sender_qualifier: str = "ZZ"
    sender_id: str = "GROUPCOVER"
    receiver_qualifier: str = "ZZ"
    receiver_id: str = "RECEIVER"
    insurer_name: str = "GROUPCOVER INSURER"
    usage: str = "P"
    """ISA15: P production, T test."""


@dataclass(frozen=True)
class Sponsor:
    """The group client the file is of: its code (REF*38, N1*P5) and name."""

    code: str
    name: str


@dataclass(frozen=True)
class Request:
    """What file to build: the day, and the day the changes are counted from (None: full)."""

    as_of: date
    since: date | None = None
    changed: frozenset[int] = frozenset()
    """The policies changed since `since` (from the audit trail), sent with 001."""


def interchange(
    sponsor: Sponsor,
    families: Iterable[Family],
    request: Request,
    *,
    parties: Parties,
    now: datetime,
    personal: bool,
) -> str:
    """The whole interchange (ISA to IEA), one transaction set of every member asked for; ""
    when there is none."""
    control = f"{int(now.timestamp()) % 1_000_000_000:09d}"
    body = [
        ["BGN", "00", f"{sponsor.code}-{request.as_of:%Y%m%d}"[:50], f"{now:%Y%m%d}",
         f"{now:%H%M}", "", "", "", "4" if request.since is None else "2"],
        ["REF", "38", _text(sponsor.code)],
        ["DTP", "007", "D8", f"{request.as_of:%Y%m%d}"],
        ["N1", "P5", _text(sponsor.name), "94", _text(sponsor.code)],
        ["N1", "IN", _text(parties.insurer_name), "94", _text(parties.sender_id)],
    ]  # fmt: skip
    loops = [segment for family in families for segment in _family(family, request, personal)]
    if not loops:  # an 834 holds at least one member: nothing to send is no file
        return ""
    body.extend(loops)
    transaction = [["ST", "834", "0001", "005010X220A1"], *body]
    transaction.append(["SE", str(len(transaction) + 1), "0001"])
    group = str(int(control))
    segments = [
        _isa(parties, now, control),
        ["GS", "BE", parties.sender_id, parties.receiver_id, f"{now:%Y%m%d}", f"{now:%H%M}",
         group, "X", "005010X220A1"],
        *transaction,
        ["GE", "1", group],
        ["IEA", "1", control],
    ]  # fmt: skip
    return "".join("*".join(segment) + "~\n" for segment in segments)


def _isa(parties: Parties, now: datetime, control: str) -> list[str]:
    return [
        "ISA", "00", " " * 10, "00", " " * 10,
        parties.sender_qualifier, f"{parties.sender_id:<15}"[:15],
        parties.receiver_qualifier, f"{parties.receiver_id:<15}"[:15],
        f"{now:%y%m%d}", f"{now:%H%M}", "^", "00501", control, "0", parties.usage, ":",
    ]  # fmt: skip


def _family(family: Family, request: Request, personal: bool) -> list[list[str]]:
    """The member loops of one family the file is asked for, the subscriber's first."""
    policy = family.policy
    members = sorted(family.members, key=lambda pair: pair[0].relationship != "SUBSCRIBER")
    loops = []
    for member, person in members:
        kind = _maintenance(member, policy.id, request)
        if kind is not None:
            loops.extend(_member(family, member, person, kind, personal))
    return loops


def _maintenance(member: Any, policy_id: int, request: Request) -> str | None:
    """What a member's loop says happened to them: None leaves them out of the file."""
    day, since = request.as_of, request.since
    if since is None:
        return FULL if _holds(member, day) else None
    if member.end_date is not None and since <= member.end_date < day:
        return TERMINATE
    if not _holds(member, day):
        return None
    if member.start_date > since:
        return ADD
    return CHANGE if policy_id in request.changed else None


def _member(family: Family, member: Any, person: Any, kind: str, personal: bool) -> list[list[str]]:
    relationship = Relationship(member.relationship)
    head = relationship == Relationship.SUBSCRIBER
    policy, placed = family.policy, family.placed
    loop = [
        ["INS", "Y" if head else "N", _RELATIONSHIP[relationship], kind, "", "A", "", "",
         "FT" if head else ""],
        ["REF", "0F", _text(policy.employee_number or policy.number)],
    ]  # fmt: skip
    if placed.account is not None:
        loop.append(["REF", "1L", _text(placed.account[0])])
    if placed.insurable_class is not None:
        loop.append(["REF", "17", _text(placed.insurable_class[0])])
    loop.append(["DTP", "356", "D8", f"{member.start_date:%Y%m%d}"])
    if member.end_date is not None:
        loop.append(["DTP", "357", "D8", f"{member.end_date:%Y%m%d}"])
    loop.extend(_person(person, personal))
    for enrolled in family.enrolled:
        loop.extend(_coverage(enrolled, member, kind))
    return [_trimmed(segment) for segment in loop]


def _person(person: Any, personal: bool) -> list[list[str]]:
    """NM1*IL and DMG: without the right to personal fields, the person number alone."""
    if not personal:
        return [["NM1", "IL", "1", "REDACTED", "", "", "", "", "ZZ", _text(person.person_number)]]
    name = ["NM1", "IL", "1", _text(person.family_name), _text(person.given_name)]
    if person.national_id:
        name += ["", "", "", "34", _text(person.national_id)]
    gender = _GENDER.get(Gender(person.gender), "U")
    return [name, ["DMG", "D8", f"{person.birth_date:%Y%m%d}", gender]]


def _coverage(enrolled: Enrolled, member: Any, kind: str) -> list[list[str]]:
    """The HD loop of one product for one member, over the days both run."""
    start = max(enrolled.start_date, member.start_date)
    ends = [day for day in (enrolled.end_date, member.end_date) if day is not None]
    if ends and min(ends) < start:
        return []
    loop = [
        ["HD", kind, "", _LINE.get(enrolled.kind, "HLT"), _text(enrolled.code),
         _TIER[enrolled.tier]],
        ["DTP", "348", "D8", f"{start:%Y%m%d}"],
    ]  # fmt: skip
    if ends:
        loop.append(["DTP", "349", "D8", f"{min(ends):%Y%m%d}"])
    return loop


def _holds(row: Any, day: date) -> bool:
    return bool(row.start_date <= day and (row.end_date is None or row.end_date >= day))


def _text(value: str) -> str:
    """A value as an element: no separators, ASCII letters for accented ones."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(ascii_only.translate(_SEPARATORS).split())


def _trimmed(segment: list[str]) -> list[str]:
    """The segment without empty trailing elements (X12 forbids them)."""
    while segment and segment[-1] == "":
        segment = segment[:-1]
    return segment
