"""`groupcover intake FILE --group CODE`: an operator applies an enrolment file.

The file goes through the same service as `enrollmentFileSubmit`, as an admin named by `--as`
(the audit trail records that subject), in one transaction; the command prints the file's
state, its counts and each refused row with its line, column and reason.
"""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from api.settings import Settings, database_engine
from authz.access import INTAKE_SUBMIT, Access, Actor, Need
from authz.principal import Principal, Role
from domain.core.errors import DomainError
from domain.core.transactions import atomic
from domain.database import session_factory
from domain.groups.models import GroupClient
from domain.intake import service
from domain.intake.models import EnrollmentFile, EnrollmentFileRow, FileFormat, RowOutcome


def operator(subject: str | None, need: Need = INTAKE_SUBMIT) -> Actor:
    """The operator as an admin doing `need`, named as given or by their login."""
    if subject is None:
        try:
            subject = f"operator:{getpass.getuser()}"
        except (OSError, KeyError):  # no login name in some containers
            subject = "operator:unknown"
    return Access(Principal(subject, frozenset({Role.ADMIN}))).actor(need)


def run(
    path: Path, *, group: str, dry_run: bool, subject: str | None, settings: Settings
) -> tuple[int, str]:
    """Apply the file; the exit status (0 applied, 1 some or all refused) and the report."""

    data = path.read_bytes()

    async def work() -> tuple[int, str]:
        engine = database_engine(settings)
        try:
            async with session_factory(engine)() as session:
                client_id = await session.scalar(
                    sa.select(col(GroupClient.id)).where(col(GroupClient.code) == group)
                )
                if client_id is None:
                    return 2, f"groupcover: no group client has the code {group!r}."
                try:
                    async with atomic(session):
                        record = await service.submit_file(
                            session, actor=operator(subject), limits=settings.policy_limits,
                            group_client_id=client_id, format=_format(path),
                            data=data, file_name=path.name, dry_run=dry_run,
                        )  # fmt: skip
                        rows = await _refused(session, record)
                except DomainError as error:
                    return 2, f"groupcover: {error}"
                return (0 if record.refused_rows == 0 and not record.errors else 1), _report(
                    record, rows
                )
        finally:
            await engine.dispose()

    return asyncio.run(work())


def _format(path: Path) -> FileFormat:
    return FileFormat.X12_834 if path.suffix.lower() in (".834", ".x12", ".edi") else FileFormat.CSV


async def _refused(session: object, record: EnrollmentFile) -> list[EnrollmentFileRow]:
    stmt = (
        sa.select(EnrollmentFileRow)
        .where(
            col(EnrollmentFileRow.file_id) == record.id,
            col(EnrollmentFileRow.outcome) == RowOutcome.REFUSED,
        )
        .order_by(col(EnrollmentFileRow.line))
    )
    return list(await session.scalars(stmt))  # type: ignore[attr-defined]


def _report(record: EnrollmentFile, refused: list[EnrollmentFileRow]) -> str:
    lines = [
        f"File {record.id}: {record.state.value}{_DRY if record.dry_run else ''}; "
        f"{record.received_policies} families, {record.received_members} rows: "
        f"{record.applied_rows} applied, {record.unchanged_rows} unchanged, "
        f"{record.refused_rows} refused."
    ]
    lines += [f"  file: {_problem(e)}" for e in record.errors]
    for row in refused:
        lines += [f"  line {row.line} ({row.employee_number}): {_problem(e)}" for e in row.errors]
    return "\n".join(lines)


_DRY = " (dry run: nothing saved)"


def _problem(error: dict[str, Any]) -> str:
    return f"{error['field'][0]}: {error['code']}: {error['message']}"
