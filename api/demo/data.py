"""The demo book as plain data: an insurer's reference data and three employer groups.

Globex is a multinational (a US holding with subsidiaries in Germany, France and the US,
sites and departments below them); Northwind is a mid-size Australian logistics firm;
Brightside is a small US bakery. Clients are listed parents first.
"""

from __future__ import annotations

from typing import NamedTuple

from domain.reference.models import CoverageTier, ProductKind

ALL_TIERS = tuple(CoverageTier)
EMPLOYEE_ONLY = (CoverageTier.EMPLOYEE_ONLY,)


class ProductSpec(NamedTuple):
    code: str
    name: str
    kind: ProductKind
    line_of_business: str
    tiers: tuple[CoverageTier, ...]


class ClientSpec(NamedTuple):
    code: str
    name: str
    parent: str | None
    data_access_group: str
    line_of_business: str = "HEALTH"


# (product code, insurable class codes it is offered to; none: every class of the account)
Offer = tuple[str, tuple[str, ...]]
Classes = tuple[tuple[str, str], ...]


class AccountSpec(NamedTuple):
    code: str
    name: str
    client: str
    data_access_group: str
    line_of_business: str | None = None  # None: the client's
    classes: Classes = ()
    offers: tuple[Offer, ...] = ()


class EditSpec(NamedTuple):
    """A change to a group account made after the book was last approved."""

    account: str
    classes: Classes = ()
    offers: tuple[Offer, ...] = ()


LINES_OF_BUSINESS = (
    ("HEALTH", "Group health"),
    ("DENTAL", "Group dental"),
    ("LIFE", "Group life and disability"),
)

DATA_ACCESS_GROUPS = (
    ("EU", "European clients"),
    ("US", "US clients"),
    ("APAC", "Asia-Pacific clients"),
)

PRODUCTS = (
    ProductSpec("MED-PPO-GOLD", "Medical PPO Gold", ProductKind.MEDICAL, "HEALTH", ALL_TIERS),
    ProductSpec("MED-PPO-SILVER", "Medical PPO Silver", ProductKind.MEDICAL, "HEALTH", ALL_TIERS),
    ProductSpec("MED-HMO", "Medical HMO", ProductKind.MEDICAL, "HEALTH", ALL_TIERS),
    ProductSpec(
        "MED-HDHP", "Medical high-deductible with HSA", ProductKind.MEDICAL, "HEALTH", ALL_TIERS
    ),
    ProductSpec(
        "MED-TOPUP", "Hospital and specialist top-up", ProductKind.MEDICAL, "HEALTH", ALL_TIERS
    ),
    ProductSpec("DEN-BASIC", "Dental basic", ProductKind.DENTAL, "DENTAL", ALL_TIERS),
    ProductSpec(
        "DEN-PLUS", "Dental plus with orthodontics", ProductKind.DENTAL, "DENTAL", ALL_TIERS
    ),
    ProductSpec("VIS-STD", "Vision standard", ProductKind.VISION, "HEALTH", ALL_TIERS),
    ProductSpec("LIFE-1X", "Term life 1x salary", ProductKind.LIFE, "LIFE", EMPLOYEE_ONLY),
    ProductSpec("LIFE-2X", "Term life 2x salary", ProductKind.LIFE, "LIFE", EMPLOYEE_ONLY),
    ProductSpec(
        "LIFE-EXEC", "Executive term life 4x salary", ProductKind.LIFE, "LIFE", EMPLOYEE_ONLY
    ),
    ProductSpec(
        "DIS-LTD", "Long-term disability 60%", ProductKind.DISABILITY, "LIFE", EMPLOYEE_ONLY
    ),
)

STAFF: Classes = (("EXEC", "Executives"), ("SAL", "Salaried staff"), ("HOURLY", "Hourly staff"))
OFFICE: Classes = (("EXEC", "Executives"), ("SAL", "Salaried staff"))

