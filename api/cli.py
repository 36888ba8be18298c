"""The `groupcover` command: serve, worker, migrate, demo, reference load, export-fhir,
export-834, token, export-schema, documents, intake, claims, retention."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from api.settings import SettingsError, database_engine, load_settings, require_mail_server

logger = logging.getLogger("groupcover.worker")


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from api.connections import uvicorn_options

    settings = load_settings()
    require_mail_server(settings)
    if settings.production is False:
        print(f"GraphiQL: http://{args.host}:{args.port}/graphql (send a token as a header)")
    if settings.metrics.enabled:
        _metrics_across_processes(settings, args.host)
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "log_level": "info",
        # In production each request's JSON line (api.observe) replaces uvicorn's access log.
        "access_log": not settings.production,
        "proxy_headers": True,
        **uvicorn_options(settings),
    }
    if args.workers > 1 and sys.platform == "linux":
        from api.workers import Workers

        Workers(uvicorn.Config("api.main:app", **options)).run()
    else:
        uvicorn.run("api.main:app", **options)


def _metrics_across_processes(settings: Any, host: str) -> None:
    """Keep every process's metric values in one folder (before prometheus_client is first
    imported: it picks its storage then), emptied of a past run's; serve them on their own
    port if so set."""
    import tempfile

    folder = Path(os.environ.get(MULTIPROC_DIR) or tempfile.mkdtemp(prefix="groupcover-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_DIR] = str(folder)
    if settings.metrics.mode == "port":
        from api.metrics import serve_port

        serve_port(host, settings.metrics.port, settings.database_url)


MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _migrate(_args: argparse.Namespace) -> None:
    from migrations.runner import upgrade

    upgrade(load_settings().database_url)
    print("Database is at the latest migration.")


def _demo(_args: argparse.Namespace) -> None:
    from api.demo.book import load_demo_book
    from domain.database import session_factory

    async def run() -> dict[str, int]:
        engine = database_engine(load_settings())
        try:
            async with session_factory(engine)() as session:
                return await load_demo_book(session)
        finally:
            await engine.dispose()

    added = asyncio.run(run())
    summary = ", ".join(f"{count} {what}" for what, count in added.items() if count)
    print(f"Demo book loaded ({summary or 'already complete, nothing added'}).")


def _reference_load(args: argparse.Namespace) -> None:
    from api.reference import load_file

    settings = load_settings()
    sys.exit(load_file(args.file, database_url=settings.database_url))


def _export_fhir(args: argparse.Namespace) -> None:
    from api.exports import export_fhir

    settings = load_settings()
    sys.exit(export_fhir(args.group, args.as_of, database_url=settings.database_url))


def _export_834(args: argparse.Namespace) -> None:
    from api.exports import export_834

    settings = load_settings()
    sys.exit(
        export_834(
            args.group,
            args.as_of,
            args.changes_since,
            database_url=settings.database_url,
            parties=settings.x12_parties,
        )
    )


def _token(args: argparse.Namespace) -> None:
    from api import tokens
    from authz.principal import Principal, Role

    principal = Principal(
        subject=args.subject,
        roles=frozenset(Role(role) for role in args.role),
        groups=frozenset(args.group),
        data_access_groups=frozenset(args.dag),
        lines_of_business=frozenset(args.lob),
        person=args.person,
    )
    lifetime = timedelta(hours=args.hours)
    print(tokens.issue(principal, secret=load_settings().secret_key, lifetime=lifetime))


def _worker(args: argparse.Namespace) -> None:
    from api import worker

    settings = load_settings()
    require_mail_server(settings)
    if not settings.database_url.startswith("postgresql"):
        sys.exit(
            "groupcover: the worker needs PostgreSQL; on SQLite, `groupcover serve` runs the "
            "background steps itself."
        )
    # procrastinate logs each job it takes; with this, an operator sees the worker at work.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    def on_start(queue: Any) -> None:
        _log_start(queue, settings.database_url, args)

    asyncio.run(
        worker.run(settings, concurrency=args.concurrency, once=args.once, on_start=on_start)
    )
    logger.info("groupcover worker stopped")


def _log_start(queue: Any, database_url: str, args: argparse.Namespace) -> None:
    """Say what this worker listens to: its queues and tasks, the database (no password)."""
    from sqlalchemy.engine import make_url

    from api import jobs

    tasks = sorted(name for name, task in queue.tasks.items() if task.queue in jobs.QUEUES)
    logger.info(
        "groupcover worker started (pid %d): queues %s (tasks %s) on %s, %d jobs at once%s",
        os.getpid(),
        ", ".join(jobs.QUEUES),
        ", ".join(tasks),
        make_url(database_url).render_as_string(hide_password=True),
        args.concurrency,
        ", until the queue is empty" if args.once else "",
    )


def _export_schema(_args: argparse.Namespace) -> None:
    from schema.root import schema

    sys.stdout.write(schema.as_str() + "\n")


def _documents_add(args: argparse.Namespace) -> None:
    from api import manifest

    try:
        added = manifest.add(args.files, load_settings())
    except manifest.DocumentError as error:
        sys.exit(f"groupcover: {error} Nothing was added.")
    for path, (row, new) in zip(args.files, added, strict=True):
        print(f"{'Trusted' if new else 'Already trusted'}: {manifest.line(row)}  ({path})")


def _documents_list(_args: argparse.Namespace) -> None:
    from api import manifest

    print(manifest.describe(manifest.listed(load_settings())))


def _documents_remove(args: argparse.Namespace) -> None:
    from api import manifest

    removed = manifest.remove(args.hash, load_settings())
    if removed is None:
        sys.exit(f"groupcover: no trusted document has the hash {args.hash!r}.")
    print(f"Removed: {manifest.line(removed)}")


def _intake(args: argparse.Namespace) -> None:
    from api import intake

    status, report = intake.run(
        args.file, group=args.group, dry_run=args.dry_run, subject=args.subject,
        settings=load_settings(),
    )  # fmt: skip
    print(report, file=sys.stderr if status == 2 else sys.stdout)
    sys.exit(status)


def _intake_parser(commands: Any) -> None:
    intake = commands.add_parser(
        "intake", help="apply an enrolment file (a CSV census) to a group client, as an admin"
    )
    intake.add_argument("file", type=Path, metavar="FILE")
    intake.add_argument("--group", required=True, metavar="CODE", help="the group client's code")
    intake.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
    intake.add_argument("--as", dest="subject", metavar="SUBJECT", help="who the audit trail names")
    intake.set_defaults(run=_intake)


def _claims(args: argparse.Namespace) -> None:
    from api import claims

    status, report = claims.run(args.file, subject=args.subject, settings=load_settings())
    print(report, file=sys.stderr if status == 2 else sys.stdout)
    sys.exit(status)


def _retention(args: argparse.Namespace) -> None:
    from api import retention

    print(retention.run(subject=args.subject, settings=load_settings()))


def _retention_parser(commands: Any) -> None:
    found = commands.add_parser("retention", help="documents past their retention date")
    actions = found.add_subparsers(dest="action", required=True)
    purge = actions.add_parser("purge", help="delete them and their PDFs, as an admin")
    purge.add_argument("--as", dest="subject", metavar="SUBJECT", help="who the audit trail names")
    purge.set_defaults(run=_retention)


def _claims_parser(commands: Any) -> None:
    claims = commands.add_parser("claims", help="members' pharmacy claims summaries")
    actions = claims.add_subparsers(dest="action", required=True)
    load = actions.add_parser("load", help="load a claims summary CSV, as an admin")
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--as", dest="subject", metavar="SUBJECT", help="who the audit trail names")
    load.set_defaults(run=_claims)


def _documents_parser(commands: Any) -> None:
    documents = commands.add_parser("documents", help="the trusted documents clients run by hash")
    actions = documents.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="trust .graphql files (checked against the schema)")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.set_defaults(run=_documents_add)
    listing = actions.add_parser("list", help="print each document's hash, date and operations")
    listing.set_defaults(run=_documents_list)
    remove = actions.add_parser("remove", help="stop trusting a document")
    remove.add_argument("hash", metavar="HASH", help="its SHA-256, as `list` prints it")
    remove.set_defaults(run=_documents_remove)


def parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    from authz.principal import Role

    root = argparse.ArgumentParser(prog="groupcover", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve GraphQL over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    commands.add_parser("demo", help="load the demo book (idempotent)").set_defaults(run=_demo)

    reference = commands.add_parser("reference", help="reference data")
    reference_commands = reference.add_subparsers(dest="reference_command", required=True)
    load = reference_commands.add_parser(
        "load", help="load lines of business, data access groups and products (idempotent)"
    )
    load.add_argument("file", help="a YAML or JSON file, e.g. docs/reference.example.yaml")
    load.set_defaults(run=_reference_load)

    fhir = commands.add_parser(
        "export-fhir", help="print a group's cover on a day as a FHIR R4B Bundle (JSON)"
    )
    fhir.add_argument("--group", required=True, metavar="CODE", help="the group client's code")
    fhir.add_argument("--as-of", required=True, metavar="DATE", help="the day, YYYY-MM-DD")
    fhir.set_defaults(run=_export_fhir)

    x12 = commands.add_parser(
        "export-834", help="print a group's members as an X12 834 file (GROUPCOVER_X12_*)"
    )
    x12.add_argument("--group", required=True, metavar="CODE", help="the group client's code")
    x12.add_argument("--as-of", required=True, metavar="DATE", help="the day, YYYY-MM-DD")
    x12.add_argument(
        "--changes-since", metavar="DATE", help="only the changes since this day (default: all)"
    )
    x12.set_defaults(run=_export_834)

    token = commands.add_parser("token", help="print a signed token (development and tests)")
    token.add_argument("--subject", required=True, help="who the token is for")
    token.add_argument(
        "--role", required=True, action="append", choices=[r.value for r in Role], help="repeatable"
    )
    token.add_argument("--group", action="append", default=[], help="group client code granted")
    token.add_argument("--dag", action="append", default=[], help="data access group granted")
    token.add_argument("--lob", action="append", default=[], help="line of business granted")
    token.add_argument("--person", help="the person number of an employee")
    token.add_argument("--hours", type=float, default=12.0, help="lifetime in hours")
    token.set_defaults(run=_token)

    worker = commands.add_parser(
        "worker", help="run the background steps of workflow requests (PostgreSQL)"
    )
    worker.add_argument("--concurrency", type=int, default=4, help="jobs at once")
    worker.add_argument(
        "--once", action="store_true", help="stop when the queue is empty (tests, cron)"
    )
    worker.set_defaults(run=_worker)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(run=_export_schema)
    _documents_parser(commands)
    _intake_parser(commands)
    _claims_parser(commands)
    _retention_parser(commands)
    return root


def main(argv: list[str] | None = None) -> None:
    """Run one command."""
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except SettingsError as error:
        sys.exit(f"groupcover: {error}")


if __name__ == "__main__":
    main()
