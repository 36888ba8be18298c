"""A scope that reaches every row is for migrations, the demo loader and admins only.

Domain code acts within the reach of whoever asked: a service that picks `EVERYTHING` (or
builds `RowScope(everything=True)`) on someone's behalf lets them read or change rows of
other employers. authz/ (where an admin's scope is made), migrations/, api/demo/ (the demo
book), bench/ and tests/ may use it; api/, schema/ and domain/ may not.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("api", "schema", "domain")
ALLOWED = ("api/demo/",)


def _names_everything(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return any(alias.name == "EVERYTHING" for alias in node.names)
    if isinstance(node, ast.Name):
        return node.id == "EVERYTHING"
    if isinstance(node, ast.Attribute):
        return node.attr == "EVERYTHING"
    if isinstance(node, ast.Call):  # RowScope(everything=<anything but False>)
        return any(
            k.arg == "everything" and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in node.keywords
        )
    return False


def _uses_everything(tree: ast.AST) -> list[int]:
    """The lines that name EVERYTHING or build a RowScope with everything=True."""
    return sorted({node.lineno for node in ast.walk(tree) if _names_everything(node)})


def _offenders() -> dict[str, list[int]]:
    found = {}
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name.startswith(ALLOWED):
                continue
            lines = _uses_everything(ast.parse(path.read_text(), filename=name))
            if lines:
                found[name] = lines
    return found


def test_no_code_outside_the_allowed_places_acts_with_every_row_in_reach() -> None:
    # when
    offenders = _offenders()
    # then
    assert offenders == {}, "act as the caller (Actor with their scope), not with EVERYTHING"


def test_the_check_sees_each_way_of_naming_it() -> None:
    # given
    source = """
from authz.access import EVERYTHING
from authz import access
a = access.EVERYTHING
b = RowScope(everything=True)
c = RowScope(everything=False)
"""
    # then
    assert _uses_everything(ast.parse(source)) == [2, 4, 5]
