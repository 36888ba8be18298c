"""Census files for the intake tests: a header and rows built from readable parts."""

from __future__ import annotations

from datetime import timedelta

from domain.policies.limits import utc_today

TODAY = utc_today()
HEADER = (
    "employee_number,relationship,given_name,family_name,birth_date,gender,national_id,"
    "account_code,class_code,product_code,coverage_tier,start_date"
)


def born(years: int) -> str:
    return (TODAY - timedelta(days=365 * years + 30)).isoformat()


def family(number: str, name: str, *, child_born: str | None = None, start: str = "") -> list[str]:
    """A subscriber, a spouse and a child of ACME's STAFF class, with medical FAMILY."""
    start = start or TODAY.isoformat()
    return [
        f"{number},SUBSCRIBER,{name},Doe,{born(40)},MALE,NID-{number},ACME-GA,STAFF,MED-PPO,FAMILY,{start}",
        f"{number},SPOUSE,{name}s wife,Doe,{born(38)},FEMALE,,ACME-GA,STAFF,,,{start}",
        f"{number},CHILD,{name}s kid,Doe,{child_born or born(8)},UNKNOWN,,ACME-GA,STAFF,,,{start}",
    ]


def csv_of(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()
