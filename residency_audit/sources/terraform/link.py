"""All Terraform files of a scan in, stores out: group, instantiate, locate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from residency_audit.model import Edge, ScanError, SourceRef, Store
from residency_audit.sources.terraform.instance import RootValue, instantiate_roots
from residency_audit.sources.terraform.module import group_modules
from residency_audit.sources.terraform.parse import TerraformFile
from residency_audit.sources.terraform.stores import build_stores


@dataclass(frozen=True)
class TerraformLink:
    stores: tuple[Store, ...]
    edges: tuple[Edge, ...]
    errors: tuple[ScanError, ...]


def link_terraform(
    files: Iterable[TerraformFile], variables: Mapping[str, object], variables_ref: SourceRef
) -> TerraformLink:
    """``variables`` are values for root-module input variables (the config's, or --var)."""
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
    instantiated = instantiate_roots(modules, root_values)
    stores = build_stores(instantiated.resources, instantiated.module_stores)
    return TerraformLink(tuple(stores), (), tuple(instantiated.errors))
