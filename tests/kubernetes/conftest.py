"""Shared helpers: the fixture trees and a stand-in for the geo catalog's ``locate``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from residency_audit.model import Location, LocationStatus, SourceRef
from residency_audit.sources.kubernetes.facts import KubernetesFacts
from residency_audit.sources.kubernetes.parse import parse_manifests

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

# (provider, code) -> (region, country): zones fold into their region, as the real catalog does.
FAKE_CATALOG: dict[tuple[str, str], tuple[str, str]] = {
    ("aws", "eu-central-1"): ("eu-central-1", "DE"),
    ("aws", "eu-central-1a"): ("eu-central-1", "DE"),
    ("aws", "eu-central-1b"): ("eu-central-1", "DE"),
    ("aws", "eu-west-1"): ("eu-west-1", "IE"),
    ("aws", "eu-west-3"): ("eu-west-3", "FR"),
    ("aws", "eu-west-3a"): ("eu-west-3", "FR"),
    ("gcp", "europe-west3-c"): ("europe-west3", "DE"),
    ("yandex", "ru-central1"): ("ru-central1", "RU"),
    ("yandex", "ru-central1-a"): ("ru-central1", "RU"),
    ("yandex", "ru-central1-b"): ("ru-central1", "RU"),
    ("yandex", "kz1"): ("kz1", "KZ"),
}

Locate = Callable[[str, str, tuple[SourceRef, ...], SourceRef], Location]


def fake_locate(
    provider: str, code: str, evidence: tuple[SourceRef, ...], where: SourceRef
) -> Location:
    hit = FAKE_CATALOG.get((provider, code))
    if hit is None:
        why = SourceRef(where.file, where.line, f"region '{code}' is not a known {provider} region")
        return Location.unknown(why, (*evidence, where), provider=provider, region=code)
    return Location(LocationStatus.RESOLVED, provider, hit[0], (hit[1],), (*evidence, where))


def load_tree(name: str) -> list[KubernetesFacts]:
    """Parse every YAML file of a fixture tree the way the scanner would."""
    root = FIXTURES / name
    return [
        parse_manifests(path.relative_to(root).as_posix(), path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix in (".yaml", ".yml")
    ]


@pytest.fixture
def locate() -> Locate:
    return fake_locate


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def tree() -> Callable[[str], list[KubernetesFacts]]:
    return load_tree
