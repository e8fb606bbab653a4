"""Where operator resources ship copies of their data: backup buckets and object stores.

A database inside Russia whose WAL archive goes to a bucket in Frankfurt is a cross-border
transfer, so each backup destination becomes a fact here and a ``backup`` edge later.
Only destinations written in the manifest count; credentials and operator-wide defaults
that live elsewhere are not guessed at.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from residency_audit.sources.kubernetes.catalog import velero_providers
from residency_audit.sources.kubernetes.facts import CopyTarget, ReplicaSource
from residency_audit.sources.kubernetes.yamltree import YMap, YScalar, child, items, mapping, text

BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"


def copy_targets(group: str, kind: str, spec: YMap | None) -> tuple[CopyTarget, ...]:
    if spec is None:
        return ()
    if group == "postgresql.cnpg.io" and kind == "Cluster":
        return _cnpg_cluster(spec)
    if group == "barmancloud.cnpg.io" and kind == "ObjectStore":
        store = mapping(spec, "configuration")
        target = _barman(store, "spec.configuration")
        return (target,) if target is not None else ()
    if group == "velero.io" and kind == "BackupStorageLocation":
        return _velero(spec)
    if (group, kind) in (
        ("postgres-operator.crunchydata.com", "PostgresCluster"),
        ("pgv2.percona.com", "PerconaPGCluster"),
    ):
        return _pgbackrest(spec)
    if (group, kind) in (
        ("pxc.percona.com", "PerconaXtraDBCluster"),
        ("psmdb.percona.com", "PerconaServerMongoDB"),
    ):
        return _percona_storages(spec)
    return ()


def _cnpg_cluster(spec: YMap) -> tuple[CopyTarget, ...]:
    targets: list[CopyTarget] = []
    barman = _barman(mapping(spec, "backup", "barmanObjectStore"), "spec.backup.barmanObjectStore")
    if barman is not None:
        targets.append(barman)
    for plugin in items(spec, "plugins"):
        name = text(plugin, "parameters", "barmanObjectName")
        if text(plugin, "name") == BARMAN_PLUGIN and name and isinstance(plugin, YMap):
            targets.append(
                CopyTarget(
                    "backup",
                    plugin.line,
                    "spec.plugins[].parameters.barmanObjectName",
                    via=f"ObjectStore/{name}",
                )
            )
    return tuple(targets)


def replica_sources(
    group: str, kind: str, name: str | None, spec: YMap | None
) -> tuple[ReplicaSource, ...]:
    """The cluster a CloudNativePG replica cluster follows, with what its
    ``externalClusters`` entry says about where that cluster is.

    A cluster is a replica when ``spec.replica.enabled`` is true, or (distributed topology)
    when ``spec.replica.primary`` names another cluster; the followed one is
    ``spec.replica.source``.
    """
    if (group, kind) != ("postgresql.cnpg.io", "Cluster"):
        return ()
    replica = mapping(spec, "replica")
    source = child(replica, "source")
    if replica is None or not isinstance(source, YScalar) or not source.value:
        return ()
    enabled = (text(replica, "enabled") or "").lower()
    primary = text(replica, "primary")
    if enabled in ("false", "no", "off") or (
        enabled not in ("true", "yes", "on") and (primary is None or primary == name)
    ):
        return ()
    entry = next(
        (
            item
            for item in items(spec, "externalClusters")
            if isinstance(item, YMap) and text(item, "name") == source.value
        ),
        None,
    )
    host = child(entry, "connectionParameters", "host")
    has_host = isinstance(host, YScalar) and bool(host.value)
    return (
        ReplicaSource(
            source.value,
            source.line,
            "spec.replica.source",
            host=host.value if isinstance(host, YScalar) and has_host else None,
            host_line=host.line if isinstance(host, YScalar) and has_host else None,
            archive=_barman(
                mapping(entry, "barmanObjectStore"), "spec.externalClusters[].barmanObjectStore"
            ),
        ),
    )


def _barman(store: YMap | None, field: str) -> CopyTarget | None:
    destination = child(store, "destinationPath")
    if store is None or not isinstance(destination, YScalar) or not destination.value:
        return None
    url = destination.value.strip()
    endpoint = child(store, "endpointURL")
    endpoint_url = endpoint.value if isinstance(endpoint, YScalar) else None
    bucket, scheme_provider = _bucket_of(url)
    return CopyTarget(
        "backup",
        destination.line,
        f"{field}.destinationPath",
        url=url,
        bucket=bucket,
        endpoint=endpoint_url,
        endpoint_line=endpoint.line if endpoint_url and endpoint is not None else None,
        provider=None if endpoint_url else scheme_provider,
    )


def _bucket_of(url: str) -> tuple[str | None, str | None]:
    """The bucket (or Azure container) an object-store URL names, and the provider its
    scheme implies: ``s3://`` alone means AWS S3, ``gs://`` Google Cloud Storage."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        return parts.netloc or None, "aws"
    if scheme == "gs":
        return parts.netloc or None, "gcp"
    if scheme in ("http", "https"):
        container = parts.path.strip("/").split("/", 1)[0]
        provider = "azure" if parts.netloc.lower().endswith(".blob.core.windows.net") else None
        return container or None, provider
    return None, None


