"""Reading a census: encodings, separators, and each bad file refused with its reason."""

from __future__ import annotations

import pytest

from domain.core.tables import FileRefused
from domain.intake import census
from tests.domain.intake.census import HEADER, csv_of, family


def test_a_bom_and_semicolons_read_as_commas_do() -> None:
    plain = census.read(csv_of(*family("E1", "Ann")))
    text = csv_of(*family("E1", "Ann")).decode().replace(",", ";")
    assert census.read(b"\xef\xbb\xbf" + text.encode()) == plain


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (csv_of(*family("E1", "Ann"), header=HEADER.replace(",gender", "")), "gender", "REQUIRED"),
        (csv_of(*family("E1", "Ann"), header=HEADER + ",shoe_size"), "shoe_size", "INVALID_FORMAT"),
        (HEADER.encode() + b"\n" + b"E1," + b"x" * 10_000_000 + b"\n", "file", "INVALID_FORMAT"),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "file", "INVALID_FORMAT"),
        (HEADER.encode() + b"\n", "file", "REQUIRED"),
    ],
    ids=["missing column", "unknown column", "10 MB line", "UTF-16", "no rows"],
)
def test_a_bad_file_is_refused_naming_why(data: bytes, field: str, code: str) -> None:
    with pytest.raises(FileRefused) as refused:
        census.read(data)
    assert (field, code) in [(p.field[0], p.code.value) for p in refused.value.problems]
