"""Who the X12 834 files groupcover exports are from and to, read from the environment.

| variable | ISA/GS element | default |
| --- | --- | --- |
| `GROUPCOVER_X12_SENDER_ID` | ISA06, GS02 (and N1*IN's id) | `GROUPCOVER` |
| `GROUPCOVER_X12_SENDER_QUALIFIER` | ISA05 | `ZZ` |
| `GROUPCOVER_X12_RECEIVER_ID` | ISA08, GS03 | `RECEIVER` |
| `GROUPCOVER_X12_RECEIVER_QUALIFIER` | ISA07 | `ZZ` |
| `GROUPCOVER_X12_INSURER_NAME` | N1*IN's name | `GROUPCOVER INSURER` |
| `GROUPCOVER_X12_USAGE` | ISA15: `P` production, `T` test | `P` |
"""

from __future__ import annotations

import re

from domain.exports.x12 import Parties

QUALIFIERS = ("01", "14", "20", "27", "28", "29", "30", "33", "ZZ")
"""The interchange id qualifiers 005010X220A1 allows."""
_ID = re.compile(r"[A-Za-z0-9 .\-]{1,15}")
_NAME = re.compile(r"[A-Za-z0-9 .,&'\-]{1,60}")


def x12_parties(environ: dict[str, str], error: type[Exception]) -> Parties:
    """The parties the variables name, or `error` saying which one is wrong and why."""
    default = Parties()

    def read(name: str, fallback: str, allowed: re.Pattern[str] | tuple[str, ...]) -> str:
        value = environ.get(f"GROUPCOVER_X12_{name}", "").strip() or fallback
        ok = value in allowed if isinstance(allowed, tuple) else allowed.fullmatch(value)
        if not ok:
            raise error(
                f"GROUPCOVER_X12_{name} must be "
                + (f"one of {', '.join(allowed)}" if isinstance(allowed, tuple) else
                   "letters, digits, spaces, '.' or '-' (at most 15; a name: 60)")
                + f", not {value!r}."
            )  # fmt: skip
        return value

    return Parties(
        sender_qualifier=read("SENDER_QUALIFIER", default.sender_qualifier, QUALIFIERS),
        sender_id=read("SENDER_ID", default.sender_id, _ID),
        receiver_qualifier=read("RECEIVER_QUALIFIER", default.receiver_qualifier, QUALIFIERS),
        receiver_id=read("RECEIVER_ID", default.receiver_id, _ID),
        insurer_name=read("INSURER_NAME", default.insurer_name, _NAME),
        usage=read("USAGE", default.usage, ("P", "T")),
    )
