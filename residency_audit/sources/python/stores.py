"""From a client object's roles to the store it names, and where that store is.

``boto3.client("s3", region_name=R).put_object(Bucket=B)`` names the bucket ``B`` in region
``R``; ``create_engine("postgresql://app@db.x.eu-west-1.rds.amazonaws.com/shop")`` names the
database ``shop`` on that host. A store the infrastructure declares (Terraform, Kubernetes)
is recognised by its name (Store.name holds the evaluated bucket / table / identifier) or by
its host (a Kubernetes Service, a managed database endpoint named after its identifier);
the code site is then evidence on THAT store. Anything else is a code-only store with the
contract's id ``code:<scheme>://<host or bucket>[/<database>]``, located from its endpoint
host, its connection URL or its client's region, or unknown with the reason.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import unquote, urlsplit

from residency_audit.config import Config
from residency_audit.geo.endpoints import host_of, match_host
from residency_audit.geo.merge import merge_locations
from residency_audit.geo.regions import PROVIDERS, locate
from residency_audit.model import Location, LocationStatus, SourceRef, Store
from residency_audit.sources.python.catalog import Service, hosts
from residency_audit.sources.python.env import EnvLookup
from residency_audit.sources.python.facts import Lit
from residency_audit.sources.python.values import (
    PLACEHOLDER,
    DictV,
    Evaluator,
    Obj,
    SeqV,
    Text,
    Unknown,
    Value,
)

# Managed-database endpoint services whose host starts with the instance's identifier
# (``orders.c9akciq32.eu-central-1.rds.amazonaws.com`` is the RDS instance ``orders``).
_IDENTIFIER_HOSTS = frozenset(
    {"rds", "docdb", "neptune", "redshift", "elasticache", "memorydb", "dax", "rds-proxy"}
)
_LOCAL_SUFFIXES = (".local", ".internal", ".lan", ".localdomain", ".home.arpa", ".corp")


@dataclass(frozen=True)
class OwnEndpoint:
    """A host the project declares itself (config ``endpoints:``), where no public
    pattern can tell: ``pg-main.msk.acme.internal`` is on-premises in Russia."""

    pattern: str  # a host name or a glob (``*.fra.acme.internal``)
    provider: str | None
    region: str | None
    countries: tuple[str, ...]
    ref: SourceRef

    def matches(self, host: str) -> bool:
        return fnmatch.fnmatchcase(host.lower(), self.pattern.lower())


def own_endpoints(config: Config) -> tuple[OwnEndpoint, ...]:
    """The config's ``endpoints:`` entries, each with the line that declares it."""
    file = config.file or ".residency-audit.yaml"
    return tuple(
        OwnEndpoint(
            pattern,
            entry.provider,
            entry.region,
            tuple(entry.countries),
            SourceRef(file, config.line_of(f"endpoints.{pattern}"), f"config endpoints: {pattern}"),
        )
        for pattern, entry in config.model.endpoints.items()
    )


@dataclass(frozen=True)
class Identity:
    """One store a client object names, with where it is and why."""

    service: str
    store_id: str
    name: str
    kind: str
    location: Location
    host: str | None = None
    namespace: str | None = None
    refs: tuple[SourceRef, ...] = ()


@dataclass(frozen=True)
class Unresolved:
    """A client object whose store the code does not name statically."""

    service: str
    reason: str
    refs: tuple[SourceRef, ...]


