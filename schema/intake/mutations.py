"""The mutation that submits an enrolment file."""

from __future__ import annotations

import strawberry

from authz.access import INTAKE_SUBMIT
from domain.intake import service
from schema.core.context import Info
from schema.core.errors import UserError
from schema.core.mutations import actor, mutation
from schema.core.relay import require_id
from schema.core.uploads import uploaded
from schema.intake.inputs import EnrollmentFileSubmitInput
from schema.intake.types import EnrollmentFile, FileState


@strawberry.type(description="The outcome of enrollmentFileSubmit.")
class EnrollmentFileSubmitPayload:
    enrollment_file: EnrollmentFile | None = strawberry.field(
        description="The file's record: its state, counts and rows."
    )
    errors: list[UserError] = strawberry.field(
        description="Why the submission was refused (an unknown group client, a bad key); "
        "a file's own problems are on the record, not here."
    )


async def _kick(info: Info, payload: EnrollmentFileSubmitPayload) -> None:
    """Once committed, hand a large file RECEIVED to its background job."""
    found = payload.enrollment_file
    if found is not None and found.state == FileState.RECEIVED and info.context.runner:
        await info.context.runner.kick_file(found.row.id)  # type: ignore[arg-type]


@strawberry.type
class IntakeMutation:
    @mutation(
        INTAKE_SUBMIT,
        "Apply a file of enrolments to a group client, as you: each row as its policies "
        "mutation would be, each family all or nothing. A file of more rows than the "
        "server's threshold is RECEIVED and applied by a background job: watch its state "
        "and rowsDone.",
        after=_kick,
    )
    async def enrollment_file_submit(
        self, info: Info, input: EnrollmentFileSubmitInput
    ) -> EnrollmentFileSubmitPayload:
        data = await uploaded(input.file)
        row = await service.submit_file(
            info.context.session,
            actor=actor(info),
            limits=info.context.policy_limits,
            group_client_id=require_id(
                input.group_client_id, "GroupClient", field="group_client_id"
            ),
            format=input.format,
            data=data,
            file_name=getattr(input.file, "filename", None),
            dry_run=input.dry_run,
            idempotency_key=input.idempotency_key,
            background_rows=info.context.intake_background_rows,
        )
        return EnrollmentFileSubmitPayload(
            enrollment_file=EnrollmentFile.from_model(row), errors=[]
        )
