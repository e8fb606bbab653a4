"""The report id of every deployed Kubernetes object, unique across the manifests.

The natural id is the contract's ``k8s:<Kind>/<namespace>/<name>``, with the namespace and
name the deploy context gives (a kustomization's ``namespace`` / ``namePrefix``). Two
deployments of one id get the contract's ``@<file>`` suffix. When that does not separate
them either - one base manifest deployed by two kustomize overlays that keep its namespace
and name, the usual "same app in two regions" layout - the suffix is the directory of the
root kustomization deploying each copy instead: ``k8s:StatefulSet/shop/users-db@deploy/
overlays/eu``. That is the path the cluster mapping knows, so it is also what tells a reader
which cluster each copy runs in.

Ids are assigned here, once, over every deployed object (not only stores), so that stores,
backup edges and the workloads' ``writes`` edges all name the same final ids.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Mapping, Sequence

from residency_audit.sources.kubernetes.facts import K8sObject, KubernetesFacts
from residency_audit.sources.kubernetes.kustomize import DeployContext, deploy_contexts

__all__ = ["ObjectIds", "natural_id"]


def natural_id(obj: K8sObject, context: DeployContext | None = None) -> str:
    """``k8s:<Kind>/<namespace>/<name>`` as deployed; namespace ``default`` when none is set."""
    context = context or DeployContext()
    namespace = context.namespace(obj) or "default"
    return f"k8s:{obj.kind}/{namespace}/{context.name(obj) or '(unnamed)'}"


def deploy_dir(context: DeployContext, file: str) -> str:
    """The directory of the root kustomization (``.`` at the repository root), else the file."""
    if context.root is None:
        return file
    return posixpath.dirname(context.root.file) or "."


class ObjectIds:
    """Final ids of (object, deploy context) pairs, and the context behind each id."""

    def __init__(
        self,
        facts: Sequence[KubernetesFacts],
        contexts: Mapping[str, tuple[DeployContext, ...]] | None = None,
    ) -> None:
        self.contexts = deploy_contexts(facts) if contexts is None else contexts
        deployed = [
            (obj, context, natural_id(obj, context))
            for f in sorted(facts, key=lambda f: f.file)
            for context in self.contexts.get(f.file, ())
            for obj in f.objects
        ]
        ids = Counter(natural for _, _, natural in deployed)
        per_file = Counter((natural, obj.file) for obj, _, natural in deployed)
        self._ids: dict[tuple[str, int, str, str | None, str], str] = {}
        self._contexts: dict[str, DeployContext] = {}
        self._objects: dict[str, K8sObject] = {}
        for obj, context, natural in deployed:
            if ids[natural] == 1:
                final = natural
            elif per_file[(natural, obj.file)] == 1:
                final = f"{natural}@{obj.file}"
            else:
                final = f"{natural}@{deploy_dir(context, obj.file)}"
            self._ids[_key(obj, context)] = final
            self._contexts.setdefault(final, context)
            self._objects.setdefault(final, obj)

    def of(self, obj: K8sObject, context: DeployContext) -> str:
        """The final id; an object these facts do not deploy keeps its natural id."""
        return self._ids.get(_key(obj, context), natural_id(obj, context))

    def context_of(self, store_id: str) -> DeployContext | None:
        """The deploy context of the object a final id names, if these facts deploy it."""
        return self._contexts.get(store_id)

    def object_of(self, store_id: str) -> K8sObject | None:
        """The object (as written, before any overlay patch) a final id names."""
        return self._objects.get(store_id)


def _key(obj: K8sObject, context: DeployContext) -> tuple[str, int, str, str | None, str]:
    """Where the object is written and which root deploys it (a patched copy of an object
    keeps its file and line, so it keeps its id)."""
    root = context.root.file if context.root is not None else ""
    return (obj.file, obj.line, obj.kind, obj.name, root)
