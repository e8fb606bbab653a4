from __future__ import annotations

from collections.abc import Callable

import pytest

from residency_audit.geo.endpoints import match_host
from residency_audit.model import Edge, EdgeKind, Location, LocationStatus, SourceRef, Store
from residency_audit.sources.kubernetes.external import link_external, read_connection
from residency_audit.sources.kubernetes.parse import parse_manifests

Locate = Callable[[str, str, tuple[SourceRef, ...], SourceRef], Location]

RDS_HOST = "orders.c7x2kq9vbn4d.eu-central-1.rds.amazonaws.com"


@pytest.mark.parametrize(
    ("name", "value", "store_id", "kind"),
    [
        (
            "DATABASE_URL",
            f"postgresql+psycopg://app:***@{RDS_HOST}:5432/orders?sslmode=require",
            f"code:postgresql://{RDS_HOST}/orders",
            "relational_db",
        ),
        (
            "JDBC_URL",
            f"jdbc:mysql://{RDS_HOST}:3306/shop",
            f"code:mysql://{RDS_HOST}/shop",
            "relational_db",
        ),
        # A bare host: the variable's name says it is a host, and which engine.
        ("PG_HOST", f"{RDS_HOST}:5432", f"code:postgresql://{RDS_HOST}", "relational_db"),
        # Redis ids carry no database, as the Python source spells them.
        (
            "REDIS_URL",
            "rediss://master.sessions.x1y2z3.euw1.cache.amazonaws.com:6379/0",
            "code:redis://master.sessions.x1y2z3.euw1.cache.amazonaws.com",
            "key_value",
        ),
        # The service alone tells the engine of a DocumentDB host.
        (
            "DOCDB_ENDPOINT",
            "profiles.cluster-c1d2e3.eu-west-1.docdb.amazonaws.com",
            "code:mongodb://profiles.cluster-c1d2e3.eu-west-1.docdb.amazonaws.com",
            "document_db",
        ),
        (
            "SEARCH_URL",
            "https://clinic-search.es.europe-west3.gcp.cloud.es.io:9243",
            "code:elasticsearch://clinic-search.es.europe-west3.gcp.cloud.es.io",
            "search",
        ),
    ],
)
def test_connection_values_that_name_a_managed_store(
    name: str, value: str, store_id: str, kind: str
) -> None:
    connection = read_connection(name, value, match_host)
    assert connection is not None
    assert (connection.store_id, connection.store_kind) == (store_id, kind)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # In-cluster Services are the Python linking's business.
        ("DATABASE_URL", "postgresql://orders@orders-pg-rw.orders.svc:5432/orders"),
        # A host in a variable whose name does not say host.
        ("PRIMARY", RDS_HOST),
        # Object storage and APIs are not databases.
        ("S3_ENDPOINT_URL", "https://s3.eu-west-1.amazonaws.com"),
        ("SQS_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"),
        # https:// to a database host is not a connection string.
        ("STATUS_URL", f"https://{RDS_HOST}/health"),
        # A Yandex MDB host runs many engines; nothing here says which.
        ("DB_HOST", "rc1a-abc123.mdb.yandexcloud.net"),
        ("DATABASE_URL", "sqlite:////var/lib/app/app.db"),
        ("DATABASE_URL", ""),
    ],
)
def test_values_that_are_not_managed_stores(name: str, value: str) -> None:
    assert read_connection(name, value, match_host) is None


def test_identifier_skips_the_elasticache_role_label() -> None:
    connection = read_connection(
        "CACHE_URL", "redis://master.sessions.x1y2z3.euw1.cache.amazonaws.com:6379", match_host
    )
    assert connection is not None and connection.identifier == "sessions"
    yandex = read_connection(
        "DATABASE_URL", "postgresql://rc1a-abc.mdb.yandexcloud.net/x", match_host
    )
    assert yandex is not None and yandex.identifier is None


