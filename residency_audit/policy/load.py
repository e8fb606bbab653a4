"""Finding policies: built-in ones by id, or any policy file by path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from residency_audit.config import ConfigError
from residency_audit.policy.model import Policy

BUILTIN_PACKAGE = "residency_audit.policies"
DEFAULT_POLICY = "ru-152fz"


def builtin_policy_ids() -> tuple[str, ...]:
    files = resources.files(BUILTIN_PACKAGE).iterdir()
    return tuple(sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml")))


def load_policy(id_or_path: str, base_dir: Path | None = None) -> Policy:
    """A built-in policy by id, else a file path (relative paths from ``base_dir``)."""
    if id_or_path in builtin_policy_ids():
        name = f"{id_or_path}.yaml"
        text = resources.files(BUILTIN_PACKAGE).joinpath(name).read_text(encoding="utf-8")
        return parse_policy(text, f"<built-in policy {name}>")
    path = Path(id_or_path)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        known = ", ".join(builtin_policy_ids())
        raise ConfigError(id_or_path, None, f"no such policy file or built-in id ({known})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, f"cannot read policy: {exc}") from exc
    return parse_policy(text, str(path))


def parse_policy(text: str, name: str) -> Policy:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(name, None, f"invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(name, None, "a policy must be a mapping")
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(name, key, first["msg"]) from exc
    rule_ids = [rule.id for rule in policy.rules]
    duplicates = sorted({r for r in rule_ids if rule_ids.count(r) > 1})
    if duplicates:
        raise ConfigError(name, "rules", f"duplicate rule ids: {', '.join(duplicates)}")
    return policy
