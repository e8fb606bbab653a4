from __future__ import annotations

import re

import pytest

from residency_audit.geo.endpoints import endpoint_rules
from residency_audit.geo.regions import PROVIDERS
from residency_audit.sources.kubernetes.catalog import (
    STORE_KINDS,
    connection_scheme,
    connection_schemes,
    image_patterns,
    image_repository,
    managed_service,
    managed_services,
    match_image,
    node_label,
    node_labels,
    operator_kind,
    operator_kinds,
    scheme_of_env_name,
    storage_driver,
    storage_drivers,
    velero_providers,
)


def test_every_image_row_is_well_formed_and_unique() -> None:
    rows = image_patterns()
    assert len(rows) >= 45
    assert len({row.pattern for row in rows}) == len(rows)
    for row in rows:
        assert row.store_kind in STORE_KINDS, row
        assert row.engine, row
        assert row.pattern == row.pattern.strip().lower(), row
        # A pattern must match an image written the plainest way.
        plain = row.pattern.replace("*", "16")
        assert match_image(f"{plain}:latest") == row, row


def test_every_operator_row_is_well_formed() -> None:
    rows = operator_kinds()
    assert len(rows) >= 20
    for (group, kind), row in rows.items():
        assert "." in group and "/" not in group, row
        assert kind[:1].isalpha(), row
        assert row.store_kind in STORE_KINDS, row
        assert row.confidence in ("V", "P", "U"), row


def test_every_storage_driver_names_a_catalog_provider() -> None:
    rows = storage_drivers()
    assert len(rows) >= 30
    for driver, row in rows.items():
        assert driver == row.driver and " " not in driver, row
        assert row.provider is None or row.provider in PROVIDERS, row
        assert row.medium, row


def test_every_velero_plugin_names_a_catalog_provider() -> None:
    rows = velero_providers()
    assert set(rows) == {"aws", "velero.io/aws", "gcp", "velero.io/gcp", "azure", "velero.io/azure"}
    for plugin, provider in rows.items():
        assert provider in PROVIDERS and plugin.rsplit("/", 1)[-1] == provider, plugin


def test_every_node_label_row_is_well_formed() -> None:
    rows = node_labels()
    assert len(rows) >= 16
    for row in rows:
        assert row.provider is None or row.provider in PROVIDERS, row
        assert row.prefix == row.key.endswith(("/", "-")), row
        assert row.level in ("region", "zone", "provider"), row
        if row.level == "provider":
            assert row.provider is not None, row


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("postgres:16", "postgres"),
        ("docker.io/bitnami/postgresql:16.2.0-debian-12-r6", "bitnami/postgresql"),
        (
            "cr.yandex/crp1a2b3c4d5e6f7g8h9/bitnami/mongodb:7.0@sha256:" + "a" * 64,
            "crp1a2b3c4d5e6f7g8h9/bitnami/mongodb",
        ),
        ("localhost/mysql", "mysql"),
        ("registry.local:5000/redis", "redis"),
        ("Redis:7", "redis"),
    ],
)
def test_image_repository_strips_registry_tag_and_digest(image: str, repository: str) -> None:
    assert image_repository(image) == repository


@pytest.mark.parametrize(
    ("image", "kind", "engine"),
    [
        ("postgres:16.2-bookworm", "relational_db", "PostgreSQL"),
        ("registry.opensource.zalan.do/acid/spilo-16:3.2-p3", "relational_db", "PostgreSQL"),
        ("ghcr.io/cloudnative-pg/postgresql:16.3", "relational_db", "PostgreSQL"),
        ("bitnami/mariadb-galera:11.2", "relational_db", "MariaDB"),
        ("mongo:7", "document_db", "MongoDB"),
        ("docker.dragonflydb.io/dragonflydb/dragonfly:v1.19.0", "key_value", "Dragonfly"),
        ("valkey/valkey:7.2", "key_value", "Valkey"),
        ("docker.elastic.co/elasticsearch/elasticsearch:8.13.4", "search", "Elasticsearch"),
        ("opensearchproject/opensearch:2.14.0", "search", "OpenSearch"),
        ("yandex/clickhouse-server:21.3", "warehouse", "ClickHouse"),
        ("scylladb/scylla:5.4", "wide_column", "ScyllaDB"),
        ("confluentinc/cp-kafka:7.6.1", "message_queue", "Kafka"),
        ("quay.io/minio/minio:RELEASE.2024-05-10T01-41-38Z", "object_storage", "MinIO"),
    ],
)
def test_store_images(image: str, kind: str, engine: str) -> None:
    found = match_image(image)
    assert found is not None
    assert (found.store_kind, found.engine) == (kind, engine)