def _workload(env: str) -> bytes:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: orders
  labels: {{personal-data: "true"}}
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:2.0
          env:
{env}""".encode()


def _declared(name: str, kind: str = "relational_db", provider: str = "aws") -> Store:
    location = Location(LocationStatus.RESOLVED, provider, "eu-central-1", ("DE",))
    return Store(
        f"terraform:aws_db_instance.{name}", kind, "terraform", "main.tf", 3, location, name
    )


def test_a_declared_instance_is_linked_instead_of_a_new_store(locate: Locate) -> None:
    env = f"""\
            - name: DATABASE_URL
              value: postgresql://app@{RDS_HOST}:5432/orders
"""
    facts = [parse_manifests("deploy/api.yaml", _workload(env))]
    linked = link_external(facts, [_declared("orders"), _declared("billing")], locate, match_host)
    assert linked.stores == ()
    assert linked.edges == (
        Edge(
            "k8s:Deployment/orders/api",
            "terraform:aws_db_instance.orders",
            EdgeKind.WRITES,
            "deploy/api.yaml",
            14,
            f"Deployment api env DATABASE_URL names {RDS_HOST}",
        ),
    )
    (write,) = linked.writers
    assert write.labels == (("personal-data", "true"),)
    assert write.workload == SourceRef("deploy/api.yaml", 1, "Deployment api")


@pytest.mark.parametrize(
    "declared",
    [
        _declared("orders", kind="object_storage"),  # same name, not a database
        _declared("orders", provider="yandex"),  # same name, another cloud
        _declared("orders-replica"),
    ],
)
def test_a_declared_store_must_match_name_kind_and_provider(
    declared: Store, locate: Locate
) -> None:
    env = f"""\
            - name: DATABASE_URL
              value: postgresql://app@{RDS_HOST}:5432/orders
"""
    facts = [parse_manifests("deploy/api.yaml", _workload(env))]
    linked = link_external(facts, [declared], locate, match_host)
    (store,) = linked.stores
    assert (store.id, store.file, store.line, store.source) == (
        f"code:postgresql://{RDS_HOST}/orders",
        "deploy/api.yaml",
        14,
        "kubernetes",
    )
    assert (store.location.provider, store.location.region, store.location.countries) == (
        "aws",
        "eu-central-1",
        ("DE",),
    )
    assert store.location.evidence == (
        SourceRef("deploy/api.yaml", 14, "Deployment api env DATABASE_URL"),
        SourceRef("deploy/api.yaml", 14, f"host {RDS_HOST} is aws rds (aws-rds-instance)"),
    )


def test_several_hosts_in_one_url_are_one_store_in_their_region(locate: Locate) -> None:
    env = """\
            - name: DATABASE_URL
              value: postgresql://app@rc1a-h1.mdb.yandexcloud.net:6432,rc1b-h2.mdb.yandexcloud.net:6432/orders
"""
    facts = [parse_manifests("deploy/api.yaml", _workload(env))]
    (store,) = link_external(facts, [], locate, match_host).stores
    assert store.id == "code:postgresql://rc1a-h1.mdb.yandexcloud.net/orders"
    assert (store.location.status, store.location.region, store.location.countries) == (
        LocationStatus.RESOLVED,
        "ru-central1",
        ("RU",),
    )


def test_two_workloads_naming_one_store_give_one_store_and_two_edges(locate: Locate) -> None:
    secret = f"""\
apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: orders}}
stringData:
  DATABASE_URL: postgresql://app:s3cr3t@{RDS_HOST}/orders
---
"""
    worker = _workload(
        """\
            - name: DATABASE_URL
              valueFrom: {secretKeyRef: {name: db, key: DATABASE_URL}}
"""
    ).replace(b"name: api\n", b"name: worker\n")
    facts = [
        parse_manifests(
            "deploy/api.yaml",
            secret.encode()
            + _workload(
                """\
            - name: DATABASE_URL
              valueFrom: {secretKeyRef: {name: db, key: DATABASE_URL}}
"""
            ),
        ),
        parse_manifests("deploy/worker.yaml", worker),
    ]
    linked = link_external(facts, [], locate, match_host)
    (store,) = linked.stores
    assert (store.file, store.line) == ("deploy/api.yaml", 5)
    assert [(e.source, e.file, e.line) for e in linked.edges] == [
        ("k8s:Deployment/orders/api", "deploy/api.yaml", 20),
        ("k8s:Deployment/orders/worker", "deploy/worker.yaml", 14),
    ]
