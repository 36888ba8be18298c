"""docs/operations.md lists every setting the code reads, so an operator finds each one there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_groupcover_setting_the_code_reads_is_documented() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text()
    # `_AUDIENCE` after `GROUPCOVER_OIDC_ISSUER,` in one row stands for its full name.
    documented = set(re.findall(r"GROUPCOVER_[A-Z_]+", doc)) | {
        f"GROUPCOVER_OIDC{short}" for short in re.findall(r"`(_[A-Z_]+)`", doc)
    }
    read = {
        name
        for folder in ("api", "domain", "schema")
        for path in (ROOT / folder).rglob("*.py")
        for name in re.findall(r"GROUPCOVER_[A-Z_]+", path.read_text())
    }
    assert read - documented == set()