@pytest.mark.parametrize(
    "image",
    [
        "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
        "oliver006/redis_exporter:v1.58.0",
        "bitnami/redis-sentinel:7.2",
        "bitnami/pgbouncer:1.22.1",
        "percona/percona-postgresql-operator:2.3.1",
        "mongo-express:1.0",
        "confluentinc/cp-kafka-connect:7.6.1",
        "docker.elastic.co/kibana/kibana:8.13.4",
        "registry.acme.io/postgres-migrations:2024.05",
        "nginx:1.25",
        "",
    ],
)
def test_clients_exporters_and_operators_are_not_stores(image: str) -> None:
    assert match_image(image) is None


def test_lookups() -> None:
    cnpg = operator_kind("postgresql.cnpg.io/v1", "Cluster")
    assert cnpg is not None and cnpg.store_kind == "relational_db"
    assert operator_kind("postgresql.cnpg.io/v1", "ScheduledBackup") is None
    assert operator_kind("cluster.x-k8s.io/v1beta1", "Cluster") is None
    strimzi = operator_kind("kafka.strimzi.io/v1", "Kafka")
    assert strimzi is not None and strimzi.store_kind == "message_queue"
    ebs = storage_driver("ebs.csi.aws.com")
    assert ebs is not None and ebs.provider == "aws"
    cinder = storage_driver("cinder.csi.openstack.org")
    assert cinder is not None and cinder.provider is None
    assert storage_driver("example.com/unknown") is None
    zone = node_label("topology.kubernetes.io/zone")
    assert zone is not None and (zone.level, zone.provider) == ("zone", None)
    gke = node_label("cloud.google.com/gke-nodepool")
    assert gke is not None and (gke.level, gke.provider) == ("provider", "gcp")
    assert node_label("cloud.google.com/machine-family") is None
    assert node_label("kubernetes.io/hostname") is None


def test_store_kinds_are_the_terraform_vocabulary() -> None:
    """One vocabulary of store kinds across sources, so reports group stores alike."""
    from residency_audit.sources.kubernetes.catalog import STORE_KINDS
    from residency_audit.sources.terraform.catalog import store_kinds

    assert set(STORE_KINDS) <= set(store_kinds())


def test_every_connection_scheme_row_is_well_formed() -> None:
    rows = connection_schemes()
    schemes = {row.scheme: row for row in rows.values()}
    assert len(schemes) >= 10
    for spelling, row in rows.items():
        assert spelling in (row.scheme, *row.spellings), row
        assert spelling == spelling.lower() and "+" not in spelling, row
        assert row.store_kind in STORE_KINDS, row
        assert all(token == token.upper() and "_" not in token for token in row.env_tokens), row
    tokens = [token for row in schemes.values() for token in row.env_tokens]
    assert len(tokens) == len(set(tokens))


def _endpoint_services() -> set[str]:
    """Every service geo/data/endpoints.yaml can report, including `service` groups."""
    services: set[str] = set()
    for rule in endpoint_rules():
        services.add(rule.service)
        group = re.search(r"\(\?P<service>([a-z|-]+)\)", rule.pattern)
        if group is not None:
            services.update(group[1].split("|"))
    return services


def test_every_managed_service_row_is_an_endpoint_service_with_a_known_scheme() -> None:
    rows = managed_services()
    assert len(rows) >= 20
    known = _endpoint_services()
    for service, row in rows.items():
        assert service == row.service and service in known, row
        assert row.scheme is None or connection_scheme(row.scheme) is not None, row
        assert row.store_kind is None or row.store_kind in STORE_KINDS, row
    # Object storage, queues and APIs are never taken for databases.
    for service in ("s3", "object-storage", "sqs", "api", "logs", "cloudfront"):
        assert managed_service(service) is None


@pytest.mark.parametrize(
    ("spelling", "scheme"),
    [
        ("postgres", "postgresql"),
        ("postgresql+asyncpg", "postgresql"),
        ("mongodb+srv", "mongodb"),
        ("MariaDB", "mysql"),
        ("rediss", "redis"),
        ("sqlserver", "mssql"),
        ("amqp", None),
        ("https", None),
    ],
)
def test_connection_scheme_spellings(spelling: str, scheme: str | None) -> None:
    found = connection_scheme(spelling)
    assert (found.scheme if found else None) == scheme


@pytest.mark.parametrize(
    ("name", "scheme"),
    [
        ("PG_HOST", "postgresql"),
        ("POSTGRES_SERVER", "postgresql"),
        ("MYSQL_ADDR", "mysql"),
        ("orders.redis.endpoint", "redis"),
        ("DB_HOST", None),
        ("PG_TO_MYSQL_HOST", None),  # two engines named: neither is taken
    ],
)
def test_scheme_from_a_variable_name(name: str, scheme: str | None) -> None:
    found = scheme_of_env_name(name)
    assert (found.scheme if found else None) == scheme