class StoreFinder:
    def __init__(
        self,
        ev: Evaluator,
        env: EnvLookup,
        known: Sequence[Store],
        endpoints: Sequence[OwnEndpoint] = (),
    ) -> None:
        self.ev = ev
        self.env = env
        self.known = tuple(known)
        self.known_ids = frozenset(s.id for s in self.known)
        # Thousands of known stores are matched against every code site: index them once.
        self._known_by_id: dict[str, list[Store]] = {}
        self._known_by_name: dict[str | None, list[Store]] = {}
        for store in self.known:
            self._known_by_id.setdefault(store.id, []).append(store)
            self._known_by_name.setdefault(store.name, []).append(store)
        self.endpoints = tuple(endpoints)
        self._hosts = hosts()

    # ---- identities ----
    def identities(
        self, service: Service, obj: Obj, site: SourceRef
    ) -> tuple[list[Identity], list[Unresolved]]:
        if service.identity in ("bucket", "table"):
            role = "bucket" if service.identity == "bucket" else "table"
            return self._named(service, obj, site, self._texts(obj.role(role)), role)
        if service.identity == "arn":
            return self._arn(service, obj, site)
        if service.identity == "project_dataset":
            return self._dataset(service, obj, site)
        if service.identity == "account_container":
            return self._container(service, obj, site)
        return self._hosted(service, obj, site)

    def _named(
        self, service: Service, obj: Obj, site: SourceRef, names: list[Text | Unknown], role: str
    ) -> tuple[list[Identity], list[Unresolved]]:
        found: list[Identity] = []
        missing: list[Unresolved] = []
        if not names:
            missing.append(Unresolved(service.name, f"the call names no {role}", (site,)))
        for name in names:
            if isinstance(name, Unknown) or PLACEHOLDER in name.value or not name.value:
                missing.append(_unresolved(service, name, role, site))
                continue
            value = name.value.strip()
            location = self._object_location(service, obj, site)
            found.append(
                Identity(
                    service.name,
                    f"code:{service.scheme}://{value}",
                    value,
                    service.kind,
                    location,
                    refs=name.refs,
                )
            )
        return found, missing

    def _arn(
        self, service: Service, obj: Obj, site: SourceRef
    ) -> tuple[list[Identity], list[Unresolved]]:
        found: list[Identity] = []
        missing: list[Unresolved] = []
        for text in self._texts(obj.role("arn")) or [Unknown("the call names no resource ARN", ())]:
            parts = text.value.split(":") if isinstance(text, Text) else []
            if isinstance(text, Unknown) or len(parts) < 7 or PLACEHOLDER in text.value:
                missing.append(_unresolved(service, text, "resource ARN", site))
                continue
            assert isinstance(text, Text)
            region, name = parts[3], parts[6]
            databases = [t.value for t in self._texts(obj.role("database")) if isinstance(t, Text)]
            suffix = f"/{databases[0]}" if databases and PLACEHOLDER not in databases[0] else ""
            where = SourceRef(site.file, site.line, f"resource ARN {text.value} names {region}")
            location = locate(service.provider or "aws", region, text.refs, where)
            found.append(
                Identity(
                    service.name,
                    f"code:{service.scheme}://{name}{suffix}",
                    name,
                    service.kind,
                    location,
                    refs=text.refs,
                )
            )
        return found, missing

    def _dataset(
        self, service: Service, obj: Obj, site: SourceRef
    ) -> tuple[list[Identity], list[Unresolved]]:
        found: list[Identity] = []
        missing: list[Unresolved] = []
        projects = [t.value for t in self._texts(obj.role("project")) if isinstance(t, Text)]
        for text in self._texts(obj.role("table")) or [Unknown("the call names no table", ())]:
            if isinstance(text, Unknown) or PLACEHOLDER in text.value:
                missing.append(_unresolved(service, text, "table", site))
                continue
            parts = text.value.replace(":", ".").split(".")
            if len(parts) >= 3:
                project, dataset = parts[-3], parts[-2]
            elif len(parts) == 2:
                project, dataset = (projects[0] if projects else ""), parts[0]
            else:
                missing.append(_unresolved(service, text, "dataset", site))
                continue
            ident = f"{project}/{dataset}" if project else dataset
            location = self._region_location(service, obj, site, "location")
            found.append(
                Identity(
                    service.name,
                    f"code:{service.scheme}://{ident}",
                    dataset,
                    service.kind,
                    location,
                    refs=text.refs,
                )
            )
        return found, missing

    def _container(
        self, service: Service, obj: Obj, site: SourceRef
    ) -> tuple[list[Identity], list[Unresolved]]:
        hosts_found: list[tuple[str, tuple[SourceRef, ...]]] = []
        for role in ("account_url", "connection_string"):
            for text in self._texts(obj.role(role)):
                if isinstance(text, Text) and PLACEHOLDER not in text.value:
                    host = host_of(text.value)
                    if host:
                        hosts_found.append((host, text.refs))
        for text in self._texts(obj.role("account_name")):
            if isinstance(text, Text) and PLACEHOLDER not in text.value and text.value:
                hosts_found.append((f"{text.value.lower()}.blob.core.windows.net", text.refs))
        found: list[Identity] = []
        missing: list[Unresolved] = []
        if not hosts_found:
            return [], [
                Unresolved(service.name, "the storage account is not known statically", (site,))
            ]
        containers = self._texts(obj.role("container"))
        if not containers:
            missing.append(Unresolved(service.name, "the call names no container", (site,)))
        for host, host_refs in hosts_found:
            for container in containers:
                if isinstance(container, Unknown) or PLACEHOLDER in container.value:
                    missing.append(_unresolved(service, container, "container", site))
                    continue
                location = self._host_location(service, host, host_refs, site, None, [])
                found.append(
                    Identity(
                        service.name,
                        f"code:https://{host}/{container.value}",
                        container.value,
                        service.kind,
                        location,
                        host=host,
                        refs=(*host_refs, *container.refs),
                    )
                )
        return found, missing

    def _hosted(
        self, service: Service, obj: Obj, site: SourceRef
    ) -> tuple[list[Identity], list[Unresolved]]:
        found: list[Identity] = []
        missing: list[Unresolved] = []
        for conn in self._connections(service, obj):
            if conn.reason is not None:
                missing.append(Unresolved(service.name, conn.reason, conn.refs or (site,)))
                continue
            scheme = self._scheme(service, conn.scheme)
            if scheme is None:
                continue  # SQLite and the like: a file next to the application
            host = conn.host or ""
            database = conn.database if service.identity == "host_database" else None
            store_id = f"code:{scheme}://{host}" + (f"/{database}" if database else "")
            regions = self._texts(obj.role("region"))
            location = self._host_location(service, host, conn.refs, site, conn.namespace, regions)
            found.append(
                Identity(
                    service.name,
                    store_id,
                    database or host,
                    service.kind,
                    location,
                    host=host,
                    namespace=conn.namespace,
                    refs=(*conn.refs, *conn.database_refs),
                )
            )
        return found, missing

    def _scheme(self, service: Service, spelling: str | None) -> str | None:
        if service.name != "sql":
            return service.scheme
        scheme = self.ev.catalog.scheme(spelling or "postgresql")
        if scheme is None or scheme == "sqlite":
            return None
        return scheme

    def _connections(self, service: Service, obj: Obj) -> list[_Conn]:
        conns: list[_Conn] = []
        schemes = [t.value for t in self._texts(obj.role("scheme")) if isinstance(t, Text)]
        fixed_scheme = schemes[0] if schemes else None
        role_databases = [
            t.value
            for t in self._texts(obj.role("database"))
            if isinstance(t, Text) and t.value and PLACEHOLDER not in t.value
        ]
        for value in obj.role("dsn"):
            for text in self._expand(value):
                conn = _parse_dsn(text, fixed_scheme)
                if conn.database is None and role_databases:
                    conn = replace(conn, database=role_databases[-1])
                conns.append(conn)
        if not conns:
            databases = self._texts(obj.role("database"))
            for host in self._texts(obj.role("host")):
                if isinstance(host, Unknown) or PLACEHOLDER in host.value or not host.value:
                    reason = host.reason if isinstance(host, Unknown) else "the host is computed"
                    conns.append(_Conn(None, None, None, reason, host.refs))
                    continue
                options: list[Text | Unknown | None] = [*databases]
                if not options:
                    options.append(None)
                for database in options:
                    db = (
                        database.value
                        if isinstance(database, Text) and PLACEHOLDER not in database.value
                        else None
                    )
                    conns.append(
                        _Conn(
                            fixed_scheme,
                            host.value.lower(),
                            db or None,
                            None,
                            host.refs,
                            host.namespace,
                            database.refs if isinstance(database, Text) else (),
                        )
                    )
        if not conns:
            conns.append(_Conn(None, None, None, service.unknown, ()))
        return conns

    def _texts(self, values: Sequence[Value]) -> list[Text | Unknown]:
        found: list[Text | Unknown] = []
        for value in values:
            found.extend(self._expand(value))
        return found

    def _expand(self, value: Value, depth: int = 0) -> list[Text | Unknown]:
        """Texts of a value; a list of hosts gives its first, ``{"host": h, "port": p}`` a
        ``host:port`` text (Elasticsearch and OpenSearch clients take either)."""
        if isinstance(value, (Text, Unknown)):
            return [value]
        if depth > 3:
            return []
        if isinstance(value, SeqV) and value.items:
            found: list[Text | Unknown] = []
            for item in self.ev.eval(value.items[0], value.ctx):
                found.extend(self._expand(item, depth + 1))
            return found
        if isinstance(value, DictV):
            hosts_found = self.ev.as_texts(self.ev.item(value, Lit("host", 0), value.ctx, 0))
            return [h for h in hosts_found if isinstance(h, Text)] or list(hosts_found)
        return []

    # ---- locations ----
    def _object_location(self, service: Service, obj: Obj, site: SourceRef) -> Location:
        endpoints = self._texts(obj.role("endpoint")) or self._implicit(service, "endpoint")
        usable = [e for e in endpoints if isinstance(e, Text) and PLACEHOLDER not in e.value]
        if usable:
            regions = self._texts(obj.role("region")) or self._implicit(service, "region")
            parts = []
            for endpoint in usable:
                host = host_of(endpoint.value)
                if host is None:
                    why = SourceRef(
                        site.file, site.line, f"endpoint {endpoint.value} names no host"
                    )
                    parts.append(Location.unknown(why, endpoint.refs))
                    continue
                parts.append(
                    self._host_location(
                        service, host, endpoint.refs, site, endpoint.namespace, regions
                    )
                )
            return merge_distinct(parts)
        return self._region_location(service, obj, site, "region")

    def _region_location(self, service: Service, obj: Obj, site: SourceRef, role: str) -> Location:
        regions = self._texts(obj.role(role)) or self._implicit(service, role)
        if not regions or not service.provider:
            return Location.unknown(SourceRef(site.file, site.line, service.unknown), ())
        parts = []
        for region in regions:
            if isinstance(region, Unknown) or PLACEHOLDER in region.value:
                reason = region.reason if isinstance(region, Unknown) else "the region is computed"
                why = SourceRef(site.file, site.line, f"region: {reason}")
                parts.append(Location.unknown(why, region.refs, provider=service.provider))
                continue
            evidence = region.refs[:-1]
            where = region.refs[-1] if region.refs else site
            parts.append(locate(service.provider, region.value, evidence, where))
        return merge_distinct(parts)

    def _implicit(self, service: Service, role: str) -> list[Text | Unknown]:
        """What the SDK reads by itself when the code gives nothing (AWS_REGION)."""
        names = dict(service.implicit_env).get(role, ())
        for name in names:
            values = [v for v in self.env.get(name) if v.value]
            if values:
                return [
                    Text(
                        v.value or "",
                        (
                            SourceRef(
                                v.source.file, v.source.line, f"{v.source.note} (read by the SDK)"
                            ),
                        ),
                        v.origin,
                        v.namespace,
                    )
                    for v in values
                ]
        return []

    def _host_location(
        self,
        service: Service,
        host: str,
        refs: tuple[SourceRef, ...],
        site: SourceRef,
        namespace: str | None,
        regions: Sequence[Text | Unknown],
    ) -> Location:
        at = refs[-1] if refs else site
        own = next((e for e in self.endpoints if e.matches(host)), None)
        if own is not None:
            return _own_location(own, host, refs)
        match = match_host(host)
        if match is not None:
            note = f"host {host} is {match.provider} {match.service} ({match.pattern})"
            host_ref = SourceRef(at.file, at.line, note)
            region = match.region
            evidence = refs
            if region is None:
                named = [r for r in regions if isinstance(r, Text) and PLACEHOLDER not in r.value]
                if named:
                    return locate(
                        match.provider,
                        named[0].value,
                        (*refs, *named[0].refs[:-1]),
                        named[0].refs[-1],
                    )
                why = SourceRef(
                    at.file,
                    at.line,
                    f"host {host} is {match.provider} but names no region; {service.unknown}",
                )
                return Location.unknown(why, (*evidence, host_ref), provider=match.provider)
            return locate(match.provider, region, evidence, host_ref)
        reason = self._local_reason(host, namespace)
        return Location.unknown(SourceRef(at.file, at.line, reason), refs[:-1])

    def _local_reason(self, host: str, namespace: str | None) -> str:
        name = host.lower()
        if name in self._hosts.loopback_hosts or _is_loopback(name):
            return (
                f"host {host} is this machine (a development setting); where the data lives "
                "when deployed is not in the repository"
            )
        if name in self.env.compose_services:
            return (
                f"host {host} is a docker-compose service; where it runs when deployed is "
                "not in the repository"
            )
        if _is_private(name) or "." not in name or name.endswith(_LOCAL_SUFFIXES) or ".svc" in name:
            return (
                f"host {host} is a private address; no Kubernetes store or cluster mapping "
                "in the repository places it (declare it under endpoints in the config)"
            )
        return (
            f"host {host} is not a known provider endpoint; declare it under endpoints "
            "in the config"
        )

    def is_development(self, identity: Identity) -> bool:
        """A store on this machine or on a docker-compose service: what developers run."""
        host = (identity.host or "").lower()
        return bool(host) and (
            host in self._hosts.loopback_hosts
            or _is_loopback(host)
            or host in self.env.compose_services
        )

    def without_development(self, identities: Sequence[Identity]) -> list[Identity]:
        """Development addresses are dropped where the same code names a real one too
        (``os.getenv("DB") or "postgresql://localhost/app"``, a committed local settings
        module next to the production one)."""
        real = [i for i in identities if not self.is_development(i)]
        return real if real else list(identities)

    # ---- matching declared stores ----
    def known_matches(self, identity: Identity) -> list[Store]:
        found = self._known_by_id.get(identity.store_id)
        if found:
            return list(found)
        service = self.ev.catalog.service(identity.service)
        # an account/container pair names the store; its host is only the account's endpoint
        if identity.host is None or (
            service is not None and service.identity == "account_container"
        ):
            kinds = self._matches(identity.service)
            return [s for s in self._known_by_name.get(identity.name, ()) if s.kind in kinds]
        return self._by_host(identity)

    def _matches(self, service: str) -> tuple[str, ...]:
        row = self.ev.catalog.service(service)
        return row.matches if row is not None else ()

    def _by_host(self, identity: Identity) -> list[Store]:
        host = identity.host or ""
        kinds = self._matches(identity.service)
        service_name, namespace = _kubernetes_service(host, identity.namespace)
        found: list[Store] = []
        if service_name is not None:
            for store in self.known:
                if store.source != "kubernetes" or store.kind not in (*kinds, "block_storage"):
                    continue
                kind_ns_name = store.id.split(":", 1)[1].split("@", 1)[0].split("/")
                if len(kind_ns_name) != 3:
                    continue
                _, store_ns, store_name = kind_ns_name
                if namespace is not None and store_ns != namespace:
                    continue
                if self._same_service(service_name, store_name):
                    found.append(store)
            return found
        match = match_host(host)
        if match is not None and match.service in _IDENTIFIER_HOSTS:
            labels = host.split(".")
            identifier = (
                labels[1] if labels[0] in ("master", "replica") and len(labels) > 1 else labels[0]
            )
            for store in self.known:
                if store.kind not in kinds and not (store.kind == "cache" and "key_value" in kinds):
                    continue
                if store.name == identifier and store.location.provider in (None, match.provider):
                    found.append(store)
        return found

    def _same_service(self, service: str, store_name: str) -> bool:
        if service == store_name:
            return True
        for suffix in self._hosts.kubernetes_service_suffixes:
            if service == store_name + suffix or store_name == service + suffix:
                return True
        return False


