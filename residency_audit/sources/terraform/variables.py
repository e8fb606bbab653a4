"""Values for root-module input variables from outside the .tf files, as Terraform takes them.

Terraform's precedence, later wins: ``terraform.tfvars``, ``*.auto.tfvars`` (read with the
module, see ``module.py``), then ``-var-file`` and ``-var`` in command-line order. The
config's ``variables:`` act like ``-var`` given first, so ``--var-file``/``--var`` on the
command line override them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from residency_audit.config import ConfigError
from residency_audit.model import ScanError, SourceRef
from residency_audit.sources.terraform.evaluate import MappingScope, evaluate
from residency_audit.sources.terraform.expr import HclFile, brief
from residency_audit.sources.terraform.hcl import HclSyntaxError, parse_hcl, parse_tfvars_json
from residency_audit.sources.terraform.instance import RootValue


def _values(hcl: HclFile, file: str) -> dict[str, RootValue]:
    values: dict[str, RootValue] = {}
    for attribute in hcl.attributes:
        value = evaluate(attribute.value, MappingScope({})).value
        note = f"{attribute.name} = {brief(attribute.value)}"
        values[attribute.name] = RootValue(value, SourceRef(file, attribute.line, note))
    return values


def var_file_values(path: Path, display: str) -> tuple[dict[str, RootValue], ScanError | None]:
    """A ``--var-file``: HCL tfvars or ``.tfvars.json``; a broken file is a report error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, ScanError(display, None, f"cannot read var file: {exc}")
    try:
        hcl = parse_tfvars_json(text) if path.name.endswith(".json") else parse_hcl(text)
    except HclSyntaxError as exc:
        return {}, ScanError(display, exc.line, f"var file syntax error: {exc.message}")
    return _values(hcl, display), None


def cli_var_values(assignments: Sequence[str]) -> dict[str, RootValue]:
    """``--var name=value``: the value is read as Terraform reads -var (an HCL literal such
    as ``["a","b"]`` or ``{k="v"}`` when it parses as one, else the plain string)."""
    values: dict[str, RootValue] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ConfigError("--var", assignment, "expected NAME=VALUE")
        value: object = raw
        if raw.strip().startswith(("[", "{")):
            try:
                attribute = parse_hcl(f"v = {raw}\n").attributes[0]
                value = evaluate(attribute.value, MappingScope({})).value
            except (HclSyntaxError, IndexError):
                value = raw
        values[name] = RootValue(value, SourceRef("--var", None, f"{name} = {raw}"))
    return values
