"""The entries of a reference data file, read from plain data (what YAML or JSON give).

Pure: each entry becomes a spec or a list of what is wrong with it, each problem naming the
entry (its section, position and code) and the field, so a person can find it in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from domain.reference.models import CoverageTier, ProductKind

SECTIONS = ("lines_of_business", "data_access_groups", "products")
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class EntryError:
    """One thing wrong with one entry of the file."""

    entry: str
    """Where it is: `products[2] (MED-PPO)`; `file` for the file as a whole."""
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.entry}: {self.field}" if self.field else self.entry
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class LabelSpec:
    """A line of business or a data access group as the file gives it."""

    entry: str
    code: str
    name: str


@dataclass(frozen=True)
class ParameterSpec:
    """A parameter a product defines."""

    name: str
    description: str = ""
    allowed_values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ProductSpec:
    """A product as the file gives it: its tiers from now on, parameters it must have."""

    entry: str
    code: str
    name: str
    kind: ProductKind
    line_of_business: str
    coverage_tiers: tuple[CoverageTier, ...]
    parameters: tuple[ParameterSpec, ...] = ()


@dataclass
class Entries:
    """Every entry of a file, in the order to load them, and what is wrong with them."""

    lines_of_business: list[LabelSpec] = field(default_factory=list)
    data_access_groups: list[LabelSpec] = field(default_factory=list)
    products: list[ProductSpec] = field(default_factory=list)
    errors: list[EntryError] = field(default_factory=list)


def read_entries(data: Any) -> Entries:
    """Read a file's plain data into specs, recording every problem of shape."""
    found = Entries()
    if not isinstance(data, Mapping):
        found.errors.append(EntryError("file", "", f"Expected a mapping with {_keys(SECTIONS)}."))
        return found
    for key in sorted(set(data) - set(SECTIONS), key=str):
        found.errors.append(
            EntryError("file", str(key), f"Unknown section; use {_keys(SECTIONS)}.")
        )
    for section in SECTIONS:
        items = data.get(section) or []
        if not isinstance(items, list):
            found.errors.append(EntryError(section, "", "Expected a list of entries."))
            continue
        seen: set[str] = set()
        for i, item in enumerate(items):
            entry = _Entry(section, i, item, found.errors)
            if entry.ok:
                _read(section, entry, found)
                _once(entry, seen)
    return found


def _once(entry: _Entry, seen: set[str]) -> None:
    """Refuse a code given twice in a section: which entry would win is no one's guess."""
    code = entry.given.get("code")
    if isinstance(code, str) and code.strip() in seen:
        entry.problem("code", "Given twice in this section.")
    elif isinstance(code, str):
        seen.add(code.strip())


def _read(section: str, entry: _Entry, found: Entries) -> None:
    if section == "products":
        product = _product(entry)
        if product is not None:
            found.products.append(product)
        return
    entry.allow("code", "name")
    code, name = entry.text("code"), entry.text("name")
    if entry.clean:
        getattr(found, section).append(LabelSpec(entry.name, code, name))


def _product(entry: _Entry) -> ProductSpec | None:
    entry.allow("code", "name", "kind", "line_of_business", "coverage_tiers", "parameters")
    code, name, line = entry.text("code"), entry.text("name"), entry.text("line_of_business")
    kind = entry.choice("kind", ProductKind)
    tiers = [
        entry.choice(f"coverage_tiers[{i}]", CoverageTier, t)
        for i, t in enumerate(entry.list("coverage_tiers"))
    ]
    for i, tier in enumerate(tiers):
        if tier is not None and tier in tiers[:i]:
            entry.problem(f"coverage_tiers[{i}]", f"{tier} is given twice.")
    parameters = [
        _parameter(entry, i, p) for i, p in enumerate(entry.list("parameters", required=False))
    ]
    if not entry.clean:
        return None
    return ProductSpec(
        entry.name, code, name, kind, line,  # type: ignore[arg-type]
        tuple(tiers), tuple(parameters),  # type: ignore[arg-type]
    )  # fmt: skip


def _parameter(entry: _Entry, i: int, given: Any) -> ParameterSpec | None:
    where = f"parameters[{i}]"
    if not isinstance(given, Mapping) or not isinstance(given.get("name"), str):
        entry.problem(where, "Expected a mapping with a name, a description and allowed_values.")
        return None
    description, allowed = given.get("description", ""), given.get("allowed_values")
    if not isinstance(description, str):
        entry.problem(f"{where}.description", "Expected text.")
    if allowed is not None and not (
        isinstance(allowed, list) and all(isinstance(v, str) for v in allowed)
    ):
        entry.problem(f"{where}.allowed_values", "Expected a list of texts.")
    for key in sorted(set(given) - {"name", "description", "allowed_values"}, key=str):
        entry.problem(f"{where}.{key}", "Unknown field; use name, description, allowed_values.")
    if not isinstance(description, str):
        return None
    return ParameterSpec(given["name"], description, None if allowed is None else tuple(allowed))


class _Entry:
    """One entry being read: its fields, and the problems found so far."""

    def __init__(self, section: str, index: int, given: Any, errors: list[EntryError]) -> None:
        code = given.get("code") if isinstance(given, Mapping) else None
        self.name = f"{section}[{index}]" + (f" ({code})" if isinstance(code, str) else "")
        self.given: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        self.errors, self.count = errors, len(errors)
        self.ok = isinstance(given, Mapping)
        if not self.ok:
            self.problem("", "Expected a mapping of fields.")

    @property
    def clean(self) -> bool:
        return len(self.errors) == self.count

    def problem(self, field: str, message: str) -> None:
        self.errors.append(EntryError(self.name, field, message))

    def allow(self, *keys: str) -> None:
        for key in sorted(set(self.given) - set(keys), key=str):
            self.problem(str(key), f"Unknown field; use {_keys(keys)}.")

    def text(self, key: str) -> str:
        value = self.given.get(key)
        if not isinstance(value, str):
            self.problem(key, "Required, as text." if value is None else "Expected text.")
            return ""
        return value

    def list(self, key: str, *, required: bool = True) -> list[Any]:
        value = self.given.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.problem(key, "Required, as a list." if value is None else "Expected a list.")
            return []
        return value

    def choice(self, key: str, enum: type[E], value: Any = None) -> E | None:
        value = self.given.get(key) if value is None else value
        try:
            return enum(value)
        except ValueError:
            self.problem(key, f"Expected one of {_keys(e.value for e in enum)}.")
            return None


def _keys(keys: Any) -> str:
    return ", ".join(str(k) for k in keys)
