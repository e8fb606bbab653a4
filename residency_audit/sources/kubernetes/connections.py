"""What each workload's environment says: database URLs, hosts, bucket names.

Python code reads ``os.environ["DATABASE_URL"]``; the value is in a manifest, often two hops
away (``env.valueFrom.secretKeyRef`` -> a Secret's base64 ``data``; ``envFrom`` -> a whole
ConfigMap). Here every variable is resolved as far as the repository allows, so that the
linking stage can turn the code's variable into a host and the host into a store. Values
that are not in the repository stay ``None`` with the place that referred to them.

Passwords inside URLs are masked at this point (``postgresql://app:***@db/app``): the host,
port and database are what locate a store, and nothing downstream should print a secret.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from residency_audit.model import SourceRef
from residency_audit.sources.kubernetes.facts import (
    ConfigEntry,
    Container,
    K8sObject,
    KubernetesFacts,
)
from residency_audit.sources.kubernetes.ids import ObjectIds, natural_id
from residency_audit.sources.kubernetes.kustomize import DeployContext
from residency_audit.sources.kubernetes.placement import ObjectIndex

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/?#@\s]*):[^@/?#\s]*@", re.I)


@dataclass(frozen=True)
class EnvBinding:
    """One environment variable of one container, resolved as far as the repository goes.

    ``source`` is where the value is written (a ConfigMap key, a Secret key, the ``env``
    entry itself); ``value`` is None when that place is not in the repository.
    """

    workload_id: str  # k8s:<Kind>/<namespace>/<name>, as the deploy context names it
    container: str
    name: str
    value: str | None
    source: SourceRef
    site: SourceRef | None = None  # the workload's env / envFrom entry that sets the variable


@dataclass(frozen=True)
class ConfigValue:
    """One key of a ConfigMap or Secret (or a Service's ``externalName``)."""

    object_id: str
    key: str
    value: str | None
    source: SourceRef


def mask_password(value: str) -> str:
    """``scheme://user:secret@host`` -> ``scheme://user:***@host``; anything else unchanged.

    The cheap containment test first: the pattern backtracks quadratically on long values
    without a URL (base64 Secret data), which are most values.
    """
    if "://" not in value or "@" not in value:
        return value
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}:***@", value)


def object_id(obj: K8sObject, context: DeployContext | None = None) -> str:
    """The natural id (no ``@`` suffix): ConfigMaps and Secrets are looked up by it."""
    return natural_id(obj, context)


def config_values(facts: Sequence[KubernetesFacts]) -> tuple[ConfigValue, ...]:
    """Every ConfigMap/Secret key and ExternalName target, in file and line order."""
    values: list[ConfigValue] = []
    for file_facts in sorted(facts, key=lambda f: f.file):
        for obj in file_facts.objects:
            for entry in obj.config:
                values.append(_config_value(obj, entry))
            if obj.external_name:
                ref = SourceRef(
                    obj.file, obj.line, f"Service {obj.name} is an alias (ExternalName)"
                )
                values.append(ConfigValue(object_id(obj), "externalName", obj.external_name, ref))
    return tuple(values)


def _config_value(obj: K8sObject, entry: ConfigEntry) -> ConfigValue:
    value = mask_password(entry.value) if entry.value is not None else None
    note = f"{obj.kind} {obj.name} key {entry.key}"
    return ConfigValue(object_id(obj), entry.key, value, SourceRef(obj.file, entry.line, note))


def env_bindings(facts: Sequence[KubernetesFacts]) -> tuple[EnvBinding, ...]:
    """Every environment variable of every workload container (init containers included:
    a migration job's ``DATABASE_URL`` names the same database)."""
    ordered = sorted(facts, key=lambda f: f.file)
    index = ObjectIndex(obj for f in ordered for obj in f.objects)
    ids = ObjectIds(ordered)
    bindings: dict[tuple[str, str, str], EnvBinding] = {}
    for file_facts in ordered:
        for context in ids.contexts.get(file_facts.file, ()):
            for obj in file_facts.objects:
                if obj.pod is None:
                    continue
                workload = ids.of(obj, context)
                for container in obj.pod.containers:
                    for binding in _container_env(obj, workload, container, index):
                        key = (binding.workload_id, binding.container, binding.name)
                        bindings.setdefault(key, binding)
    return tuple(bindings.values())


def _container_env(
    obj: K8sObject, workload: str, container: Container, index: ObjectIndex
) -> list[EnvBinding]:
    namespace = obj.namespace or "default"
    found: dict[str, EnvBinding] = {}
    # envFrom first: an explicit env entry with the same name overrides it, as in Kubernetes.
    for ref in container.env_from:
        kind = "Secret" if ref.ref_kind == "secret" else "ConfigMap"
        source = index.find(kind, ref.ref_name, obj.file, namespace)
        if source is None:
            continue
        site = SourceRef(obj.file, ref.line, f"{obj.kind} {obj.name} envFrom {kind} {ref.ref_name}")
        for item in source.config:
            config = _config_value(source, item)
            name = ref.prefix + item.key
            found[name] = EnvBinding(
                workload, container.name, name, config.value, config.source, site
            )
    for var in container.env:
        where = SourceRef(obj.file, var.line, f"{obj.kind} {obj.name} env {var.name}")
        if var.ref_kind is None:
            literal = mask_password(var.value) if var.value is not None else None
            found[var.name] = EnvBinding(workload, container.name, var.name, literal, where, where)
            continue
        if var.ref_kind not in ("secret", "configmap") or not var.ref_name:
            found[var.name] = EnvBinding(workload, container.name, var.name, None, where, where)
            continue
        kind = "Secret" if var.ref_kind == "secret" else "ConfigMap"
        source = index.find(kind, var.ref_name, obj.file, namespace)
        entry = next((e for e in source.config if e.key == var.ref_key), None) if source else None
        if source is None or entry is None:
            missing = SourceRef(
                obj.file,
                var.line,
                f"{obj.kind} {obj.name} env {var.name} from {kind} {var.ref_name} "
                f"key {var.ref_key}, which is not in the repository",
            )
            found[var.name] = EnvBinding(workload, container.name, var.name, None, missing, where)
            continue
        resolved = _config_value(source, entry)
        found[var.name] = EnvBinding(
            workload, container.name, var.name, resolved.value, resolved.source, where
        )
    return list(found.values())
