"""Inputs of the group structure's queries and mutations."""

from __future__ import annotations

import strawberry

from schema.dynamic.inputs import DynamicFieldAssignmentInput
from schema.groups.types import GroupStatus


@strawberry.input(description="Which group clients to list; every given criterion must hold.")
class GroupClientFilter:
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the children of this group client."
    )
    roots_only: bool | None = strawberry.field(
        default=None, description="Only group clients at the top of a tree."
    )
    status: GroupStatus | None = strawberry.field(default=None, description="Only this status.")
    search: str | None = strawberry.field(
        default=None, description="Text found in the code or the name, ignoring case."
    )


@strawberry.input(description="A new group client.")
class GroupClientCreateInput:
    code: str = strawberry.field(
        description="Business code: up to 30 letters, digits, '.', '_', '-'."
    )
    name: str = strawberry.field(description="The name shown to people; up to 200 characters.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The group client to put it under; none for a new tree."
    )
    line_of_business: str = strawberry.field(description="Code of its line of business.")
    data_access_group: str = strawberry.field(description="Code of its data access group.")


@strawberry.input(description="Changes to a group client; fields left out keep their value.")
class GroupClientUpdateInput:
    id: strawberry.ID = strawberry.field(description="The group client to change.")
    version: int = strawberry.field(description="The version you read; refused if stale.")
    code: str | None = strawberry.field(default=None, description="A new business code.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    line_of_business: str | None = strawberry.field(
        default=None, description="Code of a new line of business."
    )
    data_access_group: str | None = strawberry.field(
        default=None, description="Code of a new data access group."
    )
    dynamic_fields: list[DynamicFieldAssignmentInput] | None = strawberry.field(
        default=None,
        description="Dynamic field values to set or (with null) clear; others keep theirs.",
    )


@strawberry.input(description="Where to move a group client, with everything below it.")
class GroupClientMoveInput:
    id: strawberry.ID = strawberry.field(description="The group client to move.")
    new_parent_id: strawberry.ID | None = strawberry.field(
        description="The new parent; null makes it the top of its own tree."
    )
    version: int | None = strawberry.field(
        default=None, description="The version you read; when given, refused if stale."
    )


@strawberry.input(description="A group client to delete; it must have no children and no accounts.")
class GroupClientDeleteInput:
    id: strawberry.ID = strawberry.field(description="The group client to delete.")
    version: int | None = strawberry.field(
        default=None, description="The version you read; when given, refused if stale."
    )


@strawberry.input(description="A new group account under a group client.")
class GroupAccountCreateInput:
    group_client_id: strawberry.ID = strawberry.field(description="The group client it belongs to.")
    code: str = strawberry.field(
        description="Business code: up to 30 letters, digits, '.', '_', '-'."
    )
    name: str = strawberry.field(description="The name shown to people; up to 200 characters.")
    data_access_group: str = strawberry.field(description="Code of its data access group.")
    line_of_business: str | None = strawberry.field(
        default=None, description="Code of its line of business; the group client's when left out."
    )


@strawberry.input(description="Changes to a group account; fields left out keep their value.")
class GroupAccountUpdateInput:
    id: strawberry.ID = strawberry.field(description="The group account to change.")
    version: int = strawberry.field(description="The version you read; refused if stale.")
    code: str | None = strawberry.field(default=None, description="A new business code.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    line_of_business: str | None = strawberry.field(
        default=None, description="Code of a new line of business."
    )
    data_access_group: str | None = strawberry.field(
        default=None, description="Code of a new data access group."
    )
    dynamic_fields: list[DynamicFieldAssignmentInput] | None = strawberry.field(
        default=None,
        description="Dynamic field values to set or (with null) clear; others keep theirs.",
    )


@strawberry.input(description="A new insurable class in a group account.")
class InsurableClassCreateInput:
    group_account_id: strawberry.ID = strawberry.field(
        description="The group account it belongs to."
    )
    code: str = strawberry.field(description="Business code, unique within the account.")
    name: str = strawberry.field(description="The name shown to people.")


@strawberry.input(description="A product for a group account to offer.")
class GroupAccountProductAddInput:
    group_account_id: strawberry.ID = strawberry.field(description="The group account.")
    product_code: str = strawberry.field(description="Code of the product to offer.")
    insurable_class_codes: list[str] | None = strawberry.field(
        default=None,
        description="Codes of the account's insurable classes that may take it; "
        "none or empty: every class.",
    )


@strawberry.input(description="A product a group account should stop offering.")
class GroupAccountProductRemoveInput:
    group_account_id: strawberry.ID = strawberry.field(description="The group account.")
    product_code: str = strawberry.field(description="Code of the product to stop offering.")
