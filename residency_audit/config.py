"""The user's configuration: ``.residency-audit.yaml`` or ``[tool.residency-audit]``.

A scanner that silently ignores a misspelt key gives a false sense of compliance, so every
model forbids unknown keys and every mistake becomes a :class:`ConfigError` naming the file
and the key path (the CLI turns it into exit status 2).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONFIG_FILE_NAME = ".residency-audit.yaml"
PYPROJECT_TABLE = "residency-audit"

FailOn = Literal["critical", "high", "medium", "low", "none"]


class ConfigError(Exception):
    """A configuration or policy file the scan cannot use; always names file and key."""

    def __init__(self, file: str, key: str | None, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {message}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _upper_codes(values: list[str]) -> list[str]:
    return [v.strip().upper() for v in values]


class StoreDeclaration(_Strict):
    match: str = Field(min_length=1)
    personal_data: bool | None = None
    categories: list[str] = []
    subjects: list[str] = []

    _subjects = field_validator("subjects")(_upper_codes)


class EndpointDeclaration(_Strict):
    provider: str | None = None
    region: str | None = None
    countries: list[str] = []

    _countries = field_validator("countries")(_upper_codes)


class ClusterDeclaration(_Strict):
    paths: list[str] = Field(min_length=1)
    provider: str | None = None
    region: str | None = None


class KubernetesSection(_Strict):
    clusters: list[ClusterDeclaration] = []


class Suppression(_Strict):
    rule: str | None = None
    store: str | None = None
    reason: str = ""
    until: dt.date | None = None


class ConfigModel(_Strict):
    data_subjects: list[str] = []
    policies: list[str] = []
    fail_on: FailOn | None = None
    exclude: list[str] = []
    variables: dict[str, Any] = {}
    stores: list[StoreDeclaration] = []
    endpoints: dict[str, EndpointDeclaration] = {}
    kubernetes: KubernetesSection = KubernetesSection()
    suppress: list[Suppression] = []

    _subjects = field_validator("data_subjects")(_upper_codes)


@dataclass(frozen=True)
class Config:
    """The validated configuration plus where it came from, for evidence and messages.

    ``lines`` maps a key path such as ``data_subjects`` or ``stores[1]`` to its line in the
    file, so findings can cite the very line that declared something.
    """

    model: ConfigModel
    file: str | None  # relative to the scanned root when inside it
    base_dir: Path
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The config for a scan of ``root``: ``--config``, else the YAML file, else pyproject."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(str(explicit), None, "config file not found")
        return _load_file(explicit, root)
    candidate = root / CONFIG_FILE_NAME
    if candidate.is_file():
        return _load_file(candidate, root)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        return _load_pyproject(pyproject, root)
    return Config(ConfigModel(), None, root)


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _load_file(path: Path, root: Path) -> Config:
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        return _load_pyproject(path, root)
    name = _display(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, None, f"cannot read: {exc}") from exc
    try:
        raw = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(name, None, f"invalid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(name, None, "the config must be a mapping of keys")
    return Config(_validate(raw, name), name, path.parent, _key_lines(node))


def _load_pyproject(path: Path, root: Path) -> Config:
    name = _display(path, root)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(name, None, f"cannot read TOML: {exc}") from exc
    table = data.get("tool", {}).get(PYPROJECT_TABLE)
    if table is None:
        return Config(ConfigModel(), None, root)
    if not isinstance(table, dict):
        raise ConfigError(name, f"tool.{PYPROJECT_TABLE}", "must be a table")
    header = _toml_table_line(path, f"[tool.{PYPROJECT_TABLE}]")
    lines = dict.fromkeys(table, header) if header else {}
    return Config(
        _validate(table, name, prefix=f"tool.{PYPROJECT_TABLE}."), name, path.parent, lines
    )


def _toml_table_line(path: Path, header: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() == header:
            return number
    return None


def _validate(raw: dict[str, Any], file: str, prefix: str = "") -> ConfigModel:
    try:
        return ConfigModel.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = prefix + _key_path(first["loc"])
        raise ConfigError(file, key, _explain(first)) from exc


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _explain(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (check the spelling against the documented config keys)"
    return f"{error['msg']} (got {error.get('input')!r})"


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    """1-based lines of top-level keys and of the items of top-level lists."""
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key_node, value_node in node.value:
        key = str(key_node.value)
        lines[key] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.SequenceNode):
            for index, item in enumerate(value_node.value):
                lines[f"{key}[{index}]"] = item.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            for sub_key, sub_value in value_node.value:
                sub = f"{key}.{sub_key.value}"
                lines[sub] = sub_key.start_mark.line + 1
                if isinstance(sub_value, yaml.SequenceNode):
                    for index, item in enumerate(sub_value.value):
                        lines[f"{sub}[{index}]"] = item.start_mark.line + 1
    return lines
