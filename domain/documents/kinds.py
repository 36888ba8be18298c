"""What each kind of document offers its template, how long it is kept, and sample data.

A template declares the fields it reads; a CERTIFICATE, ID_CARD or BILL template may declare only
what its producer offers, and a LETTER's fields are what the merge that uses it passes. At
create, a template is compiled with sample data of exactly its fields, so one that reads a
field it did not declare is refused then, not when the first member's letter is due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.documents.models import DocumentKind

BILL_LINES = frozenset(
    {"linePolicies", "lineProducts", "lineAmounts", "lineEmployerShares", "lineEmployeeShares"}
)
"""A bill's lines, a list each of one column (the n-th of each is the n-th line)."""
BILL_HEADING = frozenset(
    {"billKey", "period", "groupClient", "billingAccount", "allocation", "currency", "total"}
) | {"employerTotal", "employeeTotal", "commission", "issuedAt"}
LISTS = frozenset({"insured", "products"}) | BILL_LINES
"""Fields that hold a list of texts; every other field is one text."""

OFFERED: dict[DocumentKind, frozenset[str] | None] = {
    DocumentKind.CERTIFICATE: frozenset(
        {"certificateNumber", "policyNumber", "asOf", "insured", "products", "issuedAt"}
    ),
    DocumentKind.ID_CARD: frozenset(
        {"memberName", "policyNumber", "groupClient", "asOf", "insured", "products", "issuedAt"}
    ),
    DocumentKind.BILL: BILL_HEADING | BILL_LINES,
    DocumentKind.LETTER: None,
}
"""The fields a producer gives a template of each kind; None: whatever the merge passes."""

SHIPPED_LETTERS: dict[str, frozenset[str]] = {
    "coach-drug-letter": frozenset(
        {
            "today",
            "memberName",
            "policyNumber",
            "groupClient",
            "drugName",
            "effectiveDate",
            "description",
        }
    ),
}
"""Letters shipped with the server (reviewed with its code), by code, and the fields they read:
used while the code has no approved version of its own."""


def shipped_fields(kind: DocumentKind, code: str) -> list[str] | None:
    """The fields the shipped template of this code reads; None when none is shipped."""
    if kind is DocumentKind.LETTER:
        return sorted(SHIPPED_LETTERS[code]) if code in SHIPPED_LETTERS else None
    return sorted(OFFERED[kind] or ())


DEFAULT_CODES = {
    DocumentKind.CERTIFICATE: "certificate",
    DocumentKind.ID_CARD: "id-card",
    DocumentKind.BILL: "bill",
}
"""The code whose newest approved version a producer uses, else the shipped file of it."""


@dataclass(frozen=True)
class Retention:
    """How many days each kind of document is kept after it is made."""

    days: dict[DocumentKind, int] = field(
        default_factory=lambda: {
            DocumentKind.LETTER: 3653,  # ten years: correspondence with members
            DocumentKind.CERTIFICATE: 2557,  # seven years: proof of cover
            DocumentKind.ID_CARD: 731,  # two years: a card is replaced when cover changes
            DocumentKind.BILL: 3653,  # ten years: an invoice is a bookkeeping record
        }
    )


_RETENTION: list[Retention] = [Retention()]


def configure(retention: Retention) -> None:
    """Set this process's retention (from the server's settings)."""
    _RETENTION[:] = [retention]


def retention() -> Retention:
    """This process's retention."""
    return _RETENTION[0]


def sample(fields: list[str]) -> dict[str, Any]:
    """Sample data of exactly these fields, to compile a new template with."""
    return {
        name: [f"Sample {name} 1", f"Sample {name} 2"] if name in LISTS else f"Sample {name}"
        for name in fields
    }
