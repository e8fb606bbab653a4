"""Cloud region catalog: which countries a provider's region, zone or location code means.

The catalog is data (``data/regions.csv``); this module only normalizes spellings the way each
provider does and folds zones into their region. It never guesses: a code that is not in the
catalog, or whose country the catalog does not know, comes back as unknown with the reason, so
that an unresolvable region produces an "unknown" finding instead of a silent pass.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from residency_audit.datafiles import load_yaml
from residency_audit.model import Location, LocationStatus, SourceRef

__all__ = [
    "KINDS",
    "PROVIDERS",
    "Region",
    "all_regions",
    "country_codes",
    "country_name",
    "locate",
    "lookup_region",
]

PROVIDERS: frozenset[str] = frozenset(
    {
        "aws",
        "gcp",
        "azure",
        "yandex",
        "vkcs",
        "selectel",
        "cloudru",
        "huawei",
        "alicloud",
        "oci",
        "digitalocean",
        "hetzner",
        "ovh",
        "linode",
        "ibm",
        "tencent",
    }
)

KINDS: frozenset[str] = frozenset(
    {"region", "multi-region", "dual-region", "geography", "network-zone", "pseudo"}
)


@dataclass(frozen=True)
class Region:
    """One catalog row, with the code in its canonical spelling.

    ``countries`` is empty when the catalog does not know where the location is; ``kind`` tells
    a real region from a multi-region, an Azure logical geography or a pseudo-region such as
    ``aws-global`` that holds no data; ``verified`` is the catalog's confidence (yes / partial
    / no), kept so that reports can flag conclusions resting on unconfirmed rows.
    """

    provider: str
    code: str
    place: str
    countries: tuple[str, ...]
    multi: bool
    kind: str = "region"
    verified: str = "yes"


@cache
def zone_rules() -> dict[str, tuple[re.Pattern[str], ...]]:
    """Per provider, the zone spellings that fold into a region (data/zone_rules.yaml)."""
    table = load_yaml(_data_text("zone_rules.yaml"))
    rules: dict[str, tuple[re.Pattern[str], ...]] = {}
    for provider, rows in table.items():
        if provider not in PROVIDERS:
            raise ValueError(f"zone_rules.yaml: unknown provider {provider!r}")
        rules[provider] = tuple(re.compile(str(row["pattern"])) for row in rows)
    return rules


def _data_text(name: str) -> str:
    return resources.files("residency_audit.geo").joinpath("data", name).read_text("utf-8")


def _csv_rows(name: str) -> Iterator[dict[str, str]]:
    """Rows of a shipped CSV; lines starting with '#' are documentation, not data."""
    lines = [line for line in _data_text(name).splitlines() if not line.startswith("#")]
    yield from csv.DictReader(lines)


@cache
def _countries() -> dict[str, str]:
    return {row["code"]: row["name"] for row in _csv_rows("countries.csv")}


def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code, for validating catalogs and policies."""
    return frozenset(_countries())


def country_name(code: str) -> str | None:
    """Short English name of an ISO alpha-2 code (``RU`` -> ``Russia``), None if not a code."""
    return _countries().get(code.strip().upper())


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def _entry(row: dict[str, str]) -> tuple[Region, tuple[str, ...]]:
    """A CSV row as its Region plus the row's aliases."""
    provider, code = row["provider"], row["code"]
    if provider not in PROVIDERS or not code or row["kind"] not in KINDS:
        raise ValueError(f"regions.csv: bad row {provider!r} {code!r} kind {row['kind']!r}")
    region = Region(
        provider=provider,
        code=code,
        place=row["place"],
        countries=tuple(sorted(set(_split(row["countries"])))),
        multi=row["multi"] == "yes",
        kind=row["kind"],
        verified=row["verified"],
    )
    return region, _split(row["aliases"])


@cache
def _entries() -> tuple[tuple[Region, tuple[str, ...]], ...]:
    return tuple(_entry(row) for row in _csv_rows("regions.csv"))


def all_regions() -> tuple[Region, ...]:
    """Every catalog row, in file order."""
    return tuple(region for region, _ in _entries())


def _key(provider: str, text: str) -> str:
    """Provider-specific normalization: case never matters; Azure also ignores spaces.

    Azure.Core's ``AzureLocation`` turns a display name into a name by dropping spaces and
    lower-casing, which is why ``West Europe``, ``WestEurope`` and ``westeurope`` are one place.
    """
    key = text.strip().lower()
    if provider == "azure":
        key = key.replace(" ", "")
    return key


@cache
def _index() -> dict[tuple[str, str], Region]:
    index: dict[tuple[str, str], Region] = {}
    for region, aliases in _entries():
        for spelling in (region.code, *aliases):
            key = (region.provider, _key(region.provider, spelling))
            if key in index:
                raise ValueError(f"regions.csv: {key} is listed twice")
            index[key] = region
    return index


def lookup_region(provider: str, code: str) -> Region | None:
    """The catalog row for ``code`` (a region, zone, alias or location) of ``provider``.

    A code means nothing without its provider (``ap-southeast-1`` is Singapore on AWS and Hong
    Kong on Huawei), so an unknown provider gives None, as does any code the catalog and the
    zone rules do not cover.
    """
    prov = provider.strip().lower()
    if prov not in PROVIDERS:
        return None
    key = _key(prov, code)
    if not key:
        return None
    index = _index()
    found = index.get((prov, key))
    if found is not None:
        return found
    for rule in zone_rules().get(prov, ()):
        match = rule.fullmatch(key)
        if match is None:
            continue
        parent = index.get((prov, match["r"]))
        if parent is not None and parent.kind == "region":
            return parent
    return None


def locate(provider: str, code: str, evidence: tuple[SourceRef, ...], where: SourceRef) -> Location:
    """The Location of a store whose region string ``code`` for ``provider`` was found at ``where``.

    The evidence chain is ``evidence`` followed by ``where``; an unknown location appends the
    reason, reported at ``where``'s file and line, so a reader sees why the tool gave up.
    """
    chain = (*evidence, where)
    prov = provider.strip().lower()
    raw = code.strip()

    def unknown(reason: str, region: str | None) -> Location:
        why = SourceRef(where.file, where.line, reason)
        known_provider = prov if prov in PROVIDERS else (provider.strip() or None)
        return Location.unknown(why, chain, provider=known_provider, region=region)

    if prov not in PROVIDERS:
        return unknown(f"provider '{provider.strip()}' is not in the region catalog", raw or None)
    if not raw:
        return unknown(f"no region given for {prov}", None)
    region = lookup_region(prov, raw)
    if region is None:
        return unknown(f"region '{raw}' is not a known {prov} region", raw)
    if region.kind == "pseudo":
        return unknown(
            f"region '{region.code}' of {prov} is a pseudo-region, not a data location",
            region.code,
        )
    if not region.countries:
        if region.multi:
            reason = f"location '{region.code}' of {prov} spans unspecified countries"
        else:
            reason = f"region '{region.code}' of {prov} has no confirmed country"
        return unknown(reason, region.code)
    multi = region.multi or len(region.countries) > 1
    status = LocationStatus.MULTI if multi else LocationStatus.RESOLVED
    return Location(status, prov, region.code, region.countries, chain)
