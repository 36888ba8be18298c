"""Reading an X12 834 (benefit enrollment) file: pyx12 validates it, then members become rows.

pyx12 checks the envelope (ISA/GS/ST) and every segment and element against the 005010X220A1
map first; a file it finds fault with is refused whole, each problem named by its line and
element (`INS06-01`), and nothing of it is applied. A valid file's member loops (INS ...)
become the same rows as a census's: INS01/INS02 the relationship (Y or 18 the subscriber, 01
spouse, 19 child, 53 domestic partner, any other a dependant), INS03 the maintenance type
(021 add, 024 cancel or terminate, 025 reinstate, 001 change, 030 audit), REF*0F the
employee number, REF*1L the group account's code (on a dependant's loop the subscriber's;
without any, the header's REF*38, else the group client's only account), NM1*IL the names and
NM109 the national id, DMG the birth date and gender, DTP 348/356 (or 303) the first day and
349/357 the last.

Products (HD): the product whose code is HD04 (the plan), or, without HD04, the product whose
code is HD03 (the insurance line: HLT, DEN, VIS, HMO...); so an insurer names its products by
the plan codes its senders use, or by line code. HD05 is the coverage tier (EMP or IND,
ESP, ECH, FAM); without it the tier follows the family in the file. HD01 024 ends that
product; any other HD01 enrols in it.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.core.errors import ErrorCode, Problem
from domain.core.tables import FileRefused, decode
from domain.intake.census import CensusRow
from domain.intake.models import RowAction
from domain.policies.models import Gender, Relationship
from domain.policies.persons import PersonData
from domain.reference.models import CoverageTier

_RELATIONSHIP = {"18": Relationship.SUBSCRIBER, "01": Relationship.SPOUSE, "19": Relationship.CHILD}
_RELATIONSHIP |= {"53": Relationship.DOMESTIC_PARTNER}
_TIER = {
    "EMP": CoverageTier.EMPLOYEE_ONLY,
    "IND": CoverageTier.EMPLOYEE_ONLY,
    "ESP": CoverageTier.EMPLOYEE_SPOUSE,
    "ECH": CoverageTier.EMPLOYEE_CHILDREN,
    "FAM": CoverageTier.FAMILY,
}
_GENDER = {"F": Gender.FEMALE, "M": Gender.MALE}
_ACTION = {
    "021": RowAction.ADD,
    "024": RowAction.TERMINATE,
    "025": RowAction.REINSTATE,
    "001": RowAction.CHANGE,
    "030": RowAction.AUDIT,
}


@dataclass(frozen=True)
class Interchange:
    """Who sent an interchange (ISA06) and its control number (ISA13): a resend repeats them."""

    sender: str
    control: str
    last_line: int = 0
    """The line of the last segment: where a full file's report of missing members is told."""
    day: date | None = None
    """The day the transaction was made (BGN03): a full file's missing members end before it."""


def validate(text: str) -> None:
    """Refuse the file, naming each problem's line and element, unless pyx12 finds none."""
    import pyx12.params
    import pyx12.x12n_document

    report = io.StringIO()
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # it logs every problem as ERROR
    try:
        valid = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, None, fd_json=report
        )
    except Exception as error:  # pyx12 raises its own errors and plain ones on bad envelopes
        raise _refused(
            ("ISA",), f"Not a readable X12 interchange: {type(error).__name__}."
        ) from None
    problems = list(_problems(json.loads(report.getvalue() or "{}")))
    if not valid or problems:
        raise FileRefused(*(problems or [Problem(("ISA",), ErrorCode.INVALID_FORMAT, "Not X12.")]))


def _refused(field: tuple[str, ...], message: str) -> FileRefused:
    return FileRefused(Problem(field, ErrorCode.INVALID_FORMAT, message))


def _problems(report: dict[str, Any]) -> Any:
    """Each error of pyx12's report, as a problem on [line, element or segment]."""
    for isa in report.get("interchanges", []):
        yield from _errors(isa, "ISA")
        for gs in isa.get("groups", []):
            yield from _errors(gs, "GS")
            for st in gs.get("transactions", []):
                yield from _errors(st, "ST")
                for seg in st.get("segments", []):
                    yield from _errors(seg, seg["seg_id"])
                    for ele in seg.get("elements", []):
                        name = f"{seg['seg_id']}{ele['ele_pos']:02d}"
                        if ele.get("subele_pos"):
                            name += f"-{ele['subele_pos']:02d}"
                        yield from _errors(ele, name, line=seg["cur_line"])


