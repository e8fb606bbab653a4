"""The personal-data categories findings are reported in.

Names follow fideslang so a report can be exported into a standard privacy vocabulary; the
Russian identifiers fideslang lacks are added under ``user.government_id`` with the standard
key kept alongside for export. The table is data (``data/categories.yaml``), not code, so a
reviewer can check it row by row against the law and the fideslang taxonomy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from residency_audit.datafiles import load_yaml

_PACKAGE = "residency_audit.personal_data"


@dataclass(frozen=True)
class Category:
    """One category; ``fideslang`` is the standard key to export it as (often ``name``)."""

    name: str
    title: str
    fideslang: str
    russian_specific: bool = False
    special: bool = False
    biometric: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def parent(self) -> str | None:
        head, _, _ = self.name.rpartition(".")
        return head or None

    @property
    def sensitive(self) -> bool:
        """Special (152-FZ art. 10) or biometric (art. 11): both raise a finding's severity."""
        return self.special or self.biometric


class TaxonomyError(ValueError):
    """The shipped category table is malformed: a packaging bug, never user input."""


def all_categories() -> tuple[Category, ...]:
    """Every category, sorted by name."""
    return _table()[0]


def category(name: str) -> Category | None:
    """The category called ``name`` (or a deprecated fideslang alias of it), else ``None``.

    Case and surrounding blanks are ignored because labels and configs are written by hand.
    """
    return _table()[1].get(name.strip().lower())


@cache
def _table() -> tuple[tuple[Category, ...], dict[str, Category]]:
    text = resources.files(_PACKAGE).joinpath("data/categories.yaml").read_text("utf-8")
    rows = load_yaml(text)["categories"]
    categories = tuple(sorted((_row(row) for row in rows), key=lambda c: c.name))
    index: dict[str, Category] = {}
    for cat in categories:
        for key in (cat.name, *cat.aliases):
            if key in index:
                raise TaxonomyError(f"category name {key!r} is defined twice")
            index[key] = cat
    return categories, index


def _row(row: dict[str, Any]) -> Category:
    name = str(row["name"])
    return Category(
        name=name,
        title=str(row["title"]),
        fideslang=str(row.get("fideslang", name)),
        russian_specific=bool(row.get("russian_specific", False)),
        special=bool(row.get("special", False)),
        biometric=bool(row.get("biometric", False)),
        aliases=tuple(str(a) for a in row.get("aliases", ())),
    )
