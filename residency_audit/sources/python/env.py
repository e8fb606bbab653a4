"""Where the values of environment variables read by the code are written down.

Code reads ``os.environ["DATABASE_URL"]``; the value is in a Kubernetes manifest (resolved
by ``sources.kubernetes.connections``), a docker-compose ``environment:`` block or a
``.env`` file. :func:`build_env_lookup` puts them together, strongest source first:
what is deployed (Kubernetes) wins over what developers run (docker-compose), which wins
over ``.env`` files; the code's own default applies only where none of them sets the
variable. Every value keeps the place it was read from, for evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from residency_audit.discovery import is_dotenv_path as is_dotenv_path  # re-exported
from residency_audit.model import ScanError, SourceRef
from residency_audit.sources.kubernetes.connections import ConfigValue, EnvBinding, mask_password
from residency_audit.sources.kubernetes.yamltree import (
    YamlProblem,
    YMap,
    YScalar,
    YSeq,
    child,
    compose_documents,
)

ORIGINS = ("kubernetes", "compose", "dotenv", "configmap")
"""Sources in the order they win; ``configmap`` is a ConfigMap/Secret key no workload
references by name (a last resort: the key is named like the variable)."""


@dataclass(frozen=True)
class EnvValue:
    """One value an environment variable has somewhere; ``value`` None when the place that
    sets it is not in the repository (a Secret kept elsewhere). ``namespace`` is the
    Kubernetes namespace of the workload, for short Service host names."""

    name: str
    value: str | None
    source: SourceRef
    origin: str
    namespace: str | None = None


@dataclass(frozen=True)
class EnvFileFacts:
    """What one ``.env`` or docker-compose file sets; ``services`` are compose service names
    (a host called like one is a container next to the application)."""

    path: str
    values: tuple[EnvValue, ...] = ()
    services: tuple[str, ...] = ()
    errors: tuple[ScanError, ...] = ()


@dataclass(frozen=True)
class EnvLookup:
    """Every known value of every variable, and the docker-compose service names."""

    values: tuple[EnvValue, ...] = ()
    compose_services: tuple[str, ...] = ()

    @cached_property
    def _by_name(self) -> tuple[dict[str, list[EnvValue]], dict[str, list[EnvValue]]]:
        """Values by exact and by upper-cased name: a lookup per environment read in the
        code must not scan every value the repository sets (quadratic on a monorepo)."""
        exact: dict[str, list[EnvValue]] = {}
        folded: dict[str, list[EnvValue]] = {}
        for value in self.values:
            exact.setdefault(value.name, []).append(value)
            folded.setdefault(value.name.upper(), []).append(value)
        return exact, folded

    def get(self, name: str) -> tuple[EnvValue, ...]:
        """The values of ``name`` from the strongest source that sets it (all of that
        source's values: one manifest per environment); case-insensitive as a fallback,
        since pydantic-settings matches names that way."""
        exact, folded = self._by_name
        found = exact.get(name) or folded.get(name.upper(), [])
        for origin in ORIGINS:
            chosen = tuple(v for v in found if v.origin == origin)
            if chosen:
                return chosen
        return ()


def is_compose_path(path: str) -> bool:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return bool(re.fullmatch(r"(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml", name))


_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$")


def _decoded(path: str, data: bytes) -> str | EnvFileFacts:
    """The text of an env file, or its facts holding the decoding error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return EnvFileFacts(path, errors=(ScanError(path, line, "not valid UTF-8 text"),))


def parse_dotenv(path: str, data: bytes) -> EnvFileFacts:
    """``KEY=value`` lines as python-dotenv and docker read them (quotes, ``export``,
    trailing comments on unquoted values); lines that are not assignments are skipped."""
    text = _decoded(path, data)
    if isinstance(text, EnvFileFacts):
        return text
    values: list[EnvValue] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _DOTENV_LINE.match(raw)
        if match is None or raw.lstrip().startswith("#"):
            continue
        name, value = match.group(1), _dotenv_value(match.group(2))
        note = f"{path.rsplit('/', 1)[-1]} sets {name}"
        values.append(EnvValue(name, mask_password(value), SourceRef(path, number, note), "dotenv"))
    return EnvFileFacts(path, tuple(values))


def _dotenv_value(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    if raw[:1] in "'\"":
        end = raw.find(raw[0], 1)
        return raw[1:end] if end > 0 else raw[1:]
    return re.split(r"\s+#", raw, maxsplit=1)[0]


def parse_compose_env(path: str, data: bytes) -> EnvFileFacts:
    """The ``environment:`` of every service of a docker-compose file (map or list form),
    and the service names. ``${VAR:-default}`` interpolation keeps the default."""
    text = _decoded(path, data)
    if isinstance(text, EnvFileFacts):
        return text
    values: list[EnvValue] = []
    services: list[str] = []
    try:
        documents = list(compose_documents(text))
    except YamlProblem as exc:
        return EnvFileFacts(path, errors=(ScanError(path, exc.line, exc.message),))
    for document in documents:
        section = child(document.root, "services")
        if not isinstance(section, YMap):
            continue
        for service, spec in section.entries.items():
            services.append(service)
            for name, value, line in _environment(child(spec, "environment")):
                note = f"docker-compose service {service} environment {name}"
                shown = mask_password(_interpolated(value)) if value is not None else None
                values.append(EnvValue(name, shown, SourceRef(path, line, note), "compose"))
    return EnvFileFacts(path, tuple(values), tuple(services))


def _environment(node: object) -> Iterable[tuple[str, str | None, int]]:
    if isinstance(node, YMap):
        for key, value in node.entries.items():
            text = value.value if isinstance(value, YScalar) else None
            yield key, text, node.key_lines.get(key, node.line)
    elif isinstance(node, YSeq):
        for item in node.items:
            if isinstance(item, YScalar) and item.value:
                name, sep, setting = item.value.partition("=")
                yield name.strip(), (setting if sep else None), item.line


_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}")


def _interpolated(value: str) -> str:
    """``${DB_HOST:-db}`` -> ``db``; a variable without a default stays as written."""
    return _INTERPOLATION.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(0), value)


def build_env_lookup(
    files: Sequence[EnvFileFacts] = (),
    bindings: Sequence[EnvBinding] = (),
    config: Sequence[ConfigValue] = (),
) -> EnvLookup:
    """One lookup from ``.env``/compose facts, Kubernetes env bindings
    (``connections.env_bindings``) and ConfigMap/Secret keys (``connections.config_values``)."""
    values: list[EnvValue] = []
    for binding in bindings:
        values.append(
            EnvValue(
                binding.name,
                binding.value,
                binding.source,
                "kubernetes",
                _namespace_of(binding.workload_id),
            )
        )
    for item in config:
        if item.key == "externalName":
            continue
        values.append(
            EnvValue(item.key, item.value, item.source, "configmap", _namespace_of(item.object_id))
        )
    services: list[str] = []
    for file in sorted(files, key=lambda f: f.path):
        values.extend(file.values)
        services.extend(file.services)
    unique = tuple(dict.fromkeys(values))
    return EnvLookup(unique, tuple(dict.fromkeys(services)))


def _namespace_of(object_id: str) -> str | None:
    """``k8s:Deployment/shop/checkout`` -> ``shop``."""
    _, _, rest = object_id.partition(":")
    parts = rest.split("/")
    return parts[1] if len(parts) >= 3 else None
