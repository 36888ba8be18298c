"""Reading an X12 834 (benefit enrollment) file: pyx12 validates it, then members become rows.

pyx12 checks the envelope (ISA/GS/ST) and every segment and element against the 005010X220A1
map first; a file it finds fault with is refused whole, each problem named by its line and
element (`INS06-01`), and nothing of it is applied. A valid file's member loops (INS ...)
become the same rows as a census's: INS01/INS02 the relationship, INS03 the maintenance type
(021 add, 030 audit: as add, rows already true change nothing; 024 terminate; 025 reinstate
and 001 change are not applied yet and are refused naming INS03), REF*0F the employee number,
REF*1L the group account's code, NM1*IL the names, DMG the birth date and gender, HD04 the
product code and HD05 the coverage tier, DTP 348/356 the first day and 349/357 the last.
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
_ACTION = {"021": RowAction.ADD, "030": RowAction.ADD, "024": RowAction.TERMINATE}


@dataclass(frozen=True)
class Interchange:
    """Who sent an interchange (ISA06) and its control number (ISA13): a resend repeats them."""

    sender: str
    control: str


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
    return Interchange(sender=isa[6].strip(), control=isa[13].strip()), _members(segments)


def _members(segments: list[tuple[int, list[str]]]) -> list[CensusRow]:
    members: list[dict[str, Any]] = []
    for line, seg in segments:
        if seg[0] == "INS":
            members.append({"line": line, "INS": seg})
        elif seg[0] in ("SE", "GE", "IEA"):
            members.append({})
        elif members and members[-1]:
            _Member(members[-1]).take(seg)
    rows = [_Member(m).row for m in members if m]
    accounts: dict[str, str] = {}
    for row in rows:  # REF*1L is often on the subscriber's loop only
        row.account_code = row.account_code or accounts.get(row.employee_number, "")
        accounts.setdefault(row.employee_number, row.account_code)
    return rows


class _Member:
    """One member loop's segments, read into a row as they arrive."""

    def __init__(self, seen: dict[str, Any]) -> None:
        self.seen = seen

    def take(self, seg: list[str]) -> None:
        key = seg[0] if seg[0] not in ("REF", "DTP", "NM1") else f"{seg[0]}*{_at(seg, 1)}"
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
                        "is not applied yet (021, 024 and 030 are).")
            )  # fmt: skip
        row.action = action or RowAction.ADD
        row.account_code = _at(s.get("REF*1L"), 2)
        row.class_code = _at(s.get("REF*17"), 2) or None  # the insurable class, as exported
        row.product_code = _at(s.get("HD"), 4) or None
        row.coverage_tier = _TIER.get(_at(s.get("HD"), 5))
        row.start_date = _day(s.get("DTP*348") or s.get("DTP*356"), problems)
        row.end_date = _day(s.get("DTP*349") or s.get("DTP*357"), problems)
        adding = row.action == RowAction.ADD
        row.person = _person(s.get("NM1*IL"), s.get("DMG"), problems if adding else [])
        if not row.employee_number:
            problems.append(Problem(("REF02",), ErrorCode.REQUIRED, "Give REF*0F*<subscriber id>."))
        row.problems = problems
        return row


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
