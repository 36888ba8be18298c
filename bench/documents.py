"""How long one PDF takes to typeset in-process (Typst), for a letter and a certificate.

`python -m bench.documents [--count 200] [--rounds 5]`: per round, `count` PDFs of each kind,
alternated; prints the median and the spread (lowest, highest) of ms per PDF, the PDF's size,
and the load average before and after. No database: this is the part a mail merge adds per
member on top of its queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from domain.documents import kinds
from domain.documents.models import DocumentKind
from domain.documents.service import shipped
from domain.documents.typesetting import typeset

LETTER = """#set page(paper: "a4", margin: 2.5cm)
Dear #data.memberName,

from #data.effectiveDate, *#data.drugName* is sold over the counter.
"""


def _round(body: str, data: dict[str, object], count: int) -> tuple[float, int]:
    began = time.perf_counter()
    size = 0
    for i in range(count):
        size = len(
            typeset(body, {**data, "memberName": f"Member {i}"} if "memberName" in data else data)
        )
    return (time.perf_counter() - began) * 1000 / count, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases = {
        "letter": (
            LETTER,
            {"memberName": "", "effectiveDate": "1 January 2027", "drugName": "Claritin"},
        ),
        "certificate": (
            shipped("certificate"),
            kinds.sample(sorted(kinds.OFFERED[DocumentKind.CERTIFICATE] or ())),
        ),
    }
    typeset(LETTER, cases["letter"][1])  # the first compile loads the fonts
    print(f"load average before: {os.getloadavg()}")
    times: dict[str, list[float]] = {name: [] for name in cases}
    sizes: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, (body, data) in cases.items():
            per, sizes[name] = _round(body, data, args.count)
            times[name].append(per)
    for name, measured in times.items():
        print(
            f"{name}: {statistics.median(measured):.1f} ms per PDF (spread "
            f"{min(measured):.1f}-{max(measured):.1f}, {args.rounds} rounds of {args.count}), "
            f"{sizes[name]:,} bytes"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
