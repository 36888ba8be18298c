"""A hot list reads only the columns its selection shows, and answers as if it read them all."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from graphql import GraphQLObjectType, get_named_type, is_leaf_type
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from domain.dynamic.models import DynamicField, FieldTarget, FieldType
from domain.groups.models import GroupAccount, GroupClient
from domain.policies.limits import utc_today
from domain.policies.models import Person, Policy, PolicyMember
from schema.core import columns
from schema.root import schema
from tests.conftest import StatementCounter, token_for
from tests.factories import Book, families, place, viewers
from tests.graphql import GraphQLClient

# Where each narrowed type is read as a list, FIELDS standing for one field's selection: the
# lists, the pages of a loader (children, an account's policies) and members' persons.
PLACES = {
    "policies": ("Policy", "policies(first: 5) { edges { node { FIELDS } } }"),
    "an account's policies": (
        "Policy",
        'groupAccount(code: "SUB-GA") { policies(first: 5) { edges { node { FIELDS } } } }',
    ),
    "groupClients": ("GroupClient", "groupClients(first: 5) { edges { node { FIELDS } } }"),
    "children": (
        "GroupClient",
        'groupClient(code: "ACME") { children(first: 5) { edges { node { FIELDS } } } }',
    ),
    "groupAccounts": (
        "GroupAccount",
        'groupClient(code: "SUB") { groupAccounts(first: 5) { edges { node { FIELDS } } } }',
    ),
    "members' persons": (
        "Person",
        "policies(first: 5) { edges { node { members { person { FIELDS } } } } }",
    ),
    "members": ("PolicyMember", "policies(first: 5) { edges { node { members { FIELDS } } } }"),
}


async def _book(http: AsyncClient, session: AsyncSession) -> GraphQLClient:
    """A client ACME with a child SUB whose account holds 3 policies, every column of every
    row they show holding a value (a column wrongly left unread then shows as a null)."""
    book = await Book(session).setup()
    top = await place(book)
    where = await place(book, code="SUB", parent=top.client)
    await families(book, where, 3, since=utc_today() - timedelta(days=10))
    await session.execute(
        sa.update(Person).values(
            national_id="NI-" + sa.cast(Person.id, sa.String),
            email="home@example.org",
            phone="+31 20 000",
            address_line="Street 1",
            postal_code="1000 AA",
            city="Town",
            country="NL",
        )
    )
    await session.execute(
        sa.update(Policy).values(
            end_date=date(2099, 12, 31),
            employee_number="E-1",
            work_email="work@example.org",
            salary=Decimal("50000.00"),
            salary_currency="EUR",
            dynamic_fields={"COST": "42"},
        )
    )
    await session.execute(sa.update(PolicyMember).values(refund_iban="NL91ABNA0417164300"))
    await session.execute(sa.update(GroupClient).values(dynamic_fields={"COST": "42"}))
    await session.execute(
        sa.update(GroupAccount).values(end_date=date(2099, 12, 31), dynamic_fields={"COST": "42"})
    )
    session.add_all(
        DynamicField(target=target, code="COST", label="Cost centre", value_type=FieldType.TEXT)
        for target in FieldTarget
    )
    await session.commit()
    return GraphQLClient(http, token_for(viewers("ACME")["admin"]))


def _selections(type_name: str) -> dict[str, str]:
    """Each field of the type, selected alone: a leaf as itself, an object with its leaves."""
    fields = schema._schema.type_map[type_name].fields  # type: ignore[union-attr]
    found = {}
    for name, field in fields.items():
        named = get_named_type(field.type)
        if is_leaf_type(named):
            found[name] = name
            continue
        leaves = []
        if isinstance(named, GraphQLObjectType):
            leaves = [n for n, f in named.fields.items() if is_leaf_type(get_named_type(f.type))]
        found[name] = f"{name} {{ __typename {' '.join(leaves)} }}"
    return found


@pytest.mark.parametrize("where", list(PLACES))
async def test_each_field_asked_alone_answers_as_if_the_whole_row_were_read(
    http: AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # given rows with a value in every column
    client = await _book(http, session)
    type_name, template = PLACES[where]
    for field, selection in _selections(type_name).items():
        document = "query { " + template.replace("FIELDS", selection) + " }"
        # when the field is asked alone, the rows read narrowly and then whole
        narrow = await client.raw(document)
        with monkeypatch.context() as whole:
            whole.setattr(columns, "NODES", {})
            whole.setattr(columns, "PERSON", {})
            wide = await client.raw(document)
        # then the answers are the same
        assert narrow == wide, field
        assert "errors" not in narrow, (field, narrow["errors"])


NESTED = """
query {
  groupClient(code: "SUB") { groupAccounts(first: 1) { edges { node {
    a: policies(first: 3) { edges { node { number members { person { givenName } } } } }
    b: policies(first: 3) { edges { node { salary: employment { salary }
                                            members { person { email } } } } }
  } } } }
}
"""


async def test_two_selections_of_one_list_read_together_and_each_gets_what_it_shows(
    http: AsyncClient,
    session: AsyncSession,
    statements: StatementCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given rows with a value in every column
    client = await _book(http, session)
    statements.reset()
    # when one account's policies are asked twice, for different columns of them
    data = await client.query(NESTED)
    narrow = statements.statements[:]
    statements.reset()
    with monkeypatch.context() as whole:
        whole.setattr(columns, "NODES", {})
        whole.setattr(columns, "PERSON", {})
        assert await client.query(NESTED) == data
    # then each shows its own columns, from one read of the pages and one of the members with
    # their persons
    account = data["groupClient"]["groupAccounts"]["edges"][0]["node"]
    assert [e["node"]["number"][:4] for e in account["a"]["edges"]] == ["POL-"] * 3
    assert {e["node"]["salary"]["salary"] for e in account["b"]["edges"]} == {"50000.00"}
    persons = [m["person"] for e in account["b"]["edges"] for m in e["node"]["members"]]
    assert {p["email"] for p in persons} == {"home@example.org"}
    assert len(narrow) == statements.count
    # and those reads took the union of what the two show, and not the rest
    (pages,) = [s for s in narrow if "policy.number" in s]
    assert "policy.salary" in pages and "dynamic_fields" not in pages
    (people,) = [s for s in narrow if "person.given_name" in s]
    assert "person.email" in people and "person.given_name" in people
    assert "person.national_id" not in people


async def test_a_field_the_table_does_not_know_reads_every_column(
    http: AsyncClient,
    session: AsyncSession,
    statements: StatementCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a field added to Policy but not to the table of what its fields read
    client = await _book(http, session)
    monkeypatch.delitem(columns.NODES["Policy"], "status")
    statements.reset()
    # when it is asked
    data = await client.query("query { policies(first: 5) { edges { node { status } } } }")
    # then the page read the whole rows, and the answer holds the values
    assert {e["node"]["status"] for e in data["policies"]["edges"]} == {"ACTIVE"}
    (page,) = [s for s in statements.statements if "policy.number" in s]
    assert "policy.dynamic_fields" in page