@dataclass(frozen=True)
class _Conn:
    scheme: str | None
    host: str | None
    database: str | None
    reason: str | None
    refs: tuple[SourceRef, ...]  # where the host comes from (decides the location)
    namespace: str | None = None
    database_refs: tuple[SourceRef, ...] = ()


def _parse_dsn(text: Text | Unknown, fixed_scheme: str | None) -> _Conn:
    if isinstance(text, Unknown):
        return _Conn(None, None, None, text.reason, text.refs)
    value = text.value.strip()
    host = host_of(value)
    if host is None or PLACEHOLDER in host:
        gaps = "; ".join(text.gaps) if text.gaps else "the connection string names no host"
        return _Conn(None, None, None, f"the host is not known statically: {gaps}", text.refs)
    scheme = fixed_scheme
    database: str | None = None
    if "://" in value:
        parts = urlsplit(value.replace(PLACEHOLDER, "x"))
        scheme = scheme or parts.scheme
        path = unquote(parts.path or "").strip("/").split("/", 1)[0]
        database = path or None
    else:  # libpq keyword DSN: "host=... dbname=..."
        for item in value.split():
            key, _, val = item.partition("=")
            if key.lower() in ("dbname", "database"):
                database = val.strip("'\"") or None
    if database and PLACEHOLDER in database:
        database = None
    return _Conn(scheme, host, database, None, text.refs, text.namespace)


