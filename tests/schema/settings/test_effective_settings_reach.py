"""An effective setting's source names no level the caller cannot see.

The value applies to the object asked whoever set it, so it stays; but a group client hidden
by its own restrictions does not exist for the caller, so the source keeps its level and
dates and leaves out the hidden client's id and its setting's id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from authz.principal import Principal, Role
from schema.core.relay import global_id
from tests.conftest import token_for
from tests.factories import Book
from tests.graphql import GraphQLClient
from tests.schema.settings.conftest import set_

ACCOUNT = """
query($code: String!) {
  groupAccount(code: $code) {
    code
    effectiveSettings {
      collectionSetting { value source { level id settingId startDate endDate } }
      billAllocation { value source { level id settingId } }
      processFlow { value source { level id settingId } }
    }
  }
}
"""


@dataclass
class Tree:
    """EU-HOLDING (EU, hidden from a US back office) > US-SUB (US) > US-GA (US), and US-GA-2
    (US) right under EU-HOLDING; ids as the API gives them."""

    holding: str
    sub: str


@pytest.fixture
async def tree(admin: GraphQLClient, session: AsyncSession) -> Tree:
    book = await Book(session).setup()
    holding = await book.client(code="EU-HOLDING", dag=book.dag_eu)
    sub = await book.client(holding, code="US-SUB", dag=book.dag_us)
    for client, code in ((sub, "US-GA"), (holding, "US-GA-2")):
        account = await book.account(client, code=code)
        account.data_access_group_id = book.dag_us.id
    await session.commit()
    ids = Tree(holding=global_id("GroupClient", holding.id), sub=global_id("GroupClient", sub.id))  # type: ignore[arg-type]
    await set_(admin, ids.holding, "COLLECTION_SETTING", collectionSetting="GROUP_BILLED")
    await set_(admin, ids.holding, "BILL_ALLOCATION", billAllocation="SINGLE_BILL")
    await set_(admin, ids.sub, "PROCESS_FLOW", processFlow="standard")
    return ids


def _us_backoffice(http: AsyncClient) -> GraphQLClient:
    principal = Principal(
        "backoffice-us",
        frozenset({Role.BACKOFFICE}),
        data_access_groups=frozenset({"US"}),
        lines_of_business=frozenset({"HEALTH"}),
    )
    return GraphQLClient(http, token_for(principal))


async def _settings(client: GraphQLClient, code: str) -> dict[str, Any]:
    return (await client.query(ACCOUNT, {"code": code}))["groupAccount"]["effectiveSettings"]


async def test_a_value_from_a_hidden_parent_applies_without_naming_it(
    http: AsyncClient, tree: Tree
) -> None:
    # when
    found = await _settings(_us_backoffice(http), "US-GA")
    # then the value and the kind of level are there, the hidden client's ids are not
    assert found["collectionSetting"] == {
        "value": "GROUP_BILLED",
        "source": {
            "level": "PARENT_GROUP_CLIENT",
            "id": None,
            "settingId": None,
            "startDate": None,
            "endDate": None,
        },
    }
    # and a level the caller sees is named as before
    assert found["processFlow"]["source"]["id"] == tree.sub
    assert found["processFlow"]["source"]["settingId"] is not None
    assert tree.holding not in json.dumps(found)


async def test_an_account_right_under_a_hidden_client_does_not_name_it(
    http: AsyncClient, tree: Tree
) -> None:
    # when
    found = await _settings(_us_backoffice(http), "US-GA-2")
    # then
    assert found["billAllocation"] == {
        "value": "SINGLE_BILL",
        "source": {"level": "GROUP_CLIENT", "id": None, "settingId": None},
    }
    assert found["collectionSetting"]["source"]["id"] is None
    assert found["processFlow"] == {"value": None, "source": None}  # set below, on US-SUB
    assert tree.holding not in json.dumps(found)


async def test_a_caller_who_sees_every_level_is_told_each_source(
    admin: GraphQLClient, tree: Tree
) -> None:
    # when
    found = await _settings(admin, "US-GA")
    # then
    assert found["collectionSetting"]["source"]["id"] == tree.holding
    assert found["collectionSetting"]["source"]["settingId"] is not None
    assert found["processFlow"]["source"]["id"] == tree.sub
