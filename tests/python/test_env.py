"""Where environment variables get their values: .env, docker-compose, Kubernetes."""

from __future__ import annotations

import pytest

from residency_audit.model import ScanError, SourceRef
from residency_audit.sources.kubernetes.connections import ConfigValue, EnvBinding
from residency_audit.sources.python import (
    EnvValue,
    build_env_lookup,
    is_compose_path,
    is_dotenv_path,
    parse_compose_env,
    parse_dotenv,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".env", True),
        ("deploy/.env.production", True),
        ("config/prod.env", True),
        (".envrc", False),
        ("env.py", False),
        ("environment.yml", False),
    ],
)
def test_dotenv_paths(path: str, expected: bool) -> None:
    assert is_dotenv_path(path) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("docker-compose.yml", True),
        ("deploy/docker-compose.prod.yaml", True),
        ("compose.yaml", True),
        ("compose.override.yml", True),
        ("k8s/deployment.yaml", False),
    ],
)
def test_compose_paths(path: str, expected: bool) -> None:
    assert is_compose_path(path) is expected


def test_dotenv_reads_values_the_way_python_dotenv_does() -> None:
    text = (
        "# local settings\n"
        "DATABASE_URL=postgresql://app:s3cret@localhost:5432/app\n"
        "export AWS_REGION=eu-west-1\n"
        'KYC_BUCKET="kyc local"  # quoted\n'
        "REDIS_URL=redis://localhost:6379/0 # the cache\n"
        "not an assignment\n"
    )
    facts = parse_dotenv("services/api/.env", text.encode())
    assert facts.values == (
        EnvValue(
            "DATABASE_URL",
            "postgresql://app:***@localhost:5432/app",
            SourceRef("services/api/.env", 2, ".env sets DATABASE_URL"),
            "dotenv",
        ),
        EnvValue(
            "AWS_REGION",
            "eu-west-1",
            SourceRef("services/api/.env", 3, ".env sets AWS_REGION"),
            "dotenv",
        ),
        EnvValue(
            "KYC_BUCKET",
            "kyc local",
            SourceRef("services/api/.env", 4, ".env sets KYC_BUCKET"),
            "dotenv",
        ),
        EnvValue(
            "REDIS_URL",
            "redis://localhost:6379/0",
            SourceRef("services/api/.env", 5, ".env sets REDIS_URL"),
            "dotenv",
        ),
    )
    assert facts.errors == ()


def test_dotenv_that_is_not_utf8_is_an_error() -> None:
    facts = parse_dotenv(".env", b"A=1\nB=\xff\n")
    assert facts.errors == (ScanError(".env", 2, "not valid UTF-8 text"),)


def test_compose_environment_in_both_forms_with_interpolation_defaults() -> None:
    text = """\
services:
  db:
    image: postgres:16
  api:
    environment:
      DATABASE_URL: postgresql://api:${DB_PASSWORD}@db:5432/api
      AWS_REGION: ${AWS_REGION:-eu-central-1}
  worker:
    environment:
      - REDIS_URL=redis://redis:6379/0
      - PASSTHROUGH
"""
    facts = parse_compose_env("docker-compose.yml", text.encode())
    assert facts.services == ("db", "api", "worker")
    assert [(v.name, v.value, v.source.line) for v in facts.values] == [
        ("DATABASE_URL", "postgresql://api:***@db:5432/api", 6),
        ("AWS_REGION", "eu-central-1", 7),
        ("REDIS_URL", "redis://redis:6379/0", 10),
        ("PASSTHROUGH", None, 11),
    ]
    assert facts.values[0].source.note == "docker-compose service api environment DATABASE_URL"


def test_broken_compose_file_is_an_error_record() -> None:
    facts = parse_compose_env("docker-compose.yml", b"services:\n  api: [unclosed\n")
    assert facts.values == ()
    assert len(facts.errors) == 1 and facts.errors[0].message.startswith("YAML syntax error")


def test_the_deployment_wins_and_every_source_is_kept() -> None:
    k8s_ref = SourceRef("deploy/api.yaml", 21, "Deployment api env DATABASE_URL")
    bindings = [
        EnvBinding(
            "k8s:Deployment/shop/api", "api", "DATABASE_URL", "postgresql://db.prod/app", k8s_ref
        ),
        EnvBinding(
            "k8s:Deployment/shop-staging/api",
            "api",
            "DATABASE_URL",
            "postgresql://db.stage/app",
            k8s_ref,
        ),
    ]
    config = [
        ConfigValue(
            "k8s:ConfigMap/shop/api-config",
            "SEARCH_URL",
            "https://search",
            SourceRef("deploy/cm.yaml", 7, "x"),
        )
    ]
    dotenv = parse_dotenv(
        ".env", b"DATABASE_URL=postgresql://localhost/app\nAWS_REGION=eu-west-1\n"
    )
    lookup = build_env_lookup([dotenv], bindings, config)
    assert [(v.value, v.origin, v.namespace) for v in lookup.get("DATABASE_URL")] == [
        ("postgresql://db.prod/app", "kubernetes", "shop"),
        ("postgresql://db.stage/app", "kubernetes", "shop-staging"),
    ]
    assert [(v.value, v.origin) for v in lookup.get("AWS_REGION")] == [("eu-west-1", "dotenv")]
    assert [(v.value, v.origin) for v in lookup.get("SEARCH_URL")] == [
        ("https://search", "configmap")
    ]
    assert [v.value for v in lookup.get("aws_region")] == ["eu-west-1"]  # pydantic-settings case
    assert lookup.get("MISSING") == ()
