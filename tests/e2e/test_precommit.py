"""The pre-commit hook under the real pre-commit (from PyPI), in a real git repository.

The repository's ``.pre-commit-hooks.yaml`` is what other repositories use by URL; pre-commit
would clone this project at a tag and install it. A test cannot rely on a tag (and the
working tree may hold uncommitted changes), so it runs the manifest's own hook definition
as a ``repo: local`` hook with ``language: system`` against the installed package: the
entry, the file filter and the file-passing are the manifest's, only the installation
step is pre-commit's. The manifest itself is checked with ``pre-commit validate-manifest``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import FIXTURES, REPO

MANIFEST = REPO / ".pre-commit-hooks.yaml"
EXPORTS_FINDING = (
    "infra/exports.tf:2: HIGH RU-152FZ-LOCALIZATION terraform:aws_s3_bucket.member_exports"
)


def _bin_dir() -> Path:
    return Path(sys.executable).parent


def _pre_commit() -> Path:
    """The pre-commit of this environment (a dev extra); installed from PyPI if missing."""
    found = shutil.which("pre-commit", path=str(_bin_dir()))
    if found is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "pre-commit>=3.5,<5"],
            check=False,
            timeout=600,
        )
        found = shutil.which("pre-commit", path=str(_bin_dir()))
    if found is None:
        pytest.fail("pre-commit is not installed and `pip install pre-commit` failed")
    return Path(found)


@dataclass
class Repo:
    root: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("git", *args)

    def commit(self, message: str, *paths: str) -> subprocess.CompletedProcess[str]:
        """``git commit``, with git's and the hook's output together in ``stdout`` (git
        sends hook output to stderr)."""
        added = self.git("add", *paths)
        assert added.returncode == 0, added.stderr
        return subprocess.run(
            ("git", "commit", "-m", message),
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )

    def copy(self, name: str) -> None:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / "workflow-shop" / name, target)

    def head_files(self) -> list[str]:
        return sorted(self.git("ls-tree", "-r", "--name-only", "HEAD").stdout.split())


def _hook_from_manifest() -> dict[str, Any]:
    [hook] = yaml.safe_load(MANIFEST.read_text())
    entry = hook["entry"]
    if shutil.which("residency-audit", path=str(_bin_dir())) is None:
        entry = f"{sys.executable} -m residency_audit hook"  # package importable, not installed
    return {
        "id": hook["id"],
        "name": hook["name"],
        "entry": entry,
        "language": "system",
        "files": hook["files"],
        "pass_filenames": hook["pass_filenames"],
        "require_serial": hook["require_serial"],
    }


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "loyalty"
    root.mkdir()
    empty_global = tmp_path / "gitconfig"
    empty_global.write_text("")
    env = {
        **os.environ,
        # The test's git must not see the developer's hooksPath, signing or templates.
        "GIT_CONFIG_GLOBAL": str(empty_global),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Loyalty Dev",
        "GIT_AUTHOR_EMAIL": "dev@loyalty.example",
        "GIT_COMMITTER_NAME": "Loyalty Dev",
        "GIT_COMMITTER_EMAIL": "dev@loyalty.example",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "RESIDENCY_AUDIT_CACHE_DIR": str(tmp_path / "cache"),
        "PATH": f"{_bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = Repo(root, env)
    assert result.git("init", "--quiet", "--initial-branch=main").returncode == 0
    config = {"repos": [{"repo": "local", "hooks": [_hook_from_manifest()]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    installed = result.run(str(_pre_commit()), "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return result


def test_manifest_is_valid_for_pre_commit() -> None:
    run = subprocess.run(
        [str(_pre_commit()), "validate-manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [hook] = yaml.safe_load(MANIFEST.read_text())
    assert (hook["id"], hook["entry"], hook["language"]) == (
        "residency-audit",
        "residency-audit hook",
        "python",
    )
    assert hook["pass_filenames"] is True


def test_commit_is_blocked_by_a_violation_and_passes_once_accepted(repo: Repo) -> None:
    for name in (
        ".residency-audit.yaml",
        "infra/versions.tf",
        "infra/providers.tf",
        "infra/variables.tf",
        "infra/members.tf",
    ):
        repo.copy(name)
    first = repo.commit("Loyalty members database in Yandex Cloud", ".")
    assert first.returncode == 0, first.stdout
    assert "residency-audit" in first.stdout and "Passed" in first.stdout

    # A violating bucket: the commit is blocked and the finding is in pre-commit's output.
    repo.copy("infra/exports.tf")
    blocked = repo.commit("Export members to the agency", "infra/exports.tf")
    assert blocked.returncode == 1
    assert "Failed" in blocked.stdout
    assert "- exit code: 1" in blocked.stdout
    assert EXPORTS_FINDING in blocked.stdout
    assert 'infra/variables.tf:4  variable "aws_region" default = "eu-west-1"' in blocked.stdout
    assert "infra/exports.tf" not in repo.head_files()

    # Someone bypasses the hook; the violation is now in the history.
    bypass = repo.git("commit", "--no-verify", "-m", "Export members (hotfix)")
    assert bypass.returncode == 0, bypass.stderr

    # A commit that touches nothing of that finding is not blocked by it.
    members = repo.root / "infra" / "members.tf"
    members.write_text(
        members.read_text().replace("disk_size          = 50", "disk_size          = 80")
    )
    unrelated = repo.commit("More disk for members", "infra/members.tf")
    assert unrelated.returncode == 0, unrelated.stdout
    assert "Passed" in unrelated.stdout

    # Changing a file in the finding's evidence chain (the region variable) is blocked.
    variables = repo.root / "infra" / "variables.tf"
    variables.write_text(
        variables.read_text().replace("Region of the marketing account.", "Marketing region.")
    )
    evidence = repo.commit("Reword variable description", "infra/variables.tf")
    assert evidence.returncode == 1
    assert EXPORTS_FINDING in evidence.stdout

    # A suppression without a reason does not unblock it, and says why.
    exports = repo.root / "infra" / "exports.tf"
    original = exports.read_text()
    marker = "# residency-audit: ignore[RU-152FZ-LOCALIZATION]"
    exports.write_text(original.replace("# Monthly", f"{marker}\n# Monthly"))
    reasonless = repo.commit("Accept the export", "infra/exports.tf", "infra/variables.tf")
    assert reasonless.returncode == 1
    assert "infra/exports.tf:1: inline suppression of RU-152FZ-LOCALIZATION gives no reason" in (
        reasonless.stdout
    )

    # With a reason the commit goes through, and the acceptance is in the history.
    exports.write_text(
        original.replace(
            "# Monthly",
            f"{marker} agency contract ends 2026-12, ticket LOY-88\n# Monthly",
        )
    )
    accepted = repo.commit("Accept the export until the contract ends", "infra/exports.tf")
    assert accepted.returncode == 0, accepted.stdout
    assert "Passed" in accepted.stdout
    log = repo.git("log", "--format=%s").stdout.splitlines()
    assert log[0] == "Accept the export until the contract ends"
    scan = repo.run(sys.executable, "-m", "residency_audit", "scan", ".", "--format", "json")
    assert scan.returncode == 0, scan.stderr


@pytest.mark.skipif(
    os.environ.get("RESIDENCY_AUDIT_NETWORK_TESTS") != "1",
    reason="installs the hook the way users get it (pip from PyPI); set "
    "RESIDENCY_AUDIT_NETWORK_TESTS=1 to run",
)
def test_hook_installed_by_pre_commit_from_the_manifest(repo: Repo, tmp_path: Path) -> None:
    """``language: python`` as users get it: pre-commit builds a virtualenv, pip-installs
    this project from a git repository, and runs the manifest's entry."""
    snapshot = tmp_path / "residency-audit"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in filter(None, listed.stdout.split("\0")):
        source = REPO / name
        if source.is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, snapshot / name)
    project = Repo(snapshot, repo.env)
    assert project.git("init", "--quiet").returncode == 0
    assert project.commit("snapshot", ".").returncode == 0

    for name in (".residency-audit.yaml", "infra/providers.tf", "infra/variables.tf"):
        repo.copy(name)
    repo.copy("infra/exports.tf")
    assert repo.git("add", ".").returncode == 0
    run = repo.run(
        str(_pre_commit()),
        "try-repo",
        str(snapshot),
        "residency-audit",
        "--files",
        "infra/exports.tf",
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert EXPORTS_FINDING in run.stdout