def _errors(node: dict[str, Any], where: str, *, line: int | None = None) -> Any:
    line = line or node.get("cur_line")
    for error in node.get("errors", []):
        yield Problem(
            (f"line {line}", where),
            ErrorCode.INVALID_FORMAT,
            f"Line {line}, {where}: {error['err_str']}",
        )


def read(data: bytes) -> tuple[Interchange, list[CensusRow]]:
    """The interchange's sender and number, and a row per member; FileRefused if invalid."""
    text = decode(data).strip()
    validate(text)
    element, terminator = text[3], text[105]
    segments = [
        (line, s.strip().split(element))
        for line, s in enumerate(text.split(terminator), start=1)
        if s.strip()
    ]
    isa = segments[0][1]
    bgn = next((seg for _, seg in segments if seg[0] == "BGN"), None)
    interchange = Interchange(
        sender=isa[6].strip(),
        control=isa[13].strip(),
        last_line=segments[-1][0],
        day=_day(bgn and ["", "", "", _at(bgn, 3)], []),
    )
    return interchange, _members(segments)


def _members(segments: list[tuple[int, list[str]]]) -> list[CensusRow]:
    members: list[dict[str, Any]] = []
    master = ""
    for line, seg in segments:
        if seg[0] == "INS":
            members.append({"line": line, "INS": seg})
        elif seg[0] in ("SE", "GE", "IEA"):
            members.append({})
        elif members and members[-1]:
            _Member(members[-1]).take(seg)
        elif seg[:2] == ["REF", "38"]:
            master = _at(seg, 2)
    rows = _families([_Member(m).row if m else None for m in members])
    accounts: dict[str, str] = {}
    for row in rows:  # REF*1L is often on the subscriber's loop only
        row.account_code = row.account_code or accounts.get(row.employee_number, "") or master
        accounts.setdefault(row.employee_number, row.account_code)
    return rows


def _families(rows: list[CensusRow | None]) -> list[CensusRow]:
    """The rows, each dependant's loop in the family of the subscriber's loop it follows
    (some senders put the dependant's own id in its REF*0F)."""
    found: list[CensusRow] = []
    head: CensusRow | None = None
    for row in rows:
        if row is None:  # the end of a transaction set
            head = None
        elif row.relationship == Relationship.SUBSCRIBER:
            head = row
        elif head is not None:
            row.employee_number = head.employee_number
        found += [row] if row is not None else []
    return found


class _Member:
    """One member loop's segments, read into a row as they arrive."""

    def __init__(self, seen: dict[str, Any]) -> None:
        self.seen = seen

    def take(self, seg: list[str]) -> None:
        key = seg[0] if seg[0] not in ("REF", "DTP", "NM1") else f"{seg[0]}*{_at(seg, 1)}"
        if seg[0] == "HD":
            self.seen.setdefault("HDs", []).append({"HD": seg})
        elif key in ("DTP*348", "DTP*349") and self.seen.get("HDs"):
            self.seen["HDs"][-1].setdefault(key, seg)  # the days of the HD loop it is in
        self.seen.setdefault(key, seg)

    @property
    def row(self) -> CensusRow:
        s = self.seen
        ins = s["INS"]
        problems: list[Problem] = []
        row = CensusRow(line=s["line"], employee_number=_at(s.get("REF*0F"), 2))
        row.relationship = _relationship(ins, problems)
        action = _ACTION.get(_at(ins, 3))
        if action is None:
            problems.append(
                Problem(("INS03",), ErrorCode.NOT_ALLOWED, f"Maintenance type {_at(ins, 3)!r} "
                        "is not one of 021, 024, 025, 001, 030.")
            )  # fmt: skip
        row.action = action or RowAction.ADD
        row.account_code = _at(s.get("REF*1L"), 2)
        row.class_code = _at(s.get("REF*17"), 2) or None  # the insurable class, as exported
        hd = s.get("HD")
        row.product_code = _product(hd) or None
        row.coverage_tier = _TIER.get(_at(hd, 5))
        row.drops_product = _at(hd, 1) == "024"
        loops = s.get("HDs", [])
        row.more_products = [_product(h["HD"]) for h in loops[1:]]
        row.product_days = {
            _product(h["HD"]): (_day(h.get("DTP*348"), problems), _day(h.get("DTP*349"), problems))
            for h in loops
        }
        # The member's own days (DTP 356, 357), else their products': each HD loop has its own.
        first = s.get("DTP*356") or s.get("DTP*348") or s.get("DTP*303")
        row.start_date = _day(first, problems)
        ends = [days[1] for days in row.product_days.values()]
        last = max(ends) if ends and None not in ends else None  # type: ignore[type-var]
        row.end_date = _day(s.get("DTP*357"), problems) if "DTP*357" in s else last
        adding = row.action in (RowAction.ADD, RowAction.AUDIT)
        name, dmg = s.get("NM1*IL") or s.get("NM1*74"), s.get("DMG")
        row.person = _person(name, dmg, problems if adding else [])
        row.member_id = _at(name, 9) or None
        row.person_changes = _changes(name, dmg, [] if adding else problems)
        if not row.employee_number:
            problems.append(Problem(("REF02",), ErrorCode.REQUIRED, "Give REF*0F*<subscriber id>."))
        row.problems = problems
        return row


