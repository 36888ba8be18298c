"""Mutations of the group structure: each one transaction, each audited."""

from __future__ import annotations

import strawberry

from authz.access import GROUPS_WRITE
from domain.groups import accounts, products, service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import optional_id, require_id
from schema.dynamic.inputs import assignments
from schema.groups import inputs
from schema.groups.types import GroupAccount, GroupAccountProduct, GroupClient, InsurableClass

_ERRORS = "Why the input was refused; empty on success, and then every change was saved."


@strawberry.type(description="The outcome of groupClientCreate.")
class GroupClientCreatePayload:
    group_client: GroupClient | None = strawberry.field(description="The new group client.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of groupClientUpdate.")
class GroupClientUpdatePayload:
    group_client: GroupClient | None = strawberry.field(description="The changed group client.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of groupClientMove.")
class GroupClientMovePayload:
    group_client: GroupClient | None = strawberry.field(description="The moved group client.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of groupClientDelete.")
class GroupClientDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The id of the deleted client.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of groupAccountCreate or groupAccountUpdate.")
class GroupAccountPayload:
    group_account: GroupAccount | None = strawberry.field(description="The group account.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of insurableClassCreate.")
class InsurableClassCreatePayload:
    insurable_class: InsurableClass | None = strawberry.field(description="The new class.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of groupAccountProductAdd.")
class GroupAccountProductAddPayload:
    group_account_product: GroupAccountProduct | None = strawberry.field(
        description="The product as now offered by the account."
    )
    errors: list[UserError] = strawberry.field(description=_ERRORS)


@strawberry.type(description="The outcome of groupAccountProductRemove.")
class GroupAccountProductRemovePayload:
    group_account: GroupAccount | None = strawberry.field(description="The account, updated.")
    errors: list[UserError] = strawberry.field(description=_ERRORS)


def _client_id(value: str, field: str = "id") -> int:
    return require_id(value, "GroupClient", field=field)


def _account_id(value: str, field: str) -> int:
    return require_id(value, "GroupAccount", field=field)


@strawberry.type
class GroupMutation:
    @mutation(GROUPS_WRITE, "Create a group client, at the top or under a parent.")
    async def group_client_create(
        self, info: Info, input: inputs.GroupClientCreateInput
    ) -> GroupClientCreatePayload:
        row = await service.create_group_client(
            info.context.session,
            actor=actor(info),
            code=input.code,
            name=input.name,
            parent_id=optional_id(input.parent_id, "GroupClient", field="parent_id"),
            line_of_business=input.line_of_business,
            data_access_group=input.data_access_group,
        )
        return GroupClientCreatePayload(group_client=GroupClient.from_model(row), errors=[])

    @mutation(
        GROUPS_WRITE, "Change a group client's code, name, line of business or data access group."
    )
    async def group_client_update(
        self, info: Info, input: inputs.GroupClientUpdateInput
    ) -> GroupClientUpdatePayload:
        row = await service.update_group_client(
            info.context.session,
            actor=actor(info),
            group_client_id=_client_id(input.id),
            version=input.version,
            code=input.code,
            name=input.name,
            line_of_business=input.line_of_business,
            data_access_group=input.data_access_group,
            dynamic_fields=assignments(input.dynamic_fields),
        )
        return GroupClientUpdatePayload(group_client=GroupClient.from_model(row), errors=[])

    @mutation(
        GROUPS_WRITE, "Move a group client, with its subtree, under another parent or to the top."
    )
    async def group_client_move(
        self, info: Info, input: inputs.GroupClientMoveInput
    ) -> GroupClientMovePayload:
        row = await service.move_group_client(
            info.context.session,
            actor=actor(info),
            group_client_id=_client_id(input.id),
            new_parent_id=optional_id(input.new_parent_id, "GroupClient", field="new_parent_id"),
            version=input.version,
        )
        return GroupClientMovePayload(group_client=GroupClient.from_model(row), errors=[])

    @mutation(GROUPS_WRITE, "Delete a group client that has no children and no group accounts.")
    async def group_client_delete(
        self, info: Info, input: inputs.GroupClientDeleteInput
    ) -> GroupClientDeletePayload:
        await service.delete_group_client(
            info.context.session,
            actor=actor(info),
            group_client_id=_client_id(input.id),
            version=input.version,
        )
        return GroupClientDeletePayload(deleted_id=input.id, errors=[])

    @mutation(GROUPS_WRITE, "Create a group account under a group client.")
    async def group_account_create(
        self, info: Info, input: inputs.GroupAccountCreateInput
    ) -> GroupAccountPayload:
        row = await accounts.create_group_account(
            info.context.session,
            actor=actor(info),
            group_client_id=_client_id(input.group_client_id, "group_client_id"),
            code=input.code,
            name=input.name,
            data_access_group=input.data_access_group,
            line_of_business=input.line_of_business,
        )
        return GroupAccountPayload(group_account=GroupAccount.from_model(row), errors=[])

    @mutation(
        GROUPS_WRITE, "Change a group account's code, name, line of business or data access group."
    )
    async def group_account_update(
        self, info: Info, input: inputs.GroupAccountUpdateInput
    ) -> GroupAccountPayload:
        row = await accounts.update_group_account(
            info.context.session,
            actor=actor(info),
            group_account_id=_account_id(input.id, "id"),
            version=input.version,
            code=input.code,
            name=input.name,
            line_of_business=input.line_of_business,
            data_access_group=input.data_access_group,
            dynamic_fields=assignments(input.dynamic_fields),
        )
        return GroupAccountPayload(group_account=GroupAccount.from_model(row), errors=[])

    @mutation(GROUPS_WRITE, "Add an insurable class to a group account.")
    async def insurable_class_create(
        self, info: Info, input: inputs.InsurableClassCreateInput
    ) -> InsurableClassCreatePayload:
        row = await products.create_insurable_class(
            info.context.session,
            actor=actor(info),
            group_account_id=_account_id(input.group_account_id, "group_account_id"),
            code=input.code,
            name=input.name,
        )
        return InsurableClassCreatePayload(
            insurable_class=InsurableClass.from_model(row), errors=[]
        )

    @mutation(GROUPS_WRITE, "Offer a product in a group account, to some or all of its classes.")
    async def group_account_product_add(
        self, info: Info, input: inputs.GroupAccountProductAddInput
    ) -> GroupAccountProductAddPayload:
        row = await products.add_group_account_product(
            info.context.session,
            actor=actor(info),
            group_account_id=_account_id(input.group_account_id, "group_account_id"),
            product_code=input.product_code,
            insurable_class_codes=input.insurable_class_codes or (),
        )
        return GroupAccountProductAddPayload(
            group_account_product=GroupAccountProduct.from_model(row), errors=[]
        )

    @mutation(GROUPS_WRITE, "Stop offering a product in a group account.")
    async def group_account_product_remove(
        self, info: Info, input: inputs.GroupAccountProductRemoveInput
    ) -> GroupAccountProductRemovePayload:
        row = await products.remove_group_account_product(
            info.context.session,
            actor=actor(info),
            group_account_id=_account_id(input.group_account_id, "group_account_id"),
            product_code=input.product_code,
        )
        return GroupAccountProductRemovePayload(
            group_account=GroupAccount.from_model(row), errors=[]
        )
