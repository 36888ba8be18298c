"""exportCreate: ask for an export, made in the background."""

from __future__ import annotations

import strawberry

from authz.access import REPORTS_EXPORT
from domain.reports import exporting
from domain.reports.ranges import day_range
from domain.reports.sources import Criteria
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import decode_id
from schema.reports.inputs import ExportCreateInput, ExportFilter
from schema.reports.types import Export

_NOWHERE = -1


@strawberry.type(description="The outcome of exportCreate.")
class ExportPayload:
    export: Export | None = strawberry.field(
        description="The export, QUEUED until a worker writes it; null when refused."
    )
    errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


def _criteria(given: ExportFilter | None) -> Criteria:
    if given is None:
        return Criteria()
    client = given.group_client_id
    period = None
    if given.from_ is not None or given.to is not None:
        start = given.from_ or given.to
        period = day_range(start, given.to or start, fields=("filter.from", "filter.to"))  # type: ignore[arg-type]
    return Criteria(
        group_client_id=None if client is None else decode_id(client, "GroupClient") or _NOWHERE,
        as_of=given.as_of,
        period=period,
    )


async def _start(info: Info, payload: ExportPayload) -> None:
    """Once committed, hand the export to the background."""
    runner = info.context.runner
    if payload.export is not None and isinstance(runner, exporting.ExportRunner):
        await runner.export(payload.export.row.id)  # type: ignore[arg-type]


@strawberry.type
class ReportMutation:
    @mutation(
        REPORTS_EXPORT,
        "Export the rows of a kind you may see to a CSV file, in the background, within "
        "your reach and field rules as they are now: a column you may not read (a "
        "personal field) is in the header and empty in every row. Follow its state and "
        "progress on the Export node; download it at its downloadPath when READY.",
        after=_start,
    )
    async def export_create(self, info: Info, input: ExportCreateInput) -> ExportPayload:
        row = await exporting.create_export(
            info.context.session,
            actor=actor(info),
            access=info.context.access,
            kind=input.kind,
            format=input.format,
            given=_criteria(input.filter),
        )
        return ExportPayload(export=Export.from_model(row), errors=[])
