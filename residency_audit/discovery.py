"""Walk the scanned tree once and say what each file is.

Ignore rules are pathspec's gitignore implementation (one spec per directory that has a
``.gitignore``, applied to paths relative to that directory, as git does), plus the
config's ``exclude`` patterns relative to the root. Symlinks are never followed: a linked
directory is skipped, a linked file is read only when it resolves inside the root, so a
link can neither leave the tree nor make a loop.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pathspec

from residency_audit.model import ScanError

# Directories that are never part of what a team deploys, and can be enormous.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".terraform",
        ".terragrunt-cache",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".eggs",
        "site-packages",
    }
)

YAML_SUFFIXES = (".yaml", ".yml")


class FileKind(StrEnum):
    PYTHON = "python"
    TERRAFORM = "terraform"
    TERRAFORM_JSON = "terraform-json"
    TFVARS = "tfvars"
    YAML = "yaml"  # may hold Kubernetes manifests; decided when its documents are read
    JSON = "json"  # may be a Terraform plan (terraform show -json); decided by its content
    DOTENV = "dotenv"  # .env files: environment values the Python linking resolves through
    OTHER = "other"


@dataclass(frozen=True)
class DiscoveredFile:
    path: str  # relative to the root, with "/"
    kind: FileKind


@dataclass(frozen=True)
class Discovery:
    files: tuple[DiscoveredFile, ...]
    errors: tuple[ScanError, ...]


def kind_of(name: str) -> FileKind:
    """The kind of a file from its name alone; content checks come later and cost more."""
    lower = name.lower()
    if lower.endswith(".py"):
        return FileKind.PYTHON
    if lower.endswith(".tf.json"):
        return FileKind.TERRAFORM_JSON
    if lower.endswith(".tf"):
        return FileKind.TERRAFORM
    if lower.endswith((".tfvars", ".tfvars.json")):
        return FileKind.TFVARS
    if lower.endswith(YAML_SUFFIXES) or name == "Kustomization":
        return FileKind.YAML
    if lower.endswith(".json"):
        return FileKind.JSON
    if is_dotenv_path(name):
        return FileKind.DOTENV
    return FileKind.OTHER


def _is_virtualenv(directory: Path) -> bool:
    """A virtualenv under any name: it is third-party code, never the team's own."""
    return (directory / "pyvenv.cfg").is_file()


def _load_gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    gitignore = directory / ".gitignore"
    if not gitignore.is_file():
        return None
    try:
        lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


@dataclass(frozen=True)
class _IgnoreLayer:
    """The rules of one ``.gitignore``, which git applies relative to its own directory."""

    base: str  # directory of the .gitignore, relative to the root ("" for the root)
    spec: pathspec.GitIgnoreSpec

    def verdict(self, rel_path: str, is_dir: bool) -> bool | None:
        local = rel_path[len(self.base) + 1 :] if self.base else rel_path
        return self.spec.check_file(local + "/" if is_dir else local).include


class _Walker:
    def __init__(self, root: Path, exclude: Sequence[str]) -> None:
        self.root = root
        self.excluded = pathspec.GitIgnoreSpec.from_lines(exclude) if exclude else None
        self.files: list[DiscoveredFile] = []
        self.errors: list[ScanError] = []

    def ignored(self, rel: str, is_dir: bool, layers: tuple[_IgnoreLayer, ...]) -> bool:
        path = rel + "/" if is_dir else rel
        if self.excluded is not None and self.excluded.check_file(path).include:
            return True
        # As in git, the deepest .gitignore with an opinion on the path decides (so a
        # nested ``!keep.log`` re-includes what a parent ignored).
        for layer in reversed(layers):
            verdict = layer.verdict(rel, is_dir)
            if verdict is not None:
                return verdict
        return False

    def walk(self, directory: Path, rel_dir: str, layers: tuple[_IgnoreLayer, ...]) -> None:
        spec = _load_gitignore(directory)
        if spec is not None:
            layers = (*layers, _IgnoreLayer(rel_dir, spec))
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            self.errors.append(ScanError(rel_dir or ".", None, f"cannot list directory: {exc}"))
            return
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_symlink():
                # Never followed into directories (no way out of the root, no loops); a
                # link to a file inside the root is read like the file itself.
                if _links_to_file_inside(Path(entry.path), self.root) and not self.ignored(
                    rel, False, layers
                ):
                    self.files.append(DiscoveredFile(rel, kind_of(entry.name)))
            elif entry.is_dir(follow_symlinks=False):
                if entry.name in SKIPPED_DIRS or _is_virtualenv(Path(entry.path)):
                    continue
                if not self.ignored(rel, True, layers):
                    self.walk(Path(entry.path), rel, layers)
            elif entry.is_file(follow_symlinks=False) and not self.ignored(rel, False, layers):
                self.files.append(DiscoveredFile(rel, kind_of(entry.name)))


def discover(root: Path, exclude: Sequence[str] = ()) -> Discovery:
    """Every file under ``root`` that is not ignored, in a deterministic (sorted) order."""
    walker = _Walker(root.resolve(), exclude)
    walker.walk(walker.root, "", ())
    return Discovery(tuple(walker.files), tuple(walker.errors))


def _links_to_file_inside(link: Path, root: Path) -> bool:
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling link or a loop
        return False
    return target.is_file() and target.is_relative_to(root)


def is_dotenv_path(path: str) -> bool:
    """``.env``, ``.env.production``, ``deploy/prod.env``; not ``.envrc`` (a shell script)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return (
        name == ".env"
        or name.startswith(".env.")
        or (name.endswith(".env") and len(name) > len(".env"))
    )