def _product(hd: list[str] | None) -> str:
    """The product of an HD loop: its code (HD04), else its line (HD03)."""
    return (_at(hd, 4) or _at(hd, 3))[:30]


def _at(seg: list[str] | None, i: int) -> str:
    return seg[i].strip() if seg is not None and len(seg) > i else ""


def _relationship(ins: list[str], problems: list[Problem]) -> Relationship | None:
    if _at(ins, 1) == "Y":
        return Relationship.SUBSCRIBER
    return _RELATIONSHIP.get(_at(ins, 2), Relationship.OTHER_DEPENDANT)


def _day(seg: list[str] | None, problems: list[Problem]) -> date | None:
    value = _at(seg, 3)
    if not value:
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        problems.append(Problem(("DTP03",), ErrorCode.INVALID_FORMAT, f"No date: {value!r}."))
        return None


def _person(
    name: list[str] | None, dmg: list[str] | None, problems: list[Problem]
) -> PersonData | None:
    born = _day([*(dmg or [])[:1], "", "", _at(dmg, 2)], problems) if dmg else None
    if name is None or born is None:
        problems.append(Problem(("NM103",), ErrorCode.REQUIRED, "Give NM1*IL and DMG."))
        return None
    return PersonData(
        given_name=_at(name, 4).title(),
        family_name=_at(name, 3).title(),
        birth_date=born,
        gender=_GENDER.get(_at(dmg, 3), Gender.UNKNOWN),
        national_id=_at(name, 9) or None,
    )


def _changes(
    name: list[str] | None, dmg: list[str] | None, problems: list[Problem]
) -> dict[str, Any]:
    """The person's fields the loop gives (names, birth date, gender), to compare and change."""
    found: dict[str, Any] = {}
    if _at(name, 4):
        found["given_name"] = _at(name, 4).title()
    if _at(name, 3):
        found["family_name"] = _at(name, 3).title()
    born = _day(["", "", "", _at(dmg, 2)], problems) if _at(dmg, 2) else None
    if born is not None:
        found["birth_date"] = born
    if _at(dmg, 3) in _GENDER:
        found["gender"] = _GENDER[_at(dmg, 3)]
    return found


# The element of an 834 that gave each input a row's problem names (by its census column).
_ELEMENT = {
    "given_name": "NM104",
    "family_name": "NM103",
    "national_id": "NM109",
    "birth_date": "DMG02",
    "gender": "DMG03",
    "product_code": "HD04",
    "coverage_tier": "HD05",
    "start_date": "DTP03",
    "end_date": "DTP03",
    "account_code": "REF02",
    "employee_number": "REF02",
    "class_code": "REF02",
    "relationship": "INS02",
}


def element_of(problem: Problem) -> Problem:
    """The problem, naming the 834 element where a census would name its column."""
    field = tuple(_ELEMENT.get(name, name) for name in problem.field)
    return Problem(field, problem.code, problem.message)
