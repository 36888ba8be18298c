"""Per-request loaders of the group structure."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from domain.groups import queries
from domain.groups.models import (
    GroupAccount,
    GroupAccountProduct,
    GroupClient,
    InsurableClass,
)
from schema.core.loaders import counts_by, lists_by, pages_by, rows_by_id


class GroupLoaders:
    """Loaders of group clients, accounts, classes and offered products."""

    def __init__(self, session: AsyncSession) -> None:
        self.group_client_by_id = rows_by_id(session, GroupClient)
        self.group_account_by_id = rows_by_id(session, GroupAccount)
        self.insurable_class_by_id = rows_by_id(session, InsurableClass)
        self.group_account_product_by_id = rows_by_id(session, GroupAccountProduct)
        self.group_clients_by_parent = pages_by(session, GroupClient, GroupClient.parent_id)
        self.group_client_count_by_parent = counts_by(session, GroupClient.parent_id)
        self.group_accounts_by_group_client = pages_by(
            session, GroupAccount, GroupAccount.group_client_id
        )
        self.group_account_count_by_group_client = counts_by(session, GroupAccount.group_client_id)
        self.insurable_classes_by_group_account = lists_by(
            session, InsurableClass, InsurableClass.group_account_id
        )
        self.group_account_products_by_group_account = lists_by(
            session, GroupAccountProduct, GroupAccountProduct.group_account_id
        )

        async def allowed_classes(ids: list[int]) -> list[list[InsurableClass]]:
            found = await queries.allowed_classes(session, ids)
            return [found[i] for i in ids]

        async def ancestors(ids: list[int]) -> list[list[int]]:
            found = await queries.ancestor_ids(session, ids)
            return [found[i] for i in ids]

        self.insurable_classes_by_group_account_product = DataLoader(load_fn=allowed_classes)
        self.ancestor_ids_by_group_client = DataLoader(load_fn=ancestors)
