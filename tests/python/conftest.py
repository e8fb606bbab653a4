"""Shared helpers: a fixture repository read the way the scan reads it.

Known (Terraform / Kubernetes) stores come from the project's own link stage; the Python
side is called directly, so these tests do not depend on how the lead wires it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from residency_audit.config import load_config
from residency_audit.discovery import discover
from residency_audit.facts import parse_all
from residency_audit.link import link
from residency_audit.model import Store
from residency_audit.sources.kubernetes.connections import config_values, env_bindings
from residency_audit.sources.kubernetes.parse import KubernetesFacts
from residency_audit.sources.python import (
    EnvFileFacts,
    EnvLookup,
    OwnEndpoint,
    PythonFacts,
    PythonLink,
    build_env_lookup,
    is_compose_path,
    is_dotenv_path,
    link_python,
    own_endpoints,
    parse_compose_env,
    parse_dotenv,
    parse_python,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PYTHON_FIXTURES = (
    "demo-shop",
    "py-django-clinic",
    "py-fastapi-orders",
    "py-boto3-worker",
    "py-psycopg-import",
)


@dataclass(frozen=True)
class Project:
    root: Path
    sources: dict[str, bytes]  # every .py file by path
    facts: tuple[PythonFacts, ...]
    env: EnvLookup
    known: tuple[Store, ...]
    endpoints: tuple[OwnEndpoint, ...]

    def link(self, facts: tuple[PythonFacts, ...] | None = None) -> PythonLink:
        chosen = self.facts if facts is None else facts
        return link_python(chosen, self.env, self.known, self.endpoints)

    def facts_of(self, path: str) -> PythonFacts:
        return next(f for f in self.facts if f.path == path)


def load_project(name: str) -> Project:
    root = FIXTURES / name
    config = load_config(root, None)
    discovered = discover(root, config.model.exclude)
    parsed = parse_all(root, discovered.files)
    known = tuple(s for s in link(parsed.facts, config).stores if s.source != "python")
    manifests = [f for f in parsed.facts if isinstance(f, KubernetesFacts)]
    sources: dict[str, bytes] = {}
    env_files: list[EnvFileFacts] = []
    for file in discovered.files:
        data = (root / file.path).read_bytes()
        if file.path.endswith(".py"):
            sources[file.path] = data
        elif is_dotenv_path(file.path):
            env_files.append(parse_dotenv(file.path, data))
        elif is_compose_path(file.path):
            env_files.append(parse_compose_env(file.path, data))
    facts = tuple(parse_python(path, data) for path, data in sorted(sources.items()))
    env = build_env_lookup(env_files, env_bindings(manifests), config_values(manifests))
    return Project(root, sources, facts, env, known, own_endpoints(config))


_CACHE: dict[str, Project] = {}


@pytest.fixture
def project() -> Callable[[str], Project]:
    def get(name: str) -> Project:
        if name not in _CACHE:
            _CACHE[name] = load_project(name)
        return _CACHE[name]

    return get
