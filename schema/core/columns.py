"""Which columns of its rows a hot list's answer shows: the list reads only those.

bench.load's nested query shows one column of each of its 1,000 policies (`number`) and of
each of their 2,500 members' persons (`givenName`), where whole rows decoded 16 of each
(JSON, timestamps, numbers). Reading only those, on the 10,000-policy book, in process,
alternated: 145 ms of the app's CPU per answer against 157, and 8.5 ms of PostgreSQL's
against 9.8 (bench/README.md, issue 21).

For the types below, each GraphQL field names the columns of the type's row it reads (most
read none: they load by the id, which is always read). A page of such nodes (`window`, in
schema.core.relay) and a read of members' persons (schema.policies.types) read the union over
the fields their selection holds, through fragments. A field missing here (a new one) makes
the read take every column: a field forgotten costs speed, never a wrong answer. Columns not
read are None in the record (domain.core.paging.completed), so `from_model` works on any row;
tests/schema/core/test_columns.py asks each field of these types alone, read narrowly and
wholly, and compares the answers. A loader keys its rows by the columns they were read with,
so rows read for a narrow selection never answer a wider one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLOutputType, get_named_type

from domain.core.naming import camel
from domain.core.paging import Columns, wider
from schema.core.asked import fields_of, remembered, selection

Needs = dict[str, frozenset[str]]


def _own(*columns: str) -> Needs:
    """Fields named as their own column (`start_date`: `startDate`)."""
    return {camel(column): frozenset({column}) for column in columns}


def _none(*fields: str) -> Needs:
    """Fields that read no column but the id."""
    return dict.fromkeys(fields, frozenset())


_GROUP_LINKS = {
    "lineOfBusiness": frozenset({"line_of_business_id"}),
    "dataAccessGroup": frozenset({"data_access_group_id"}),
}
NODES: dict[str, Needs] = {
    "Policy": {
        **_own("number", "status", "start_date", "end_date", "version", "dynamic_fields"),
        **_none("id", "members", "groupAccount", "insurableClass", "enrollmentProducts"),
        **_none("history", "coverage", "effectiveSettings", "premium"),
        **_GROUP_LINKS,
        "employment": frozenset({"employee_number", "work_email", "salary", "salary_currency"}),
        "subscriber": frozenset({"subscriber_id"}),
    },
    "GroupClient": {
        **_own("code", "name", "status", "version", "dynamic_fields"),
        **_none("id", "accountTeam", "ancestors", "children", "groupAccounts", "policies"),
        **_none("effectiveSettings"),
        **_GROUP_LINKS,
        "inPremiumCalculation": frozenset({"status"}),
        "parent": frozenset({"parent_id"}),
    },
    "GroupAccount": {
        **_own("code", "name", "version", "end_date", "dynamic_fields"),
        **_none("id", "policies", "insurableClasses", "products", "effectiveSettings"),
        **_GROUP_LINKS,
        "groupClient": frozenset({"group_client_id"}),
    },
}
"""The nodes of the connections whose pages read only what their selection shows."""

PERSON: Needs = {
    **_own("person_number", "version", "given_name", "family_name", "birth_date", "gender"),
    **_own("national_id", "email", "phone", "address_line", "postal_code", "city", "country"),
    **_none("id"),
}
MEMBER: Needs = {"ageLimitDate": frozenset({"birth_date"})}
"""A member's fields that read their person's row (beside `person` itself)."""


def node_columns(info: Any) -> Columns:
    """The columns of its rows that the nodes of the connection being resolved show; None
    (every column) for a connection of another type, or a field not in its table."""
    return remembered(info, "node columns", lambda: _node_columns(info))  # type: ignore[no-any-return]


def person_columns(info: Any) -> Columns:
    """The columns of members' persons that the selection below the field being resolved
    shows, wherever it asks for a `person` or a member's `ageLimitDate`."""
    return remembered(info, "person columns", lambda: _persons(selection(info)))  # type: ignore[no-any-return]


def _node_columns(info: Any) -> Columns:
    needs = NODES.get(_node_type(info._raw_info.return_type) or "")
    if needs is None:
        return None
    nodes = _named(_named(selection(info), "edges"), "node")
    return _needed(needs, (field.name for node in nodes for field in fields_of(node.selections)))


def _node_type(connection: GraphQLOutputType) -> str | None:
    edges = getattr(get_named_type(connection), "fields", {}).get("edges")
    node = getattr(get_named_type(edges.type), "fields", {}).get("node") if edges else None
    return get_named_type(node.type).name if node else None


def _named(fields: Iterable[Any], name: str) -> list[Any]:
    return [
        child for field in fields for child in fields_of(field.selections) if child.name == name
    ]


def _persons(fields: Iterable[Any]) -> Columns:
    found: Columns = frozenset()
    for field in fields:
        for child in fields_of(field.selections):
            if child.name == "person":
                names = (grandchild.name for grandchild in fields_of(child.selections))
                found = wider(found, _needed(PERSON, names))
            elif child.name in MEMBER:
                found = wider(found, MEMBER[child.name])
            found = wider(found, _persons([child]))
    return found


def _needed(needs: Needs, names: Iterable[str]) -> Columns:
    """The union of what the fields named read; None when one is not in `needs`."""
    found: set[str] = set()
    for name in names:
        if name == "__typename":
            continue
        if name not in needs:
            return None
        found |= needs[name]
    return frozenset(found)
