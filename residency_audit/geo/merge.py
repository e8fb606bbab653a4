"""One location for a store that is placed in several places at once.

A Yandex managed database has a ``host`` per zone, an Aurora global cluster a member per
region; the store lives in all of them. The merged location is unknown if any part is
unknown (one unknown host may be the one abroad), else multi when the parts span more than
one region or country.
"""

from __future__ import annotations

from collections.abc import Sequence

from residency_audit.model import Location, LocationStatus


def merge_locations(parts: Sequence[Location]) -> Location:
    if not parts:
        raise ValueError("merge_locations needs at least one location")
    if len(parts) == 1:
        return parts[0]
    unknown = [part for part in parts if not part.is_known]
    # Known parts first, so an unknown location's chain still ends with the reason.
    ordered = [part for part in parts if part.is_known] + unknown
    evidence = tuple(dict.fromkeys(ref for part in ordered for ref in part.evidence))
    if unknown:
        return Location(
            LocationStatus.UNKNOWN, unknown[0].provider, unknown[0].region, (), evidence
        )
    regions = tuple(dict.fromkeys(part.region for part in parts if part.region))
    countries = tuple(sorted({c for part in parts for c in part.countries}))
    providers = {part.provider for part in parts}
    provider = (
        parts[0].provider if len(providers) == 1 else ",".join(sorted(p or "?" for p in providers))
    )
    single = len(regions) <= 1 and all(p.status is LocationStatus.RESOLVED for p in parts)
    return Location(
        LocationStatus.RESOLVED if single and len(countries) == 1 else LocationStatus.MULTI,
        provider,
        ",".join(regions) if regions else None,
        countries,
        evidence,
    )
