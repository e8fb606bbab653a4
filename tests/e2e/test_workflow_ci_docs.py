"""The CI recipes in docs/ci/ work: their YAML parses, their commands run against a real
repository with the exit codes they promise, and their reports are what the CI reads.

What cannot run here is the CI service itself (GitHub's upload, GitLab's artifact
handling) and the install step, which names a placeholder repository.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.e2e.conftest import FIXTURES, REPO, validate_report

DOCS = REPO / "docs" / "ci"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def code_blocks(name: str, language: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return [body for lang, body in FENCE.findall(text) if lang == language]


def _option(command: str, *names: str) -> str:
    words = shlex.split(command)
    for index, word in enumerate(words):
        if word in names:
            return words[index + 1]
    raise AssertionError(f"{names} not in {command!r}")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """PATH with a ``residency-audit`` that is this checkout's, as an installed one would be."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "residency-audit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m residency_audit "$@"\n')
    shim.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO),
        "RESIDENCY_AUDIT_CACHE_DIR": str(tmp_path / "cache"),
    }


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "workflow-shop", root)
    return root


def sh(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# GitHub Actions ----------------------------------------------------------------------------


def _github_workflow() -> dict[Any, Any]:
    document = yaml.safe_load(code_blocks("github-actions.md", "yaml")[0])
    assert isinstance(document, dict)
    return document


def test_github_workflow_shape() -> None:
    workflow = _github_workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request"}
    job = workflow["jobs"]["residency-audit"]
    assert job["permissions"]["security-events"] == "write"
    steps = {step.get("name", step.get("uses")): step for step in job["steps"]}
    scan = steps["Scan"]["run"]
    upload = steps["Upload to code scanning"]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"
    sarif = _option(scan, "-o", "--output")
    assert upload["with"]["sarif_file"] == sarif
    assert upload["if"] == f"always() && hashFiles('{sarif}') != ''"
    assert "--format sarif" in scan
    assert steps["Install residency-audit"]["run"].startswith("python -m pip install ")


def test_github_scan_step_gates_and_writes_valid_sarif(
    shop: Path, env: dict[str, str], tmp_path: Path
) -> None:
    job = _github_workflow()["jobs"]["residency-audit"]
    scan = next(step["run"] for step in job["steps"] if step.get("name") == "Scan")
    run = sh(scan, shop, env)
    assert run.returncode == 1, run.stderr
    assert (run.stdout, run.stderr) == ("", "")
    log = json.loads((shop / "residency-audit.sarif").read_text())
    schema = json.loads((REPO / "tests" / "data" / "sarif-2.1.0.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(log)
    [result] = log["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert (result["ruleId"], location["artifactLocation"]["uri"]) == (
        "RU-152FZ-LOCALIZATION",
        "infra/exports.tf",
    )

    (shop / "infra" / "exports.tf").unlink()
    (shop / "residency-audit.sarif").unlink()
    clean = sh(scan, shop, env)
    assert clean.returncode == 0, clean.stderr
    assert json.loads((shop / "residency-audit.sarif").read_text())["runs"][0]["results"] == []

    (shop / ".residency-audit.yaml").write_text("data_subject: [RU]\n")  # a typo: exit 2
    (shop / "residency-audit.sarif").unlink()
    broken = sh(scan, shop, env)
    assert broken.returncode == 2
    assert not (shop / "residency-audit.sarif").exists()  # so the upload step is skipped


def test_github_summary_step_appends_markdown_and_never_fails(
    shop: Path, env: dict[str, str], tmp_path: Path
) -> None:
    [step] = yaml.safe_load(code_blocks("github-actions.md", "yaml")[1])
    assert step["if"] == "always()"
    summary = tmp_path / "step-summary.md"
    summary.write_text("previous step's summary\n")
    run = sh(step["run"], shop, {**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.returncode == 0, run.stderr
    text = summary.read_text()
    assert text.startswith("previous step's summary\n")
    assert "terraform:aws_s3_bucket.member_exports" in text


def test_github_baseline_variant_passes_on_known_findings(shop: Path, env: dict[str, str]) -> None:
    [step] = yaml.safe_load(code_blocks("github-actions.md", "yaml")[2])
    assert sh("residency-audit baseline .", shop, env).returncode == 0
    run = sh(step["run"], shop, env)
    assert run.returncode == 0, run.stderr
    log = json.loads((shop / _option(step["run"], "-o")).read_text())
    [accepted] = log["runs"][0]["results"]
    assert accepted["suppressions"][0]["justification"] == (
        "in baseline .residency-audit-baseline.json"
    )


# GitLab CI ---------------------------------------------------------------------------------


def _gitlab_job() -> dict[str, Any]:
    [block] = code_blocks("gitlab-ci.md", "yaml")
    job: dict[str, Any] = yaml.safe_load(block)["residency-audit"]
    return job


def test_gitlab_job_shape() -> None:
    job = _gitlab_job()
    html_scan, junit_scan = job["script"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == _option(junit_scan, "-o")
    assert job["artifacts"]["paths"] == [_option(html_scan, "-o")]
    assert job["before_script"] == ['python -m pip install "$RESIDENCY_AUDIT_PACKAGE"']
    assert "RESIDENCY_AUDIT_PACKAGE" in job["variables"]


def test_gitlab_script_gates_and_writes_the_reports(shop: Path, env: dict[str, str]) -> None:
    statuses = []
    for line in _gitlab_job()["script"]:
        run = sh(line, shop, env)
        statuses.append(run.returncode)
        if run.returncode != 0:  # GitLab stops the job at the first failing line
            break
    assert statuses == [0, 1]
    html = (shop / "residency-audit.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    suite = ET.parse(shop / "residency-audit.xml").getroot()
    failed = [
        case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None
    ]
    assert failed == ["terraform:aws_s3_bucket.member_exports"]


# shell gate --------------------------------------------------------------------------------


@pytest.fixture
def gate(tmp_path: Path) -> Path:
    [script] = code_blocks("shell-gate.md", "sh")
    path = tmp_path / "residency-gate.sh"
    path.write_text(script)
    return path


def _run_gate(
    gate: Path, root: Path, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(gate), str(root)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_shell_gate_fails_on_a_violation_and_keeps_the_report(
    gate: Path, shop: Path, env: dict[str, str], tmp_path: Path
) -> None:
    run = _run_gate(gate, shop, env, tmp_path)
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr == (
        "residency gate: FAILED: personal data is stored where the policy forbids; "
        "see residency-audit.json\n"
        f"  residency-audit scan {shop} --format table    shows the evidence\n"
    )
    report = json.loads((tmp_path / "residency-audit.json").read_text())
    validate_report(report)
    assert report["summary"]["findings"] == 1


def test_shell_gate_passes_clean_and_baselined_repositories(
    gate: Path, shop: Path, env: dict[str, str], tmp_path: Path
) -> None:
    assert sh(f"residency-audit baseline {shop}", tmp_path, env).returncode == 0
    baselined = _run_gate(gate, shop, env, tmp_path)
    assert (baselined.returncode, baselined.stderr) == (0, "")
    assert baselined.stdout == "residency gate: passed (report: residency-audit.json)\n"
    report = json.loads((tmp_path / "residency-audit.json").read_text())
    assert (report["summary"]["findings"], len(report["suppressed"])) == (0, 1)

    (shop / ".residency-audit-baseline.json").unlink()
    (shop / "infra" / "exports.tf").unlink()
    (tmp_path / "out").mkdir()
    clean = _run_gate(gate, shop, {**env, "RESIDENCY_REPORT": "out/r.json"}, tmp_path)
    assert clean.returncode == 0
    assert clean.stdout == "residency gate: passed (report: out/r.json)\n"
    assert json.loads((tmp_path / "out" / "r.json").read_text())["findings"] == []


def test_shell_gate_reports_a_scan_that_cannot_run(
    gate: Path, shop: Path, env: dict[str, str], tmp_path: Path
) -> None:
    (shop / ".residency-audit.yaml").write_text("data_subjects: [RU]\nfail_on: severe\n")
    run = _run_gate(gate, shop, env, tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("error: .residency-audit.yaml: fail_on: ")
    assert run.stderr.endswith(
        "residency gate: ERROR: the scan could not run (exit 2); see the message above\n"
    )
