"""docs/operations.md and the README list every setting the code reads, so an operator finds each one there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("doc_path", ["docs/operations.md", "README.md"])
def test_every_groupcover_setting_the_code_reads_is_documented(doc_path: str) -> None:
    doc = (ROOT / doc_path).read_text()
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
