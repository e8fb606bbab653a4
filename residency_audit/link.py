"""The cross-file stage: every source's facts become one set of stores and edges.

Store ids must be unique in a report. Where two declarations get the same natural id (two
root modules declaring the same address, one manifest deployed to two clusters), each of
them gets the suffix ``@<file>`` as the contract prescribes. Where the file does not tell
them apart either, each source suffixes its own ids before drawing edges: Terraform with the
root module's directory, Kubernetes with the directory of the root kustomization (the
overlay) that deploys the copy: ``k8s:StatefulSet/shop/users-db@deploy/overlays/eu``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from residency_audit.config import Config
from residency_audit.facts import FileFacts
from residency_audit.geo.endpoints import match_host
from residency_audit.geo.regions import locate
from residency_audit.model import Edge, ScanError, SourceRef, Store
from residency_audit.personal_data.labels import classify_labels
from residency_audit.sources.kubernetes.connections import config_values, env_bindings
from residency_audit.sources.kubernetes.copies import build_copy_edges, link_declared_targets
from residency_audit.sources.kubernetes.external import WorkloadWrite, link_external
from residency_audit.sources.kubernetes.parse import KubernetesFacts
from residency_audit.sources.kubernetes.stores import ClusterPlacement, build_stores
from residency_audit.sources.python import (
    EnvFileFacts,
    PythonFacts,
    PythonLink,
    build_env_lookup,
    link_python,
    own_endpoints,
)
from residency_audit.sources.terraform.instance import RootValue
from residency_audit.sources.terraform.link import link_terraform
from residency_audit.sources.terraform.parse import TerraformFile
from residency_audit.sources.terraform.plan import PlanFacts


@dataclass(frozen=True)
class Linked:
    stores: tuple[Store, ...]
    edges: tuple[Edge, ...]
    errors: tuple[ScanError, ...]
    # Managed stores known only from a workload's connection string (``code:<scheme>://``).
    # They are not infrastructure declarations: when code names the same store, the code's
    # store (same id, the call as its declaration) replaces the one here, keeping the edges.
    connection_stores: tuple[Store, ...] = ()
    # Workloads' writes to managed stores, with the workloads' labels: see
    # ``sources.kubernetes.personal.apply_workload_labels`` (run after classify).
    workload_writes: tuple[WorkloadWrite, ...] = ()
    # What the Python code writes to each store (contract rule 3), for classify.
    code: PythonLink = field(default_factory=PythonLink)


def clusters_from_config(config: Config) -> tuple[ClusterPlacement, ...]:
    file = config.file or ".residency-audit.yaml"
    return tuple(
        ClusterPlacement(
            tuple(cluster.paths),
            cluster.provider,
            cluster.region,
            file,
            config.line_of(f"kubernetes.clusters[{index}]"),
        )
        for index, cluster in enumerate(config.model.kubernetes.clusters)
    )


def link(
    facts: Sequence[FileFacts],
    config: Config,
    variables: Mapping[str, RootValue] | None = None,
) -> Linked:
    """``variables`` are ``--var-file``/``--var`` values for Terraform root modules."""
    terraform_files = [f for f in facts if isinstance(f, TerraformFile)]
    manifests = [f for f in facts if isinstance(f, KubernetesFacts)]
    variables_ref = SourceRef(
        config.file or ".residency-audit.yaml", config.line_of("variables"), "config variables:"
    )
    plans = [f for f in facts if isinstance(f, PlanFacts)]
    terraform = link_terraform(
        terraform_files, config.model.variables, variables_ref, plans=plans, overrides=variables
    )
    clusters = clusters_from_config(config)
    kubernetes = build_stores(manifests, clusters, locate, labelled_personal=_labelled_personal)
    copies = link_declared_targets(
        build_copy_edges(manifests, kubernetes, clusters, locate, match_host), terraform.stores
    )
    external = link_external(manifests, terraform.stores, locate, match_host)
    stores = unique_ids([*terraform.stores, *kubernetes, *copies.targets])
    code = _link_code(facts, manifests, stores, config)
    # A store both a manifest's connection string and the code name is the code's (its
    # declaration is the call); the manifest's edges to it stay.
    code_ids = {store.id for store in code.stores}
    connections = tuple(s for s in external.stores if s.id not in code_ids)
    edges = (*terraform.edges, *copies.edges, *external.edges, *code.edges)
    return Linked(
        tuple(unique_ids([*stores, *code.stores])),
        edges,
        (*terraform.errors, *code.errors),
        connections,
        external.writers,
        code,
    )


def _link_code(
    facts: Sequence[FileFacts],
    manifests: Sequence[KubernetesFacts],
    declared: Sequence[Store],
    config: Config,
) -> PythonLink:
    """The Python code's stores and writes; environment variables resolve through .env
    files, docker-compose and the manifests' env, ConfigMaps and Secrets."""
    python = [f for f in facts if isinstance(f, PythonFacts)]
    if not python:
        return PythonLink()
    env = build_env_lookup(
        [f for f in facts if isinstance(f, EnvFileFacts)],
        env_bindings(manifests),
        config_values(manifests),
    )
    return link_python(python, env, declared, own_endpoints(config))


def _labelled_personal(labels: tuple[tuple[str, str], ...]) -> bool:
    """Whether labels declare personal data (lets a lone labelled PVC count as a store)."""
    return classify_labels(labels, "", None).personal is True


def unique_ids(stores: Iterable[Store]) -> list[Store]:
    """``@<file>`` on ids two declarations share; should the file not tell them apart either,
    a counter follows (``#2``), so no store ever silently replaces another in the graph.
    An id its source already suffixed with its file (two identical manifests in one file)
    goes straight to the counter."""
    stores = list(stores)
    counts = Counter(store.id for store in stores)
    renamed = [
        replace(store, id=f"{store.id}@{store.file}")
        if counts[store.id] > 1 and not store.id.endswith(f"@{store.file}")
        else store
        for store in stores
    ]
    seen: Counter[str] = Counter()
    unique: list[Store] = []
    for store in renamed:
        seen[store.id] += 1
        unique.append(
            store if seen[store.id] == 1 else replace(store, id=f"{store.id}#{seen[store.id]}")
        )
    return unique
