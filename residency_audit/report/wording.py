"""How every report format words a place and a location, so they read the same."""

from __future__ import annotations

from residency_audit.model import SourceRef, Store


def place(ref: SourceRef) -> str:
    """``file:line``; facts the scan derived itself (no file) read ``(scan)``."""
    if not ref.file:
        return "(scan)"
    return f"{ref.file}:{ref.line}" if ref.line else ref.file


def location_text(store: Store | None) -> str:
    """``aws eu-central-1 (DE)``, or ``unknown (aws)`` when the region is not known."""
    if store is None:
        return "unknown"
    loc = store.location
    if not loc.is_known:
        return f"unknown ({loc.provider})" if loc.provider else "unknown"
    where = " ".join(part for part in (loc.provider, loc.region) if part)
    countries = ", ".join(loc.countries)
    return f"{where} ({countries})" if where else countries
