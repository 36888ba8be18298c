"""GraphQL types of the group structure."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from authz.access import POLICIES_READ
from domain.groups import models
from domain.settings.models import SettingLevel
from schema.campaigns.types import AccountTeam
from schema.core.context import Info
from schema.core.cost import bound
from schema.core.permissions import guarded
from schema.core.relay import CountedConnection, RowNode
from schema.dynamic.types import DYNAMIC_FIELDS, DynamicFieldValue, FieldTarget, dynamic_values
from schema.reference.types import DataAccessGroup, LineOfBusiness, Product
from schema.settings.types import EffectiveSettings, effective_field, load_effective

strawberry.enum(
    models.GroupStatus,
    description="APPROVED: validated and in use for premiums; CHANGED: edited since approval.",
)
GroupStatus = models.GroupStatus

if TYPE_CHECKING:
    from schema.policies.types import PolicyConnection

# Policies build on groups: their types are imported lazily to keep imports one way.
_Policies = Annotated["PolicyConnection", strawberry.lazy("schema.policies.types")]
_AS_OF = (
    "With asOf, the policies in force and in it on that day; without, every policy "
    "that was ever in it."
)

TREE_DEPTH = 10
"""The levels a tree of group clients is taken to have, for the cost of a query."""


@strawberry.type(
    description="A node of a group's tree: a company, subsidiary, country or department."
)
class GroupClient(RowNode):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="The business code, unique among group clients.")
    name: str = strawberry.field(description="The name shown to people.")
    status: GroupStatus = strawberry.field(description="Whether the configuration is approved.")
    version: int = strawberry.field(description="Bumped by every change; send it back to update.")
    row: strawberry.Private[models.GroupClient]

    @classmethod
    def from_model(cls, row: models.GroupClient) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            code=row.code,
            name=row.name,
            status=row.status,
            version=row.version,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.groups.group_client_by_id

    @strawberry.field(
        description="Whether premiums are calculated for it: false while CHANGED, until its "
        "changes are submitted and approved (groupClientSubmit)."
    )
    def in_premium_calculation(self) -> bool:
        return self.status == GroupStatus.APPROVED

    @strawberry.field(**DYNAMIC_FIELDS)
    async def dynamic_fields(self, info: Info) -> list[DynamicFieldValue]:
        return await dynamic_values(info, FieldTarget.GROUP_CLIENT, self.row.dynamic_fields)

    @strawberry.field(
        description="The account team that looks after it: its own, or else the default team "
        "(null when neither exists)."
    )
    async def account_team(self, info: Info) -> AccountTeam | None:
        row = await info.context.loaders.campaigns.account_team_by_group_client.load(self.id)
        return AccountTeam.from_model(row) if row else None

    @strawberry.field(description="The group client above this one; null at the top of a tree.")
    async def parent(self, info: Info) -> GroupClient | None:
        if self.row.parent_id is None:
            return None
        row = await info.context.loaders.groups.group_client_by_id.load(self.row.parent_id)
        return GroupClient.from_model(row) if row else None

    @strawberry.field(
        description="Every group client above this one, the top of the tree first.",
        metadata=bound(TREE_DEPTH),
    )
    async def ancestors(self, info: Info) -> list[GroupClient]:
        loaders = info.context.loaders.groups
        ids = await loaders.ancestor_ids_by_group_client.load(self.id)
        rows = await loaders.group_client_by_id.load_many(ids)
        return [GroupClient.from_model(row) for row in rows if row]

    @strawberry.field(description="The group clients directly below this one.")
    async def children(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> GroupClientConnection:
        loaders = info.context.loaders.groups
        return await GroupClientConnection.load(
            info,
            loaders.group_clients_by_parent,
            loaders.group_client_count_by_parent,
            self.id,
            GroupClient.from_model,
            first=first,
            after=after,
        )

    @strawberry.field(description="The group accounts of this group client.")
    async def group_accounts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> GroupAccountConnection:
        loaders = info.context.loaders.groups
        return await GroupAccountConnection.load(
            info,
            loaders.group_accounts_by_group_client,
            loaders.group_account_count_by_group_client,
            self.id,
            GroupAccount.from_model,
            first=first,
            after=after,
        )

    @strawberry.field(
        **guarded(POLICIES_READ, f"The policies in this group client or below it. {_AS_OF}")
    )
    async def policies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        as_of: date | None = None,
    ) -> _Policies | None:
        from schema.policies.queries import client_policies

        return await client_policies(info, self.id, as_of, first, after)

    @strawberry.field(description="The group client's own line of business (not inherited).")
    async def line_of_business(self, info: Info) -> LineOfBusiness:
        return await LineOfBusiness.load(info, self.row.line_of_business_id)

    @strawberry.field(description="The group client's own data access group (not inherited).")
    async def data_access_group(self, info: Info) -> DataAccessGroup:
        return await DataAccessGroup.load(info, self.row.data_access_group_id)

    @strawberry.field(**effective_field("group client"))
    async def effective_settings(
        self, info: Info, as_of: date | None = None
    ) -> EffectiveSettings | None:
        return await load_effective(info, SettingLevel.GROUP_CLIENT, self.id, as_of)


@strawberry.type(
    description="A segment of a group client: decides the products its members may have."
)
class GroupAccount(RowNode):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="The business code, unique among group accounts.")
    name: str = strawberry.field(description="The name shown to people.")
    version: int = strawberry.field(description="Bumped by every change; send it back to update.")
    row: strawberry.Private[models.GroupAccount]

    end_date: date | None = strawberry.field(
        description="The account's last day, once terminated: no policy belongs to it after."
    )

    @classmethod
    def from_model(cls, row: models.GroupAccount) -> Self:
        return cls(
            id=row.id,  # type: ignore[arg-type]
            code=row.code,
            name=row.name,
            version=row.version,
            end_date=row.end_date,
            row=row,
        )

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.groups.group_account_by_id

    @strawberry.field(**DYNAMIC_FIELDS)
    async def dynamic_fields(self, info: Info) -> list[DynamicFieldValue]:
        return await dynamic_values(info, FieldTarget.GROUP_ACCOUNT, self.row.dynamic_fields)

    @strawberry.field(
        description="The group client this account belongs to; null when you may not see it "
        "(an account's restrictions are its own, so you may see the account and not its client)."
    )
    async def group_client(self, info: Info) -> GroupClient | None:
        row = await info.context.loaders.groups.group_client_by_id.load(self.row.group_client_id)
        return GroupClient.from_model(row) if row else None

    @strawberry.field(**guarded(POLICIES_READ, f"The policies in this group account. {_AS_OF}"))
    async def policies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        as_of: date | None = None,
    ) -> _Policies | None:
        from schema.policies.queries import account_policies

        return await account_policies(info, self.id, as_of, first, after)

    @strawberry.field(description="The account's own line of business (not inherited).")
    async def line_of_business(self, info: Info) -> LineOfBusiness:
        return await LineOfBusiness.load(info, self.row.line_of_business_id)

    @strawberry.field(description="The account's own data access group (not inherited).")
    async def data_access_group(self, info: Info) -> DataAccessGroup:
        return await DataAccessGroup.load(info, self.row.data_access_group_id)

    @strawberry.field(description="The insurable classes of this account.", metadata=bound(10))
    async def insurable_classes(self, info: Info) -> list[InsurableClass]:
        rows = await info.context.loaders.groups.insurable_classes_by_group_account.load(self.id)
        return [InsurableClass.from_model(row) for row in rows]

    @strawberry.field(description="The products this account offers.", metadata=bound(10))
    async def products(self, info: Info) -> list[GroupAccountProduct]:
        loader = info.context.loaders.groups.group_account_products_by_group_account
        return [GroupAccountProduct.from_model(row) for row in await loader.load(self.id)]

    @strawberry.field(**effective_field("group account"))
    async def effective_settings(
        self, info: Info, as_of: date | None = None
    ) -> EffectiveSettings | None:
        return await load_effective(info, SettingLevel.GROUP_ACCOUNT, self.id, as_of)


@strawberry.type(description="A sub-segment of a group account, e.g. executives or hourly staff.")
class InsurableClass(RowNode):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="The business code, unique within its account.")
    name: str = strawberry.field(description="The name shown to people.")
    row: strawberry.Private[models.InsurableClass]

    @classmethod
    def from_model(cls, row: models.InsurableClass) -> Self:
        return cls(id=row.id, code=row.code, name=row.name, row=row)  # type: ignore[arg-type]

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.groups.insurable_class_by_id

    @strawberry.field(description="The group account this class belongs to.")
    async def group_account(self, info: Info) -> GroupAccount:
        row = await info.context.loaders.groups.group_account_by_id.load(self.row.group_account_id)
        return GroupAccount.from_model(row)


@strawberry.type(description="A product offered in a group account, to some or all of its classes.")
class GroupAccountProduct(RowNode):
    id: relay.NodeID[int]
    row: strawberry.Private[models.GroupAccountProduct]

    @classmethod
    def from_model(cls, row: models.GroupAccountProduct) -> Self:
        return cls(id=row.id, row=row)  # type: ignore[arg-type]

    @classmethod
    def node_loader(cls, info: Info) -> DataLoader[int, Any]:
        return info.context.loaders.groups.group_account_product_by_id

    @strawberry.field(description="The product offered.")
    async def product(self, info: Info) -> Product:
        row = await info.context.loaders.reference.product_by_id.load(self.row.product_id)
        return Product.from_model(row)

    @strawberry.field(description="The group account that offers it.")
    async def group_account(self, info: Info) -> GroupAccount:
        row = await info.context.loaders.groups.group_account_by_id.load(self.row.group_account_id)
        return GroupAccount.from_model(row)

    @strawberry.field(
        description="The insurable classes allowed to take the product; empty when every "
        "class of the account may (see openToAllClasses).",
        metadata=bound(10),
    )
    async def insurable_classes(self, info: Info) -> list[InsurableClass]:
        loader = info.context.loaders.groups.insurable_classes_by_group_account_product
        return [InsurableClass.from_model(row) for row in await loader.load(self.id)]

    @strawberry.field(description="True when every insurable class of the account may take it.")
    async def open_to_all_classes(self, info: Info) -> bool:
        loader = info.context.loaders.groups.insurable_classes_by_group_account_product
        return not await loader.load(self.id)

    @strawberry.field(**effective_field("product of the account"))
    async def effective_settings(
        self, info: Info, as_of: date | None = None
    ) -> EffectiveSettings | None:
        return await load_effective(info, SettingLevel.GROUP_ACCOUNT_PRODUCT, self.id, as_of)


@strawberry.type(name="GroupClientConnection", description="A page of group clients.")
class GroupClientConnection(CountedConnection[GroupClient]):
    pass


@strawberry.type(name="GroupAccountConnection", description="A page of group accounts.")
class GroupAccountConnection(CountedConnection[GroupAccount]):
    pass