US_HEALTH: tuple[Offer, ...] = (
    ("MED-PPO-GOLD", ("EXEC",)),
    ("MED-PPO-SILVER", ("SAL",)),
    ("MED-HMO", ("SAL", "HOURLY")),
    ("MED-HDHP", ()),
    ("DEN-PLUS", ("EXEC", "SAL")),
    ("DEN-BASIC", ("HOURLY",)),
    ("VIS-STD", ()),
)
EU_HEALTH: tuple[Offer, ...] = (
    ("MED-TOPUP", ()),
    ("DEN-PLUS", ("EXEC",)),
    ("DEN-BASIC", ("SAL", "HOURLY")),
)
LIFE: tuple[Offer, ...] = (
    ("LIFE-EXEC", ("EXEC",)),
    ("LIFE-2X", ("SAL",)),
    ("LIFE-1X", ("HOURLY",)),
    ("DIS-LTD", ("EXEC", "SAL")),
)

CLIENTS = (
    ClientSpec("GLOBEX", "Globex Holdings", None, "US"),
    ClientSpec("GLOBEX-DE", "Globex Germany GmbH", "GLOBEX", "EU"),
    ClientSpec("GLOBEX-DE-MUC", "Globex Germany - Munich site", "GLOBEX-DE", "EU"),
    ClientSpec("GLOBEX-DE-MUC-ENG", "Munich - Engineering", "GLOBEX-DE-MUC", "EU"),
    ClientSpec("GLOBEX-DE-MUC-SLS", "Munich - Sales", "GLOBEX-DE-MUC", "EU"),
    ClientSpec("GLOBEX-DE-HAM", "Globex Germany - Hamburg site", "GLOBEX-DE", "EU"),
    ClientSpec("GLOBEX-DE-HAM-LOG", "Hamburg - Logistics", "GLOBEX-DE-HAM", "EU"),
    ClientSpec("GLOBEX-FR", "Globex France SAS", "GLOBEX", "EU"),
    ClientSpec("GLOBEX-FR-PAR", "Globex France - Paris head office", "GLOBEX-FR", "EU"),
    ClientSpec("GLOBEX-FR-PAR-FIN", "Paris - Finance", "GLOBEX-FR-PAR", "EU"),
    ClientSpec("GLOBEX-FR-PAR-RD", "Paris - Research and development", "GLOBEX-FR-PAR", "EU"),
    ClientSpec("GLOBEX-FR-LYS", "Globex France - Lyon plant", "GLOBEX-FR", "EU"),
    ClientSpec("GLOBEX-US", "Globex Inc.", "GLOBEX", "US"),
    ClientSpec("GLOBEX-US-CHI", "Globex Inc. - Chicago head office", "GLOBEX-US", "US"),
    ClientSpec("GLOBEX-US-CHI-EXO", "Chicago - Executive office", "GLOBEX-US-CHI", "US"),
    ClientSpec("GLOBEX-US-CHI-OPS", "Chicago - Operations", "GLOBEX-US-CHI", "US"),
    ClientSpec("GLOBEX-US-AUS", "Globex Inc. - Austin plant", "GLOBEX-US", "US"),
    ClientSpec("GLOBEX-US-AUS-MFG", "Austin - Manufacturing", "GLOBEX-US-AUS", "US"),
    ClientSpec("NORTHWIND", "Northwind Logistics Pty Ltd", None, "APAC"),
    ClientSpec("NORTHWIND-SYD", "Northwind - Sydney head office", "NORTHWIND", "APAC"),
    ClientSpec("NORTHWIND-MEL", "Northwind - Melbourne depot", "NORTHWIND", "APAC"),
    ClientSpec("BRIGHTSIDE", "Brightside Bakery LLC", None, "US"),
)


def _fit(offers: tuple[Offer, ...], classes: Classes) -> tuple[Offer, ...]:
    """Narrow each offer to the account's classes; drop those left for none of them."""
    codes = {code for code, _name in classes}
    fitted = []
    for product, wanted in offers:
        kept = tuple(code for code in wanted if code in codes)
        if kept or not wanted:  # an offer to no listed class is an offer to every class
            fitted.append((product, kept))
    return tuple(fitted)


