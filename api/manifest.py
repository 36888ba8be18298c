"""`groupcover documents`: the operators' manifest of trusted documents (api/persisted.py).

A file is trusted as it is, byte for byte: its SHA-256 is what clients send. It must parse and
validate against this server's schema and limits, so that a trusted document never fails for
a reason known when it was added. Every addition and removal is one audit event
(`trustedDocumentAdd`, `trustedDocumentRemove`) naming the operator, through the one write
path like any other change: what production accepts is worth a trail.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from graphql import GraphQLError, OperationDefinitionNode, parse, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings, database_engine
from authz.access import ACCESS_WRITE, Access, Actor
from authz.principal import Principal, Role
from domain.core.transactions import atomic
from domain.database import session_factory
from domain.persisted import service
from domain.persisted.models import TrustedDocument
from schema.core.limits import limit_rules

T = TypeVar("T")
MAX_ERRORS = 5
"""The most problems one refusal lists (a whole file of mistakes says little more)."""


class DocumentError(Exception):
    """A file that cannot be trusted; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Checked:
    """A file's text, checked, and its operations' names ('' for an anonymous one)."""

    path: Path
    text: str
    operation_names: list[str]


def check(path: Path, settings: Settings) -> Checked:
    """Read a .graphql file and check it against the schema and the limits this server runs."""
    from schema.root import schema

    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise DocumentError(f"{path}: cannot be read ({error.strerror or error}).") from error
    except UnicodeDecodeError as error:
        raise DocumentError(f"{path}: is not UTF-8 text.") from error
    limits = settings.query_limits
    try:
        document = parse(text, max_tokens=limits.max_tokens)
    except GraphQLError as error:
        raise DocumentError(f"{path}:{_where(error)} {error.message}") from error
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise DocumentError(f"{path}: holds no operation (a query, mutation or subscription).")
    rules = [*specified_rules, *limit_rules(limits)]
    if settings.production:
        rules.append(NoSchemaIntrospectionCustomRule)  # production refuses introspection
    errors = validate(schema._schema, document, rules)
    if errors:
        problems = "; ".join(f"{_where(e)} {e.message}" for e in errors[:MAX_ERRORS])
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise DocumentError(f"{path}: does not validate against the schema: {problems}{more}")
    names = [op.name.value if op.name else "" for op in operations]
    return Checked(path, text, names)


def _where(error: GraphQLError) -> str:
    """`line:column:` of an error's first location, or nothing."""
    if not error.locations:
        return ""
    location = error.locations[0]
    return f"{location.line}:{location.column}:"


def operator() -> Actor:
    """The operator running the command, as the audit trail names them."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        user = "unknown"
    # As an admin: which documents may run is part of who may call what (access:write).
    admin = Principal(f"operator:{user}", frozenset({Role.ADMIN}))
    return Access(admin).actor(ACCESS_WRITE)


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = database_engine(settings)
        try:
            async with session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def add(paths: list[Path], settings: Settings) -> list[tuple[TrustedDocument, bool]]:
    """Trust every file, or none when one of them fails its check; each row, and whether new."""
    checked = [check(path, settings) for path in paths]
    actor = operator()

    async def work(session: AsyncSession) -> list[tuple[TrustedDocument, bool]]:
        async with atomic(session):
            return [
                await service.add(
                    session, actor=actor, text=one.text, operation_names=one.operation_names
                )
                for one in checked
            ]

    return _run(settings, work)


def remove(digest: str, settings: Settings) -> TrustedDocument | None:
    """Stop trusting the document with this hash; the removed row, or None."""
    actor = operator()

    async def work(session: AsyncSession) -> TrustedDocument | None:
        async with atomic(session):
            return await service.remove(session, actor=actor, sha256=digest.strip().lower())

    return _run(settings, work)


def listed(settings: Settings) -> list[TrustedDocument]:
    """Every trusted document, the first added first."""
    return _run(settings, service.list_documents)


def line(row: TrustedDocument) -> str:
    """One document as `list` prints it, tab-separated: hash, when added (UTC), by whom, and
    its operations."""
    names = ", ".join(name or "(anonymous)" for name in row.operation_names)
    added = row.added_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{row.sha256}\t{added}\t{row.added_by}\t{names}"


def describe(rows: list[Any]) -> str:
    """The lines of `list`, with a header; a note when there are none."""
    if not rows:
        return "No trusted documents."
    return "\n".join(["sha256\tadded_at\tadded_by\toperations", *(line(row) for row in rows)])
