"""explain, policies, init, hook and --help, through the real command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer.main

from residency_audit.cli import app
from residency_audit.config import load_config
from residency_audit.policy.evaluate import fingerprint
from tests.e2e.conftest import FIXTURES, run_cli

SHOP = "fixtures/workflow-shop"
EXPORTS = "terraform:aws_s3_bucket.member_exports"
EXPORTS_PRINT = fingerprint("RU-152FZ-LOCALIZATION", EXPORTS)


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.main.TyperGroup)
    return sorted(group.commands)


def test_workflow_commands_are_registered() -> None:
    workflow = {"baseline", "explain", "hook", "init", "policies", "scan", "version"}
    assert workflow <= set(_commands())


@pytest.mark.parametrize("command", _commands())
def test_every_command_help_has_examples(command: str) -> None:
    run = run_cli(command, "--help")
    assert run.exit_code == 0, run.stderr
    assert "Examples:" in run.stdout
    assert f"residency-audit {command}" in run.stdout


# explain -----------------------------------------------------------------------------------


def test_explain_store_prints_the_whole_chain_as_a_tree() -> None:
    run = run_cli("explain", EXPORTS, SHOP)
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[:11] == [
        f"{EXPORTS}  object_storage, terraform, name loyalty-member-exports",
        "├── declared at infra/exports.tf:2",
        "├── location: aws eu-west-1 [IE] (resolved)",
        '│   ├── infra/variables.tf:4  variable "aws_region" default = "eu-west-1"',
        '│   └── infra/providers.tf:2  provider "aws" region = var.aws_region (eu-west-1)',
        "├── personal data: yes",
        '│   ├── infra/exports.tf:2  tag DataClassification = "PII"',
        "│   └── .residency-audit.yaml:2  config declares the project's data subjects: RU",
        "├── data subjects: RU",
        "├── connections: none",
        "└── findings (1)",
    ]
    assert lines[11] == (
        f"    └── HIGH RU-152FZ-LOCALIZATION (foreign_storage)  fingerprint {EXPORTS_PRINT}"
    )
    assert "        ├── rule: Personal data of Russian users stored outside Russia" in lines
    assert "        └── references: 152-FZ art. 18(5); KoAP art. 13.11 parts 8-9" in lines


@pytest.mark.parametrize(
    "query",
    [
        EXPORTS_PRINT,
        EXPORTS_PRINT[:8],
        f"RU-152FZ-LOCALIZATION:{EXPORTS}",
        "aws_s3_bucket.member_exports",
    ],
)
def test_explain_accepts_fingerprints_rule_store_pairs_and_short_ids(query: str) -> None:
    run = run_cli("explain", query, SHOP)
    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith(f"{EXPORTS}  object_storage")
    asked = "◀ asked for" in run.stdout
    assert asked == (query != "aws_s3_bucket.member_exports")


def test_explain_shows_copies_and_compliant_stores() -> None:
    run = run_cli("explain", "terraform:aws_db_instance.invoices_reporting", "fixtures/tf-copies")
    assert run.exit_code == 0, run.stderr
    assert "├── personal data: yes; a copy of terraform:aws_db_instance.invoices" in run.stdout
    assert "│   └── ← replica from terraform:aws_db_instance.invoices  " in run.stdout
    members = run_cli("explain", "yandex_mdb_postgresql_cluster.members", SHOP)
    assert members.exit_code == 0
    assert members.stdout.splitlines()[-1] == "└── findings: none"


def test_explain_shows_why_a_finding_is_suppressed(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(FIXTURES / "workflow-shop", shop)
    assert run_cli("baseline", str(shop)).exit_code == 0
    run = run_cli(
        "explain", EXPORTS, str(shop), "--baseline", str(shop / ".residency-audit-baseline.json")
    )
    assert run.exit_code == 0
    assert "        ├── suppressed: in baseline .residency-audit-baseline.json" in run.stdout


def test_explain_unknown_target_suggests_close_ids() -> None:
    run = run_cli("explain", "member_exports", SHOP)
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == (
        f"error: no store or finding matches 'member_exports' in {SHOP}\n"
        f"did you mean:\n  {EXPORTS}\n"
    )
    typo = run_cli("explain", "terraform:aws_s3_bucket.member_export", SHOP)
    assert typo.exit_code == 2
    assert f"did you mean:\n  {EXPORTS}\n" in typo.stderr


# policies ----------------------------------------------------------------------------------


def test_policies_json_lists_every_rule() -> None:
    run = run_cli("policies", "--format", "json")
    assert run.exit_code == 0, run.stderr
    document = json.loads(run.stdout)
    assert [p["id"] for p in document] == ["ru-152fz"]
    assert [
        (r["id"], r["category"], r["severity"], r["severity_if_likely"])
        for r in document[0]["rules"]
    ] == [
        ("RU-152FZ-LOCALIZATION", "foreign_storage", "high", "medium"),
        ("RU-152FZ-CROSS-BORDER", "cross_border_transfer", "medium", None),
        ("RU-152FZ-UNKNOWN-LOCATION", "unknown_location", "medium", None),
    ]
    assert document[0]["subjects"] == ["RU"]


def test_policies_table_and_a_policy_file(tmp_path: Path) -> None:
    table = run_cli("policies")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].startswith("ru-152fz  Russia 152-FZ art. 18(5)")
    assert "RU-152FZ-LOCALIZATION      foreign_storage        high (medium if likely)" in (
        table.stdout
    )
    missing = run_cli("policies", "--policy", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2
    assert missing.stderr.startswith(f"error: {tmp_path / 'nope.yaml'}: no such policy file")


# init --------------------------------------------------------------------------------------


def test_init_writes_a_config_that_loads_and_scans(tmp_path: Path) -> None:
    run = run_cli(
        "init",
        str(tmp_path),
        "--subjects",
        "ru,kz",
        "--fail-on",
        "medium",
        "--cluster",
        "deploy/eu/**=aws:eu-central-1",
        "--exclude",
        "vendor/**",
    )
    assert run.exit_code == 0, run.stderr
    assert run.stderr == (
        f"wrote {tmp_path / '.residency-audit.yaml'}; next: residency-audit scan {tmp_path}\n"
    )
    config = load_config(tmp_path)
    assert config.model.data_subjects == ["RU", "KZ"]
    assert config.model.fail_on == "medium"
    assert config.model.exclude == ["vendor/**"]
    [cluster] = config.model.kubernetes.clusters
    assert (cluster.paths, cluster.provider, cluster.region) == (
        ["deploy/eu/**"],
        "aws",
        "eu-central-1",
    )
    assert config.model.suppress == []

    manifest = tmp_path / "deploy" / "eu" / "cache.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: carts\n"
        '  annotations:\n    privacy.example.ru/personal-data: "true"\n'
        "spec:\n  template:\n    spec:\n      containers:\n        - name: redis\n"
        "          image: redis:7.2\n"
    )
    scan = run_cli("scan", str(tmp_path), "--format", "json")
    assert scan.exit_code == 1, scan.stderr
    [finding] = scan.json()["findings"]
    assert (finding["store_id"], finding["rule_id"]) == (
        "k8s:StatefulSet/default/carts",
        "RU-152FZ-LOCALIZATION",
    )
    assert "eu-central-1 (DE)" in finding["message"]


def test_init_defaults_and_refusal_to_overwrite(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path)).exit_code == 0
    config = load_config(tmp_path)
    assert (config.model.data_subjects, config.model.fail_on) == (["RU"], "high")
    assert config.model.kubernetes.clusters == []
    before = (tmp_path / ".residency-audit.yaml").read_text()

    again = run_cli("init", str(tmp_path), "--subjects", "none")
    assert again.exit_code == 2
    assert again.stderr == (
        f"error: {tmp_path / '.residency-audit.yaml'} already exists; use --force to overwrite it\n"
    )
    assert (tmp_path / ".residency-audit.yaml").read_text() == before

    forced = run_cli("init", str(tmp_path), "--subjects", "none", "--force")
    assert forced.exit_code == 0
    assert load_config(tmp_path).model.data_subjects == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--cluster", "deploy/**"),
            "error: --cluster 'deploy/**': expected PATH_GLOB=PROVIDER:REGION, "
            "e.g. deploy/k8s/**=yandex:ru-central1\n",
        ),
        (
            ("--subjects", "Russia"),
            "error: --subjects: RUSSIA is not a two-letter code (ISO 3166-1, or EU)\n",
        ),
    ],
)
def test_init_rejects_bad_flags(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    run = run_cli("init", str(tmp_path), *args)
    assert (run.exit_code, run.stderr) == (2, message)
    assert not (tmp_path / ".residency-audit.yaml").exists()


def test_init_warns_about_a_region_the_table_does_not_know(tmp_path: Path) -> None:
    run = run_cli("init", str(tmp_path), "--cluster", "k8s/**=yandex:ru-central9")
    assert run.exit_code == 0
    assert run.stderr.startswith(
        "warning: yandex:ru-central9 is not in the region table; stores in that cluster will "
        "have an unknown location\n"
    )


# hook (without pre-commit; test_precommit.py runs it under the real pre-commit) -------------


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "workflow-shop", root)
    (root / ".git").mkdir()  # what repository_root looks for; no git needed here
    return root


def test_hook_reports_findings_whose_evidence_a_staged_file_is_part_of(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    run = run_cli("hook", "infra/variables.tf", cwd=root)
    assert run.exit_code == 1, run.stderr
    assert run.stdout.splitlines()[:4] == [
        "residency-audit: 1 finding(s) in the staged files (fail-on high):",
        "",
        f"infra/exports.tf:2: HIGH RU-152FZ-LOCALIZATION {EXPORTS}",
        "  Personal data of Russian users is stored in eu-west-1 (IE), outside Russia",
    ]


def test_hook_is_silent_and_passes_for_unrelated_files(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    run = run_cli("hook", "infra/members.tf", "infra/versions.tf", cwd=root)
    assert (run.exit_code, run.stderr) == (0, "")
    assert run.stdout == (
        "1 other finding(s) in the repository do not concern the staged files; "
        "`residency-audit scan` shows them.\n"
    )


def test_hook_from_a_subdirectory_scans_the_repository_root(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    run = run_cli("hook", "exports.tf", cwd=root / "infra")
    assert run.exit_code == 1
    assert f"infra/exports.tf:2: HIGH RU-152FZ-LOCALIZATION {EXPORTS}" in run.stdout


def test_hook_with_staged_config_or_no_files_reports_everything(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    for args in ((".residency-audit.yaml",), ()):
        run = run_cli("hook", *args, cwd=root)
        assert run.exit_code == 1
        assert f"infra/exports.tf:2: HIGH RU-152FZ-LOCALIZATION {EXPORTS}" in run.stdout


def test_hook_fail_on_and_baseline(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    lenient = run_cli("hook", "infra/exports.tf", "--fail-on", "critical", cwd=root)
    assert lenient.exit_code == 0
    assert "infra/exports.tf:2: HIGH" in lenient.stdout  # shown, but does not block
    assert run_cli("baseline", ".", cwd=root).exit_code == 0
    accepted = run_cli(
        "hook", "infra/exports.tf", "--baseline", ".residency-audit-baseline.json", cwd=root
    )
    assert (accepted.exit_code, accepted.stdout) == (0, "")
