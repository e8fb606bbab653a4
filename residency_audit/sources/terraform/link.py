"""All Terraform files of a scan in, stores and copy edges out: group, instantiate, locate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from residency_audit.model import Edge, ScanError, SourceRef, Store
from residency_audit.sources.terraform.copies import build_copies
from residency_audit.sources.terraform.instance import (
    RegistryModuleInstance,
    ResourceInstance,
    RootValue,
    instantiate_roots,
)
from residency_audit.sources.terraform.module import group_modules
from residency_audit.sources.terraform.parse import TerraformFile
from residency_audit.sources.terraform.plan import PlanFacts, merge_plans
from residency_audit.sources.terraform.stores import build_module_store, build_store


@dataclass(frozen=True)
class TerraformLink:
    stores: tuple[Store, ...]
    edges: tuple[Edge, ...]
    errors: tuple[ScanError, ...]


def link_terraform(
    files: Iterable[TerraformFile],
    variables: Mapping[str, object],
    variables_ref: SourceRef,
    *,
    plans: Iterable[PlanFacts] = (),
    overrides: Mapping[str, RootValue] | None = None,
) -> TerraformLink:
    """``variables`` are the config's values for root-module input variables; ``overrides``
    (``--var-file``/``--var``) win over them; ``plans`` are saved plans (``terraform show
    -json``), merged in by ``plan.merge_plans``."""
    modules = group_modules(files)
    root_values = {
        name: RootValue(
            value,
            SourceRef(
                variables_ref.file, variables_ref.line, f"{variables_ref.note} {name} = {value!r}"
            ),
        )
        for name, value in variables.items()
    }
    root_values.update(overrides or {})
    instantiated = instantiate_roots(modules, root_values)
    located = _unique_ids(
        [(instance, build_store(instance)) for instance in instantiated.resources]
        + [(call, build_module_store(call)) for call in instantiated.module_stores]
    )
    copies = build_copies(
        [(i, store) for i, store in located if isinstance(i, ResourceInstance)],
        modules,
        [(i, store) for i, store in located if isinstance(i, RegistryModuleInstance)],
    )
    merged = merge_plans(copies.stores, copies.edges, tuple(plans), modules)
    return TerraformLink(merged.stores, merged.edges, tuple(instantiated.errors))


_Declaring = ResourceInstance | RegistryModuleInstance


def _unique_ids(
    located: list[tuple[_Declaring, Store | None]],
) -> list[tuple[_Declaring, Store | None]]:
    """Two root modules declaring one address: ``@<file>`` on each, before edges name them.

    When the twins are declared in the same file (two roots calling one shared module under
    the same name), the file cannot tell them apart, so the suffix is the root module's
    directory instead: ``module.db.aws_db_instance.this@envs/prod``. The scan-wide pass in
    ``residency_audit.link`` does the same for other sources, but copy edges must already
    point at the final ids.
    """
    counts = Counter(store.id for _, store in located if store is not None)
    files = Counter((store.id, store.file) for _, store in located if store is not None)

    def suffixed(instance: _Declaring, store: Store) -> Store:
        if counts[store.id] == 1:
            return store
        if files[(store.id, store.file)] == 1:
            return replace(store, id=f"{store.id}@{store.file}")
        return replace(store, id=f"{store.id}@{instance.scope.root or '.'}")

    return [
        (instance, suffixed(instance, store) if store is not None else store)
        for instance, store in located
    ]
