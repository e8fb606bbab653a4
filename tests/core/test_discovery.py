from __future__ import annotations

import os
from pathlib import Path

from residency_audit.discovery import FileKind, discover, kind_of


def _write(root: Path, rel: str, text: str = "x") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_kinds_from_names() -> None:
    assert kind_of("main.tf") is FileKind.TERRAFORM
    assert kind_of("main.tf.json") is FileKind.TERRAFORM_JSON
    assert kind_of("prod.auto.tfvars") is FileKind.TFVARS
    assert kind_of("terraform.tfvars.json") is FileKind.TFVARS
    assert kind_of("deploy.YAML") is FileKind.YAML
    assert kind_of("app.py") is FileKind.PYTHON
    assert kind_of("README.md") is FileKind.OTHER


def test_gitignore_at_every_level_and_exclude(tmp_path: Path) -> None:
    _write(tmp_path, ".gitignore", "*.log\nbuild/\n")
    _write(tmp_path, "app.log")
    _write(tmp_path, "build/main.tf")
    _write(tmp_path, "infra/main.tf")
    _write(tmp_path, "infra/.gitignore", "generated.tf\n!keep.log\n")
    _write(tmp_path, "infra/generated.tf")
    _write(tmp_path, "infra/keep.log")
    _write(tmp_path, "vendor/lib/x.tf")
    _write(tmp_path, "testdata/a/y.tf")
    found = discover(tmp_path, exclude=["vendor/**", "**/testdata/**"])
    assert [f.path for f in found.files] == [
        ".gitignore",
        "infra/.gitignore",
        "infra/keep.log",
        "infra/main.tf",
    ]
    assert found.errors == ()


def test_skips_tool_directories_and_virtualenvs(tmp_path: Path) -> None:
    _write(tmp_path, ".git/config")
    _write(tmp_path, ".terraform/modules/x/main.tf")
    _write(tmp_path, "node_modules/pkg/index.py")
    _write(tmp_path, "env3/pyvenv.cfg")
    _write(tmp_path, "env3/lib/site.py")
    _write(tmp_path, "svc/app.py")
    assert [f.path for f in discover(tmp_path).files] == ["svc/app.py"]


def test_symlinks_never_leave_the_root_or_loop(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "repo"
    _write(outside, "secret.tf")
    _write(root, "infra/main.tf")
    os.symlink(outside, root / "escape_dir")
    os.symlink(outside / "secret.tf", root / "escape.tf")
    os.symlink(root / "infra", root / "infra" / "loop")
    os.symlink(root / "infra" / "main.tf", root / "alias.tf")
    os.symlink(root / "missing.tf", root / "dangling.tf")
    paths = [f.path for f in discover(root).files]
    assert paths == ["alias.tf", "infra/main.tf"]