def _eu(code: str, name: str, client: str, classes: Classes) -> AccountSpec:
    return AccountSpec(code, name, client, "EU", None, classes, _fit(EU_HEALTH, classes))


def _us(code: str, name: str, client: str, classes: Classes) -> AccountSpec:
    return AccountSpec(code, name, client, "US", None, classes, _fit(US_HEALTH, classes))


def _life(code: str, name: str, client: str, dag: str) -> AccountSpec:
    return AccountSpec(code, name, client, dag, "LIFE", STAFF, LIFE)


ACCOUNTS = (
    _eu("GLX-DE-MUC-ENG", "Munich Engineering staff", "GLOBEX-DE-MUC-ENG", OFFICE),
    _eu("GLX-DE-MUC-SLS", "Munich Sales staff", "GLOBEX-DE-MUC-SLS", OFFICE),
    _eu("GLX-DE-HAM-LOG", "Hamburg Logistics staff", "GLOBEX-DE-HAM-LOG", STAFF),
    _life("GLX-DE-LIFE", "Globex Germany group life", "GLOBEX-DE", "EU"),
    _eu("GLX-FR-PAR-FIN", "Paris Finance staff", "GLOBEX-FR-PAR-FIN", OFFICE),
    _eu("GLX-FR-PAR-RD", "Paris R&D staff", "GLOBEX-FR-PAR-RD", OFFICE),
    _eu("GLX-FR-LYS", "Lyon plant staff", "GLOBEX-FR-LYS", STAFF),
    _life("GLX-FR-LIFE", "Globex France group life", "GLOBEX-FR", "EU"),
    _us("GLX-US-CHI-EXO", "Chicago executive office", "GLOBEX-US-CHI-EXO", OFFICE),
    _us("GLX-US-CHI-OPS", "Chicago operations staff", "GLOBEX-US-CHI-OPS", STAFF),
    _us("GLX-US-AUS-MFG", "Austin manufacturing staff", "GLOBEX-US-AUS-MFG", STAFF),
    _life("GLX-US-LIFE", "Globex Inc. group life", "GLOBEX-US", "US"),
    AccountSpec(
        "NWL-SYD-OFFICE",
        "Sydney office staff",
        "NORTHWIND-SYD",
        "APAC",
        None,
        (("MGMT", "Management"), ("OFFICE", "Office staff")),
        (("MED-PPO-GOLD", ("MGMT",)), ("MED-PPO-SILVER", ("OFFICE",)), ("DEN-PLUS", ())),
    ),
    AccountSpec(
        "NWL-MEL-DEPOT",
        "Melbourne depot staff",
        "NORTHWIND-MEL",
        "APAC",
        None,
        (("DRIVERS", "Drivers"), ("WAREHOUSE", "Warehouse staff")),
        (("MED-HMO", ()), ("DEN-BASIC", ())),
    ),
    AccountSpec(
        "NWL-LIFE",
        "Northwind group life",
        "NORTHWIND",
        "APAC",
        "LIFE",
        (("PERM", "Permanent staff"), ("CASUAL", "Casual staff")),
        (("LIFE-2X", ("PERM",)), ("LIFE-1X", ("CASUAL",)), ("DIS-LTD", ("PERM",))),
    ),
    AccountSpec(
        "BRIGHTSIDE-ALL",
        "Brightside all employees",
        "BRIGHTSIDE",
        "US",
        None,
        (("ALL", "All employees"),),
        (("MED-HDHP", ()), ("DEN-BASIC", ()), ("LIFE-1X", ())),
    ),
)

# Their group clients stay CHANGED: recently edited, not yet submitted again.
RECENT_EDITS = (
    EditSpec("GLX-FR-PAR-RD", classes=(("INTERN", "Interns"),)),
    EditSpec("NWL-MEL-DEPOT", offers=(("VIS-STD", ("DRIVERS",)),)),
)
