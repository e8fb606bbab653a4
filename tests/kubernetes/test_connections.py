from __future__ import annotations

from collections.abc import Callable

import pytest

from residency_audit.model import SourceRef
from residency_audit.sources.kubernetes.connections import (
    ConfigValue,
    EnvBinding,
    config_values,
    env_bindings,
    mask_password,
)
from residency_audit.sources.kubernetes.extract import decode_secret_value
from residency_audit.sources.kubernetes.facts import KubernetesFacts
from residency_audit.sources.kubernetes.parse import parse_manifests

Tree = Callable[[str], list[KubernetesFacts]]

API = "k8s:Deployment/orders/orders-api"
APP = "deploy/ru/orders-api.yaml"


def test_env_of_a_workload_resolves_secrets_and_config_maps(tree: Tree) -> None:
    env_from = SourceRef(APP, 43, "Deployment orders-api envFrom ConfigMap orders-api-config")
    bindings = [b for b in env_bindings(tree("k8s-shop")) if b.workload_id == API]
    assert bindings == [
        EnvBinding(
            API,
            "api",
            "REDIS_URL",
            "redis://orders-cache.orders.svc.cluster.local:6379/0",
            SourceRef(APP, 7, "ConfigMap orders-api-config key REDIS_URL"),
            env_from,
        ),
        EnvBinding(
            API,
            "api",
            "S3_BUCKET",
            "acme-orders-invoices",
            SourceRef(APP, 8, "ConfigMap orders-api-config key S3_BUCKET"),
            env_from,
        ),
        EnvBinding(
            API,
            "api",
            "AWS_S3_ENDPOINT_URL",
            "https://storage.yandexcloud.net",
            SourceRef(APP, 9, "ConfigMap orders-api-config key AWS_S3_ENDPOINT_URL"),
            env_from,
        ),
        EnvBinding(
            API,
            "api",
            "LOG_LEVEL",
            "info",
            SourceRef(APP, 10, "ConfigMap orders-api-config key LOG_LEVEL"),
            env_from,
        ),
        EnvBinding(
            API,
            "api",
            "DATABASE_URL",
            "postgresql://orders:***@orders-pg-rw.orders.svc:5432/orders",
            SourceRef(APP, 20, "Secret orders-api-db key DATABASE_URL"),
            SourceRef(APP, 46, "Deployment orders-api env DATABASE_URL"),
        ),
        EnvBinding(
            API,
            "api",
            "AWS_REGION",
            "ru-central1",
            SourceRef(APP, 51, "Deployment orders-api env AWS_REGION"),
            SourceRef(APP, 51, "Deployment orders-api env AWS_REGION"),
        ),
        EnvBinding(
            API,
            "api",
            "POD_NAME",
            None,
            SourceRef(APP, 53, "Deployment orders-api env POD_NAME"),
            SourceRef(APP, 53, "Deployment orders-api env POD_NAME"),
        ),
    ]


def test_a_reference_to_a_secret_outside_the_repository(tree: Tree) -> None:
    (binding,) = [
        b
        for b in env_bindings(tree("k8s-shop"))
        if b.workload_id == "k8s:StatefulSet/shop/users-db" and b.name == "POSTGRES_PASSWORD"
    ]
    assert binding.value is None
    assert binding.source == SourceRef(
        "deploy/eu/postgres.yaml",
        52,
        "StatefulSet users-db env POSTGRES_PASSWORD from Secret users-db-credentials key "
        "password, which is not in the repository",
    )


def test_config_values_include_decoded_secrets(tree: Tree) -> None:
    values = {(v.object_id, v.key): v for v in config_values(tree("k8s-shop"))}
    assert values[("k8s:Secret/orders/orders-api-db", "DATABASE_URL")] == ConfigValue(
        "k8s:Secret/orders/orders-api-db",
        "DATABASE_URL",
        "postgresql://orders:***@orders-pg-rw.orders.svc:5432/orders",
        SourceRef(APP, 20, "Secret orders-api-db key DATABASE_URL"),
    )
    assert values[("k8s:Secret/orders/orders-api-db", "SENTRY_DSN")].value == (
        "https://0123456789abcdef@o4505.ingest.de.sentry.io/4506"
    )


def test_explicit_env_overrides_env_from_and_prefix_applies() -> None:
    manifest = b"""\
apiVersion: v1
kind: ConfigMap
metadata: {name: shared}
data:
  HOST: db.internal
  PORT: "5432"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  template:
    spec:
      containers:
        - name: worker
          image: registry.acme.io/worker:3
          envFrom:
            - configMapRef: {name: shared}
              prefix: PG_
          env:
            - name: PG_HOST
              value: rc1a-abc.mdb.yandexcloud.net
"""
    facts = [parse_manifests("w.yaml", manifest)]
    assert [(b.name, b.value, b.source.line) for b in env_bindings(facts)] == [
        ("PG_HOST", "rc1a-abc.mdb.yandexcloud.net", 21),
        ("PG_PORT", "5432", 6),
    ]


def test_external_name_service_is_a_config_value() -> None:
    manifest = b"""\
apiVersion: v1
kind: Service
metadata: {name: users-db, namespace: shop}
spec:
  type: ExternalName
  externalName: users.c9akciq32.eu-central-1.rds.amazonaws.com
"""
    assert config_values([parse_manifests("svc.yaml", manifest)]) == (
        ConfigValue(
            "k8s:Service/shop/users-db",
            "externalName",
            "users.c9akciq32.eu-central-1.rds.amazonaws.com",
            SourceRef("svc.yaml", 1, "Service users-db is an alias (ExternalName)"),
        ),
    )


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("postgresql://app:pa55@db:5432/app", "postgresql://app:***@db:5432/app"),
        (
            "mongodb+srv://u:p%40ss@cluster0.abcde.mongodb.net/",
            "mongodb+srv://u:***@cluster0.abcde.mongodb.net/",
        ),
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        (
            "https://0123456789abcdef@o4505.ingest.de.sentry.io/1",
            "https://0123456789abcdef@o4505.ingest.de.sentry.io/1",
        ),
        ("db.internal:5432", "db.internal:5432"),
    ],
)
def test_mask_password(value: str, masked: str) -> None:
    assert mask_password(value) == masked


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("aHR0cHM6Ly9leGFtcGxlLmNvbQ==", "https://example.com"),
        ("aHR0cHM6Ly9l\n  eGFtcGxlLmNvbQ==", "https://example.com"),  # folded block scalar
        ("not base64!", None),
        ("AAECAwQ=", None),  # binary
        ("/w==", None),  # not UTF-8
    ],
)
def test_decode_secret_value(encoded: str, decoded: str | None) -> None:
    assert decode_secret_value(encoded) == decoded
