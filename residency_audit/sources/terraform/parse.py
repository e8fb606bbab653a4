"""Per-file Terraform parsing: text in, a picklable syntax tree (or an error) out."""

from __future__ import annotations

from dataclasses import dataclass

from residency_audit.discovery import FileKind
from residency_audit.model import ScanError
from residency_audit.sources.terraform.expr import HclFile
from residency_audit.sources.terraform.hcl import (
    HclSyntaxError,
    parse_hcl,
    parse_tf_json,
    parse_tfvars_json,
)


@dataclass(frozen=True)
class TerraformFile:
    path: str
    kind: FileKind
    hcl: HclFile | None
    error: ScanError | None = None

    @property
    def directory(self) -> str:
        """The module directory the file belongs to ("" for the root)."""
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""


def parse_terraform(path: str, text: str, kind: FileKind) -> TerraformFile:
    try:
        if path.endswith(".tfvars.json"):
            hcl = parse_tfvars_json(text)
        elif kind is FileKind.TERRAFORM_JSON:
            hcl = parse_tf_json(text)
        else:
            hcl = parse_hcl(text)
    except HclSyntaxError as exc:
        label = "JSON" if path.endswith(".json") else "HCL"
        return TerraformFile(
            path, kind, None, ScanError(path, exc.line, f"{label} syntax error: {exc.message}")
        )
    return TerraformFile(path, kind, hcl)
