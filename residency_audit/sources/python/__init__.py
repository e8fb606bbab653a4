"""Python sources: per-file facts (libcst) and the cross-file link into stores and writes.

The lead stages call these:

* per file: :func:`select_for_parsing` over all Python files (bytes prefilter), then
  :func:`parse_python` on each chosen one;
  ``.env`` / docker-compose files: :func:`parse_dotenv`, :func:`parse_compose_env`;
* when linking: :func:`build_env_lookup`, then :func:`link_python` with the Terraform and
  Kubernetes stores, and :func:`own_endpoints` from the config;
* when classifying: :func:`merge_code_evidence` with ``PythonLink.evidence_for(store.id)``.
"""

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
from residency_audit.sources.python.link import PythonLink, StoreEvidence, WrittenField, link_python
from residency_audit.sources.python.prefilter import might_matter, select_for_parsing
from residency_audit.sources.python.stores import OwnEndpoint, own_endpoints

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
    """``parse_python`` is imported on first use: it brings libcst (a third of start-up),
    which a scan answered from the cache, or a worker-less link stage, never needs."""
    if name == "parse_python":
        from residency_audit.sources.python.parse import parse_python

        return parse_python
    raise AttributeError(name)
