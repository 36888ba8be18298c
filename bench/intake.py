"""Apply a generated 834 of N members on PostgreSQL: seconds, and SQL statements per row.

Run: .venv/bin/python -m bench.intake [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
     [--sizes 100,1000,10000]
For each size a database of its own is migrated, one group client with one account offering
medical is made, and an 834 of size/2 families (a subscriber and a spouse, 021 adds) is
generated and checked by pyx12; then it is applied as an admin in one request's transaction
(domain.intake.service.submit_file, synchronously: the background job applies the same
families in parts). A row gives the members, pyx12's seconds, the apply's seconds (pyx12's
check included, as a sender waits for both), the CPU seconds of this process and of its
PostgreSQL backend (read from /proc: the server must run on this machine) during the apply,
rows a second and SQL statements per row.
"""

from __future__ import annotations

import asyncio
import os
import time

from sqlalchemy import event
from sqlalchemy import text as text_

from authz.access import Actor, RowScope
from bench.harness import arguments
from domain.core.transactions import atomic
from domain.database import create_engine, session_factory
from domain.intake import x12
from domain.intake.models import FileFormat, FileState
from domain.intake.service import submit_file
from domain.policies.limits import PolicyLimits, utc_today
from migrations.runner import upgrade
from tests.conftest import StatementCounter
from tests.factories import Book, place

SENDER = Actor("bench-hr-file", RowScope(everything=True, writes=True))


_PAIR = (("18", "ANN", "19800101", "F"), ("01", "BOB", "19820202", "M"))


def generate(members: int, account: str) -> str:
    """An 834 (005010X220A1) of members/2 families, each a subscriber and a spouse."""
    day = utc_today().strftime("%Y%m%d")
    body = [
        "ST*834*0001*005010X220A1",
        f"BGN*00*BENCH*{day}*1200****2",
        "N1*P5*BENCH EMPLOYER*FI*123456789",
        "N1*IN*BENCH INSURER*FI*987654321",
    ]
    for i in range(members // 2):
        number = f"E{i:07d}"
        for rel, given, born, sex in _PAIR:
            body += [
                f"INS*{'Y' if rel == '18' else 'N'}*{rel}*021*XN*A***FT",
                f"REF*0F*{number}",
                f"REF*1L*{account}",
                f"DTP*356*D8*{day}",
                f"NM1*IL*1*FAMILY{i}*{given}****34*{i:07d}{rel}",
                f"DMG*D8*{born}*{sex}",
            ]
            if rel == "18":
                body += ["HD*021**HLT*MED-PPO*ESP", f"DTP*348*D8*{day}"]
    body.append(f"SE*{len(body) + 1}*0001")
    head = (
        "ISA*00*          *00*          *ZZ*BENCHSENDER    *ZZ*GROUPCOVER     *"
        f"{day[2:]}*1200*^*00501*000000001*0*P*:"
    )
    return "~\n".join([head, f"GS*BE*BENCH*GC*{day}*1200*1*X*005010X220A1", *body,
                       "GE*1*1", "IEA*1*000000001"]) + "~\n"  # fmt: skip


def backend_cpu(pid: int) -> float:
    """The CPU seconds (user and system) a PostgreSQL backend on this machine has used."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(url: str, members: int) -> tuple[int, float, float, int, float, float]:
    """Members, pyx12's seconds, the apply's seconds and the statements it sent, and the CPU
    seconds of this process and of its PostgreSQL backend during the apply."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        book = await Book(session).setup()
        acme = await place(book)
        account = (await book.account(acme.client, code="BENCH-GA", products=1)).code
        await session.commit()
    text = generate(members, account)
    began = time.perf_counter()
    x12.validate(text)
    checked = time.perf_counter() - began
    seen = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    limits = PolicyLimits()
    async with sessions() as session, atomic(session):
        backend = (await session.execute(text_("SELECT pg_backend_pid()"))).scalar_one()
        seen.reset()
        began, cpu, db = time.perf_counter(), time.process_time(), backend_cpu(backend)
        record = await submit_file(
            session, actor=SENDER, limits=limits, group_client_id=acme.client.id,  # type: ignore[arg-type]
            format=FileFormat.X12_834, data=text.encode(),
        )  # fmt: skip
        applied = time.perf_counter() - began
        cpu, db = time.process_time() - cpu, backend_cpu(backend) - db
    assert record.state == FileState.APPLIED, record.errors
    assert record.applied_rows == members, (record.applied_rows, record.refused_rows)
    await engine.dispose()
    return members, checked, applied, len(seen.statements), cpu, db


def main() -> None:
    parser = arguments(__doc__, size=10_000)
    parser.add_argument("--sizes", default="100,1000,10000")
    args = parser.parse_args()
    import tests.conftest as conftest

    conftest.POSTGRES_URL = args.postgres or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    print(f"load average before: {os.getloadavg()}")
    print(
        "| members | pyx12 s | apply s (pyx12 included) | process CPU s | PostgreSQL CPU s "
        "| rows/s | statements/row | load |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        databases = conftest._postgres_database()
        url = next(databases)
        upgrade(url)
        members, checked, applied, statements, cpu, db = asyncio.run(measure(url, size))
        next(databases, None)
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"| {members} | {checked:.1f} | {applied:.1f} | {cpu:.1f} | {db:.1f} | "
            f"{members / applied:.0f} | "
            f"{statements / members:.2f} | {load} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
