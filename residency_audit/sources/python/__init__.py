"""Python sources: per-file facts (libcst) and the cross-file link into stores and writes.

The lead stages call these:

* per file: :func:`select_for_parsing` over all Python files (bytes prefilter), then
  :func:`parse_python` on each chosen one;
  ``.env`` / docker-compose files: :func:`parse_dotenv`, :func:`parse_compose_env`;
* when linking: :func:`build_env_lookup`, then :func:`link_python` with the Terraform and
  Kubernetes stores, and :func:`own_endpoints` from the config;
* when classifying: :func:`merge_code_evidence` with ``PythonLink.evidence_for(store.id)``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from residency_audit.sources.python.env import (
        EnvFileFacts,
        EnvLookup,
        EnvValue,
        build_env_lookup,
        is_compose_path,
        is_dotenv_path,
        parse_compose_env,
        parse_dotenv,
    )
    from residency_audit.sources.python.evidence import merge_code_evidence
    from residency_audit.sources.python.facts import PythonFacts
    from residency_audit.sources.python.link import (
        PythonLink,
        StoreEvidence,
        WrittenField,
        link_python,
    )
    from residency_audit.sources.python.parse import parse_python
    from residency_audit.sources.python.prefilter import might_matter, select_for_parsing
    from residency_audit.sources.python.stores import OwnEndpoint, own_endpoints

# Each name is imported from its module on first use: a parser worker needs the per-file
# modules only (the link stage's modules were a third of its start-up), and a scan answered
# from the cache never needs libcst (``parse``).
_HOMES = {
    "EnvFileFacts": "env",
    "EnvLookup": "env",
    "EnvValue": "env",
    "build_env_lookup": "env",
    "is_compose_path": "env",
    "is_dotenv_path": "env",
    "parse_compose_env": "env",
    "parse_dotenv": "env",
    "merge_code_evidence": "evidence",
    "PythonFacts": "facts",
    "PythonLink": "link",
    "StoreEvidence": "link",
    "WrittenField": "link",
    "link_python": "link",
    "parse_python": "parse",
    "might_matter": "prefilter",
    "select_for_parsing": "prefilter",
    "OwnEndpoint": "stores",
    "own_endpoints": "stores",
}

__all__ = [
    "EnvFileFacts",
    "EnvLookup",
    "EnvValue",
    "OwnEndpoint",
    "PythonFacts",
    "PythonLink",
    "StoreEvidence",
    "WrittenField",
    "build_env_lookup",
    "is_compose_path",
    "is_dotenv_path",
    "link_python",
    "merge_code_evidence",
    "might_matter",
    "own_endpoints",
    "parse_compose_env",
    "parse_dotenv",
    "parse_python",
    "select_for_parsing",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(name)
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