def _velero(spec: YMap) -> tuple[CopyTarget, ...]:
    bucket = child(spec, "objectStorage", "bucket")
    if not isinstance(bucket, YScalar) or not bucket.value:
        return ()
    plugin = (text(spec, "provider") or "").strip().lower()
    s3_node = child(spec, "config", "s3Url")
    s3_url = s3_node.value if isinstance(s3_node, YScalar) else None
    return (
        CopyTarget(
            "backup",
            bucket.line,
            "spec.objectStorage.bucket",
            bucket=bucket.value,
            endpoint=s3_url,
            endpoint_line=s3_node.line if s3_url and s3_node is not None else None,
            region=text(spec, "config", "region"),
            provider=None if s3_url else velero_providers().get(plugin),
        ),
    )


def _pgbackrest(spec: YMap) -> tuple[CopyTarget, ...]:
    targets: list[CopyTarget] = []
    for repo in items(spec, "backups", "pgbackrest", "repos"):
        for key, provider in (("s3", None), ("gcs", "gcp"), ("azure", "azure")):
            store = mapping(repo, key)
            if store is None:
                continue
            name = child(store, "bucket") or child(store, "container")
            if not isinstance(name, YScalar) or not name.value:
                continue
            endpoint = text(store, "endpoint")
            targets.append(
                CopyTarget(
                    "backup",
                    name.line,
                    f"spec.backups.pgbackrest.repos[].{key}",
                    bucket=name.value,
                    endpoint=endpoint,
                    endpoint_line=_line(store, "endpoint"),
                    region=text(store, "region"),
                    provider=provider or (None if endpoint else "aws"),
                )
            )
    return tuple(targets)


def _percona_storages(spec: YMap) -> tuple[CopyTarget, ...]:
    targets: list[CopyTarget] = []
    storages = mapping(spec, "backup", "storages")
    for name, storage in storages.entries.items() if storages is not None else ():
        for key, provider in (("s3", None), ("azure", "azure")):
            store = mapping(storage, key)
            bucket = child(store, "bucket") or child(store, "container")
            if store is None or not isinstance(bucket, YScalar) or not bucket.value:
                continue
            endpoint_key = "endpointUrl" if text(store, "endpointUrl") else "endpointURL"
            endpoint = text(store, endpoint_key)
            targets.append(
                CopyTarget(
                    "backup",
                    bucket.line,
                    f"spec.backup.storages.{name}.{key}",
                    bucket=bucket.value.split("/", 1)[0],
                    endpoint=endpoint,
                    endpoint_line=_line(store, endpoint_key),
                    region=text(store, "region"),
                    provider=provider or (None if endpoint else "aws"),
                )
            )
    return tuple(targets)


def _line(node: YMap | None, key: str) -> int | None:
    found = child(node, key)
    return found.line if isinstance(found, YScalar) and found.value else None
