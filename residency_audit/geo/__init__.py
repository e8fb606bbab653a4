"""Where cloud locations are: the region catalog and the endpoint-host recognisers."""

from __future__ import annotations

from residency_audit.geo.endpoints import EndpointMatch, host_of, hosts_of, match_host
from residency_audit.geo.regions import PROVIDERS, Region, locate, lookup_region

__all__ = [
    "PROVIDERS",
    "EndpointMatch",
    "Region",
    "host_of",
    "hosts_of",
    "locate",
    "lookup_region",
    "match_host",
]
