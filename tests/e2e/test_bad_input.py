"""Bad input never crashes and never hides: broken files land in errors, the rest is scanned."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import run_cli


def test_broken_files_are_reported_and_the_rest_still_scanned() -> None:
    run = run_cli("scan", "fixtures/broken-inputs", "--format", "json")
    assert run.exit_code == 1, run.stderr
    document = run.json()
    assert [(e["file"], e["line"]) for e in document["errors"]] == [
        ("deploy/bad.yaml", 12),
        ("infra/broken.tf", 6),
        ("infra/latin1.tf", 2),
        ("infra/state.tf", None),
    ]
    messages = {e["file"]: e["message"] for e in document["errors"]}
    assert messages["infra/broken.tf"].startswith("HCL syntax error")
    assert messages["infra/latin1.tf"].startswith("not valid UTF-8 text")
    assert messages["infra/state.tf"].startswith("binary file")
    assert messages["deploy/bad.yaml"].startswith("YAML syntax error")
    assert [(f["category"], f["store_id"], f["file"], f["line"]) for f in document["findings"]] == [
        ("foreign_storage", "terraform:aws_db_instance.customers", "infra/main.tf", 5),
    ]
    customers = document["stores"][0]
    assert customers["location"]["countries"] == ["IE"]


def test_config_mistakes_exit_2_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / ".residency-audit.yaml").write_text("data_subjects: [RU]\nfail_onn: high\n")
    run = run_cli("scan", str(tmp_path), "--format", "json")
    assert run.exit_code == 2
    assert run.stdout == ""
    assert ".residency-audit.yaml: fail_onn: unknown key" in run.stderr


def test_policy_mistakes_and_bad_arguments_exit_2(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("id: p\ntitle: t\nsubjects: [RU]\nallowed_countries: RU\nrules: []\n")
    run = run_cli("scan", "fixtures/demo-shop", "--format", "json", "--policy", str(policy))
    assert run.exit_code == 2
    assert "p.yaml" in run.stderr and "allowed_countries" in run.stderr
    assert run_cli("scan", str(tmp_path / "missing")).exit_code == 2
    assert run_cli("scan", "fixtures/demo-shop", "--fail-on", "severe").exit_code == 2


def test_no_russian_subjects_gives_inventory_and_hint(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n\n'
        'resource "aws_s3_bucket" "customers" {\n  bucket = "acme-customers"\n'
        '  tags = {\n    DataClassification = "PII"\n  }\n}\n'
    )
    run = run_cli("scan", str(tmp_path), "--format", "json")
    assert run.exit_code == 0
    document = run.json()
    assert document["findings"] == []
    assert [s["id"] for s in document["stores"]] == ["terraform:aws_s3_bucket.customers"]
    assert "data_subjects: [RU]" in document["hints"][0]
