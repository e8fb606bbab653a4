"""End-to-end helpers: run the real command line, the way a user or a CI job does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]

# The CLI caches parsed files under the user's cache directory; tests use their own.
os.environ.setdefault("RESIDENCY_AUDIT_CACHE_DIR", tempfile.mkdtemp(prefix="ra-test-cache-"))
FIXTURES = REPO / "fixtures"


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.stdout)
        validate_report(document)
        return document


def report_schema() -> dict[str, Any]:
    text = resources.files("residency_audit.schema").joinpath("report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(report_schema()).validate(document)


def run_cli(*args: str, cwd: Path = REPO) -> Run:
    completed = subprocess.run(
        [sys.executable, "-m", "residency_audit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def cli() -> Any:
    return run_cli
