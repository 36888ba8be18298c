"""Per-request loaders of the group structure, each limited to the rows the caller may read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from authz.access import GROUPS_READ, Access
from domain.core.reach import visible
from domain.groups import queries
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupClient,
    InsurableClass,
)
from schema.core.batch import counts_by, lists_by, pages_by, rows_by_id


class GroupLoaders:
    """Loaders of group clients, accounts, classes and offered products."""

    def __init__(self, session: AsyncSession, caller: Access) -> None:
        scope = caller.scope(GROUPS_READ)
        clients = visible(scope, GroupClient)
        accounts = visible(scope, GroupAccount)
        classes = visible(scope, InsurableClass)
        offers = visible(scope, GroupAccountProduct)
        self.group_client_by_id = rows_by_id(session, GroupClient, where=clients)
        self.group_account_by_id = rows_by_id(session, GroupAccount, where=accounts)
        self.insurable_class_by_id = rows_by_id(session, InsurableClass, where=classes)
        self.group_account_product_by_id = rows_by_id(session, GroupAccountProduct, where=offers)
        self.group_clients_by_parent = pages_by(
            session, GroupClient, GroupClient.parent_id, where=clients
        )
        self.group_client_count_by_parent = counts_by(session, GroupClient.parent_id, where=clients)
        self.group_accounts_by_group_client = pages_by(
            session, GroupAccount, GroupAccount.group_client_id, where=accounts
        )
        self.group_account_count_by_group_client = counts_by(
            session, GroupAccount.group_client_id, where=accounts
        )
        self.insurable_classes_by_group_account = lists_by(
            session, InsurableClass, InsurableClass.group_account_id, where=classes
        )
        self.group_account_products_by_group_account = lists_by(
            session, GroupAccountProduct, GroupAccountProduct.group_account_id, where=offers
        )

        async def allowed_classes(ids: list[int]) -> list[list[InsurableClass]]:
            found = await queries.allowed_classes(session, ids, where=classes)
            return [found[i] for i in ids]

        async def ancestors(ids: list[int]) -> list[list[int]]:
            # Only ids: the clients themselves are read through group_client_by_id, which
            # leaves out those the caller may not see.
            found = await queries.ancestor_ids(session, ids)
            return [found[i] for i in ids]

        self.insurable_classes_by_group_account_product = DataLoader(load_fn=allowed_classes)
        self.ancestor_ids_by_group_client = DataLoader(load_fn=ancestors)
