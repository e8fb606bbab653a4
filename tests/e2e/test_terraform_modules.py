"""Terraform as Terraform sees it: modules, for_each, providers, outputs, registry modules."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import run_cli


def _scan() -> dict[str, Any]:
    run = run_cli("scan", "fixtures/tf-modules", "--format", "json")
    assert run.exit_code == 1, run.stderr
    return run.json()


def test_stores_addresses_and_locations() -> None:
    document = _scan()
    stores = [
        (
            s["id"],
            s["name"],
            s["file"],
            s["line"],
            s["location"]["status"],
            s["location"]["region"],
            s["location"]["countries"],
        )
        for s in document["stores"]
    ]
    assert stores == [
        (
            "terraform:aws_s3_bucket.audit_trail",
            "acme-prod-users-audit",  # built from module.users_db's output
            "envs/prod/main.tf",
            37,
            "unknown",
            None,
            [],
        ),
        (
            "terraform:aws_s3_bucket.passport_scans",
            "acme-passport-scans",
            "envs/vk/main.tf",
            13,
            "resolved",
            "ru-msk",
            ["RU"],
        ),
        (
            "terraform:module.customer_uploads",
            "acme-prod-customer-uploads",
            "envs/prod/main.tf",
            26,
            "resolved",
            "eu-central-1",
            ["DE"],
        ),
        (
            'terraform:module.regional_exports["eu"].aws_s3_bucket.this',
            "acme-prod-exports-eu",
            "modules/regional-bucket/main.tf",
            10,
            "resolved",
            "eu-west-1",
            ["IE"],
        ),
        (
            'terraform:module.regional_exports["us"].aws_s3_bucket.this',
            "acme-prod-exports-us",
            "modules/regional-bucket/main.tf",
            10,
            "resolved",
            "eu-west-1",
            ["IE"],
        ),
        (
            "terraform:module.users_db.aws_db_instance.this",
            "acme-prod-users",
            "modules/user-db/main.tf",
            1,
            "resolved",
            "eu-central-1",
            ["DE"],
        ),
    ]


def test_findings_and_evidence_chains() -> None:
    document = _scan()
    assert [(f["category"], f["store_id"], f["file"], f["line"]) for f in document["findings"]] == [
        ("foreign_storage", "terraform:module.customer_uploads", "envs/prod/main.tf", 26),
        (
            "foreign_storage",
            'terraform:module.regional_exports["eu"].aws_s3_bucket.this',
            "modules/regional-bucket/main.tf",
            10,
        ),
        (
            "foreign_storage",
            'terraform:module.regional_exports["us"].aws_s3_bucket.this',
            "modules/regional-bucket/main.tf",
            10,
        ),
        (
            "foreign_storage",
            "terraform:module.users_db.aws_db_instance.this",
            "modules/user-db/main.tf",
            1,
        ),
        ("unknown_location", "terraform:aws_s3_bucket.audit_trail", "envs/prod/main.tf", 37),
    ]
    by_store = {f["store_id"]: f for f in document["findings"]}
    users = by_store["terraform:module.users_db.aws_db_instance.this"]["evidence"]
    assert users[:2] == [
        {
            "file": "envs/prod/terraform.tfvars",
            "line": 1,
            "note": 'primary_region = "eu-central-1"',
        },
        {
            "file": "envs/prod/providers.tf",
            "line": 2,
            "note": 'provider "aws" region = var.primary_region (eu-central-1)',
        },
    ]
    exports = by_store['terraform:module.regional_exports["us"].aws_s3_bucket.this']["evidence"]
    assert [e["note"] for e in exports[:2]] == [
        'variable "regions" default = { eu = "eu-west-1" us = "us-east-1" }',
        'provider "aws" (alias eu) region = lookup(var.regions, "eu") (eu-west-1)',
    ]
    audit = by_store["terraform:aws_s3_bucket.audit_trail"]
    assert "region taken from the environment at apply time (AWS_REGION" in audit["message"]


def test_s3_compatible_endpoint_decides_the_country() -> None:
    document = _scan()
    vk = next(s for s in document["stores"] if s["id"] == "terraform:aws_s3_bucket.passport_scans")
    assert vk["location"]["provider"] == "vkcs"
    assert vk["location"]["evidence"][-1]["note"] == (
        'provider "aws" endpoints.s3 = "https://hb.ru-msk.vkcloud-storage.ru" (vkcs ru-msk)'
    )
    assert all(f["store_id"] != vk["id"] for f in document["findings"])


def test_unresolvable_remote_module_is_an_error_not_a_crash() -> None:
    document = _scan()
    assert [(e["file"], e["line"]) for e in document["errors"]] == [("envs/prod/main.tf", 46)]
    assert document["errors"][0]["message"].startswith(
        "module.network: module source 'terraform-aws-modules/vpc/aws' is not in the repository"
    )
