"""Queries that export a group's cover in other systems' formats."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from authz.access import GROUPS_READ, PERSONAL_FIELDS, POLICIES_READ
from domain.exports.service import fhir_bundle, x12_file
from domain.groups import queries as groups
from domain.groups.models import GroupClient as GroupClientRow
from schema.core.context import Info
from schema.core.permissions import guarded
from schema.core.relay import decode_id
from schema.groups.types import GroupClient


@strawberry.type
class ExportQuery:
    @strawberry.field(
        **guarded(
            POLICIES_READ,
            "The cover of a group client (by id or code; give one) and everything under it on "
            "a day, as a FHIR R4B Bundle of type collection: an Organization for the client, a "
            "Group per family (policy), a Patient per insured person, a RelatedPerson per "
            "dependant (their relationship to the subscriber) and a Coverage per insured "
            "member following US Core. Only the policies you may see; without the right to "
            "personal fields, Patients and RelatedPersons carry no names, birth date, gender, "
            "national id or contact and are labelled REDACTED. Null when there is no such "
            "client or you may not see it.",
        )
    )
    async def group_client_fhir_bundle(
        self,
        info: Info,
        as_of: Annotated[date, strawberry.argument(description="The day of the cover.")],
        id: strawberry.ID | None = None,
        code: str | None = None,
    ) -> JSON | None:
        client = await _client(info, id, code)
        if client is None:
            return None
        access = info.context.access
        return JSON(
            await fhir_bundle(
                info.context.session,
                client=client,
                as_of=as_of,
                scope=access.scope(POLICIES_READ),
                groups_scope=access.scope(GROUPS_READ),
                personal=access.allows(PERSONAL_FIELDS),
            )
        )

    @strawberry.field(
        **guarded(
            POLICIES_READ,
            "The members of a group client (by id or code; give one) and everything under it "
            "as an ANSI X12 834 (005010X220A1) benefit enrollment file, validated by pyx12: "
            "without `changesSince`, a full file of every member in force on `asOf` (BGN08 4, "
            "INS03 030 audit); with it, the changes from that day to `asOf` (BGN08 2): members "
            "added (021), whose cover ended (024), and the other members of policies changed "
            "meanwhile (001). The same file as `groupcover export-834`. Only the policies you "
            "may see; without the right to personal fields, no name, birth date, gender or "
            "national id (NM1*IL carries the person number). An empty string when there is no "
            "member to send (an 834 holds at least one); null when there is no such client or "
            "you may not see it.",
        )
    )
    async def group_client_x12_file(
        self,
        info: Info,
        as_of: Annotated[date, strawberry.argument(description="The day of the file.")],
        id: strawberry.ID | None = None,
        code: str | None = None,
        changes_since: Annotated[
            date | None,
            strawberry.argument(description="Send the changes since this day, not every member."),
        ] = None,
    ) -> str | None:
        client = await _client(info, id, code)
        if client is None:
            return None
        if changes_since is not None and changes_since > as_of:
            raise GraphQLError("`changesSince` must not be after `asOf`.")
        access = info.context.access
        return await x12_file(
            info.context.session,
            client=client,
            as_of=as_of,
            since=changes_since,
            scope=access.scope(POLICIES_READ),
            groups_scope=access.scope(GROUPS_READ),
            personal=access.allows(PERSONAL_FIELDS),
            parties=info.context.x12_parties,
        )


async def _client(info: Info, id: strawberry.ID | None, code: str | None) -> GroupClientRow | None:
    if (id is None) == (code is None):
        raise GraphQLError("Give exactly one of `id` and `code`.")
    if id is not None:
        row_id = decode_id(id, "GroupClient")
        found = await GroupClient.node_loader(info).load(row_id) if row_id is not None else None
        return found  # type: ignore[no-any-return]
    scope = info.context.access.scope(GROUPS_READ)
    return await groups.client_by_code(info.context.session, code or "", scope=scope)
