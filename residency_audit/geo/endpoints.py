"""Recognise provider, service and region from a connection host name.

Connection strings in code and config often name the cloud and region outright
(``mydb.abc123.eu-west-1.rds.amazonaws.com``, ``storage.yandexcloud.net``). The recognisers are
data (``data/endpoints.yaml``); this module loads them, pulls hosts out of URLs / DSNs /
connection strings without ever raising on odd input, and matches a host against the table.
Matching is anchored on the whole host, so a look-alike domain under an attacker's control
never passes for a provider's.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from residency_audit.datafiles import load_yaml
from residency_audit.geo.regions import PROVIDERS, lookup_region

__all__ = ["EndpointMatch", "EndpointRule", "endpoint_rules", "host_of", "hosts_of", "match_host"]


@dataclass(frozen=True)
class EndpointMatch:
    """What a host reveals; ``pattern`` is the data-table row id, for evidence notes."""

    provider: str
    region: str | None
    service: str
    pattern: str


@dataclass(frozen=True)
class EndpointRule:
    """One row of the host table, with its macros expanded."""

    id: str
    provider: str | None
    service: str
    pattern: str
    region: str | None = None
    default_region: str | None = None
    clouds: tuple[tuple[str, str], ...] = ()
    verified: str = "U"
    note: str = ""


_MACRO = re.compile(r"\$\{([a-z_]+)\}")
_MAX_HOST = 253
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")


def _expand(pattern: str, macros: dict[str, str], row_id: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match[1]
        if name not in macros:
            raise ValueError(f"endpoints.yaml: row {row_id} uses unknown macro {name}")
        return macros[name]

    return _MACRO.sub(one, pattern)


def _opt(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return None if value is None else str(value)


def _rule(entry: dict[str, Any], macros: dict[str, str]) -> EndpointRule:
    row_id = str(entry["id"])
    clouds = tuple(sorted((str(k), str(v)) for k, v in (entry.get("clouds") or {}).items()))
    provider = _opt(entry, "provider")
    providers = {provider} if provider else {v for _, v in clouds}
    if not providers or not providers <= PROVIDERS:
        raise ValueError(f"endpoints.yaml: row {row_id} names no catalog provider")
    return EndpointRule(
        id=row_id,
        provider=provider,
        service=str(entry["service"]),
        pattern=_expand(str(entry["pattern"]), macros, row_id),
        region=_opt(entry, "region"),
        default_region=_opt(entry, "default_region"),
        clouds=clouds,
        verified=str(entry.get("verified", "U")),
        note=str(entry.get("note") or ""),
    )


@cache
def endpoint_rules() -> tuple[EndpointRule, ...]:
    """Every row of the host table, in match order."""
    text = resources.files("residency_audit.geo").joinpath("data", "endpoints.yaml")
    doc = load_yaml(text.read_text("utf-8"))
    macros = {str(k): str(v) for k, v in doc["macros"].items()}
    return tuple(_rule(entry, macros) for entry in doc["endpoints"])


@cache
def _compiled() -> tuple[tuple[EndpointRule, re.Pattern[str]], ...]:
    return tuple((rule, re.compile(f"(?:{rule.pattern})")) for rule in endpoint_rules())


def _normal_host(host: str) -> str | None:
    """Lower-case host without a trailing dot, or None if it is not a host name / IP."""
    text = host.strip().lower().rstrip(".")
    if not text or len(text) > _MAX_HOST:
        return None
    if _HOSTNAME.fullmatch(text):
        return text
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        return None


def match_host(host: str) -> EndpointMatch | None:
    """The first table row whose pattern matches the whole host (case-insensitive).

    A region captured from the host is returned in the catalog's canonical spelling (the
    ElastiCache short form ``euw1`` becomes ``eu-west-1``, Yandex ``rc1a`` becomes
    ``ru-central1``); a region-shaped token the catalog does not know is passed on as written,
    so that locating it reports an unknown region instead of hiding the host.
    """
    name = _normal_host(host)
    if name is None:
        return None
    for rule, regex in _compiled():
        found = regex.fullmatch(name)
        if found is None:
            continue
        groups = found.groupdict()
        provider = rule.provider or dict(rule.clouds).get(groups.get("cloud") or "")
        if provider is None:
            continue
        service = groups.get("service") or rule.service
        token = groups.get("region")
        if token:
            known = lookup_region(provider, token)
            region: str | None = known.code if known is not None else token
        else:
            region = rule.region or rule.default_region
        return EndpointMatch(provider, region, service, rule.id)
    return None


# ------------------------------------------------------------------- host extraction

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_TNS_HOST = re.compile(r"\(\s*host\s*=\s*([^)\s]+)\s*\)", re.IGNORECASE)
_LIBPQ_HOST = re.compile(r"(?:^|\s)host\s*=\s*'?([^\s']+)", re.IGNORECASE)
_KV_HOST_KEYS = ("server", "data source", "address", "addr", "network address", "host")
_KV_URL_KEYS = ("blobendpoint", "accountendpoint", "endpoint")


def _strip_port(item: str) -> str:
    item = item.strip()
    if item.startswith("["):  # [2001:db8::1]:5432
        return item[1 : item.find("]")] if "]" in item else ""
    if item.count(":") == 1:
        name, _, port = item.partition(":")
        if port.isdigit() or not port:
            return name
        return ""
    return item


def _authority_hosts(authority: str) -> list[str]:
    """Hosts of a URL authority: drops user-info and ports, splits host lists (Mongo, Kafka)."""
    authority = authority.rpartition("@")[2]
    return [_strip_port(part) for part in authority.split(",")]


def _from_url(text: str) -> list[str]:
    rest = _SCHEME.sub("", text, count=1)
    authority = re.split(r"[/?#;\\]", rest, maxsplit=1)[0]
    return _authority_hosts(authority)


def _from_jdbc(text: str) -> list[str]:
    rest = text[len("jdbc:") :]
    if rest.lower().startswith("oracle:"):
        at = rest.find("@")
        target = rest[at + 1 :] if at >= 0 else ""
        if target.startswith("//"):
            return _from_url("oracle:" + target)
        if target.startswith("("):
            return _TNS_HOST.findall(target)
        return [target.split(":", 1)[0]] if target else []
    return _from_url(rest)


def _from_key_values(text: str) -> list[str]:
    """ADO.NET / Azure / Npgsql ``Key=Value;`` strings."""
    pairs: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            pairs[key.strip().lower()] = value.strip()
    for key in _KV_URL_KEYS:
        if pairs.get(key):
            return _from_url(pairs[key])
    for key in _KV_HOST_KEYS:
        if pairs.get(key):
            server = re.sub(r"^(?:tcp|np|lpc):", "", pairs[key], flags=re.IGNORECASE)
            # tcp:server.database.windows.net,1433 / host\instance / host:port
            return [_strip_port(server.split(",")[0].split("\\")[0])]
    account = pairs.get("accountname")
    if account:
        suffix = pairs.get("endpointsuffix") or "core.windows.net"
        return [f"{account}.blob.{suffix}"]
    return []


def _candidates(text: str) -> list[str]:
    lowered = text.lower()
    if lowered.startswith("jdbc:"):
        return _from_jdbc(text)
    if _SCHEME.match(text):
        return _from_url(text)
    if "(description" in lowered.replace(" ", ""):
        return _TNS_HOST.findall(text)
    if "=" in text and ";" in text:
        return _from_key_values(text)
    if re.search(r"(?:^|\s)host\s*=", text, re.IGNORECASE):
        found = _LIBPQ_HOST.search(text)
        return found[1].split(",") if found else []
    if "=" in text:
        return _from_key_values(text)
    first = re.split(r"[/?#]", text, maxsplit=1)[0]
    return [_strip_port(item) for item in first.split(",")]


def hosts_of(value: str) -> tuple[str, ...]:
    """Every host named by a URL, JDBC URL, DSN, connection string or ``host:port`` list.

    For bucket URIs (``s3://bucket/key``, ``gs://bucket``) the "host" is the bucket name;
    for ``abfss://container@account.dfs.core.windows.net`` it is the account host. Bad input
    yields an empty tuple, never an exception.
    """
    if not isinstance(value, str):
        return ()
    text = value.strip().strip("'\"").strip()
    if not text or len(text) > 4096:
        return ()
    try:
        raw = _candidates(text)
    except (ValueError, IndexError):  # pragma: no cover - defensive; parsing is total
        return ()
    hosts: list[str] = []
    for item in raw:
        name = _normal_host(item)
        if name is not None and name not in hosts:
            hosts.append(name)
    return tuple(hosts)


def host_of(url_or_host: str) -> str | None:
    """The (first) host of a URL, DSN, ``host:port`` or bare host; None if there is none."""
    hosts = hosts_of(url_or_host)
    return hosts[0] if hosts else None