def _unresolved(service: Service, text: Text | Unknown, what: str, site: SourceRef) -> Unresolved:
    if isinstance(text, Unknown):
        return Unresolved(
            service.name, f"the {what} is not known statically: {text.reason}", text.refs or (site,)
        )
    gaps = "; ".join(text.gaps) or "it is computed at run time"
    return Unresolved(
        service.name, f"the {what} is not known statically: {gaps}", text.refs or (site,)
    )


def merge_distinct(parts: Sequence[Location]) -> Location:
    """One location from the places a store is named: the first of each distinct answer
    (so an unknown location's chain still ends with its reason), merged."""
    chosen: dict[tuple[object, ...], Location] = {}
    for part in parts:
        key = (part.status, part.provider, part.region, part.countries)
        chosen.setdefault(key, part)
    return merge_locations(list(chosen.values()))


def _own_location(own: OwnEndpoint, host: str, refs: tuple[SourceRef, ...]) -> Location:
    note = f"config declares host {host} ({own.pattern})"
    where = SourceRef(own.ref.file, own.ref.line, note)
    if own.provider in PROVIDERS and own.region:
        return locate(own.provider, own.region, refs, where)
    if own.countries:
        countries = tuple(sorted(set(own.countries)))
        status = LocationStatus.RESOLVED if len(countries) == 1 else LocationStatus.MULTI
        return Location(status, own.provider, own.region, countries, (*refs, where))
    why = SourceRef(own.ref.file, own.ref.line, f"config entry for {host} names no country")
    return Location.unknown(why, refs, provider=own.provider, region=own.region)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_private(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_private
    except ValueError:
        return False


def _kubernetes_service(host: str, namespace: str | None) -> tuple[str | None, str | None]:
    """``svc.ns.svc.cluster.local`` -> (svc, ns); ``pod.svc.ns.svc`` -> (svc, ns); a bare
    ``svc`` -> (svc, the namespace of the workload whose env named it)."""
    name = host.lower().rstrip(".")
    for suffix in (".svc.cluster.local", ".svc"):
        if name.endswith(suffix):
            labels = name[: -len(suffix)].split(".")
            if len(labels) == 2:
                return labels[0], labels[1]
            if len(labels) == 3:
                return labels[1], labels[2]
            return None, None
    if "." not in name and namespace is not None:
        return name, namespace
    return None, None
