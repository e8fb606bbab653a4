"""Group parsed Terraform files into modules, as Terraform does: one directory, one module.

Each module keeps its declarations with the file they came from, so every evaluated value
can point back at the line that set it. Values for a directory's variables from tfvars files
are kept in Terraform's precedence order (later wins): ``terraform.tfvars``,
``terraform.tfvars.json``, then ``*.auto.tfvars(.json)`` in lexical order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from residency_audit.discovery import FileKind
from residency_audit.sources.terraform.expr import Attribute, Block
from residency_audit.sources.terraform.parse import TerraformFile


@dataclass(frozen=True)
class Declared:
    """A block and the file that declares it."""

    block: Block
    file: str


@dataclass(frozen=True)
class AttributeIn:
    """An attribute and the file that sets it (locals, tfvars)."""

    attribute: Attribute
    file: str


@dataclass
class TerraformModule:
    directory: str  # relative to the scan root, "" for the root directory
    variables: dict[str, Declared] = field(default_factory=dict)
    locals: dict[str, AttributeIn] = field(default_factory=dict)
    outputs: dict[str, Declared] = field(default_factory=dict)
    providers: list[Declared] = field(default_factory=list)
    resources: list[Declared] = field(default_factory=list)
    module_calls: list[Declared] = field(default_factory=list)
    tfvars: list[AttributeIn] = field(default_factory=list)  # precedence order, later wins
    files: list[str] = field(default_factory=list)

    def resource(self, type_name: str, name: str) -> Declared | None:
        for declared in self.resources:
            if declared.block.labels == (type_name, name):
                return declared
        return None

    @property
    def has_configuration(self) -> bool:
        return bool(self.variables or self.resources or self.providers or self.module_calls)


def _tfvars_rank(path: str) -> tuple[int, str]:
    name = path.rsplit("/", 1)[-1]
    if name == "terraform.tfvars":
        return (0, name)
    if name == "terraform.tfvars.json":
        return (1, name)
    if name.endswith((".auto.tfvars", ".auto.tfvars.json")):
        return (2, name)
    return (3, name)  # other tfvars are only used when given with --var-file


def group_modules(files: Iterable[TerraformFile]) -> dict[str, TerraformModule]:
    modules: dict[str, TerraformModule] = {}
    tfvars_files: list[TerraformFile] = []
    for file in sorted(files, key=lambda f: f.path):
        if file.hcl is None:
            continue
        module = modules.setdefault(file.directory, TerraformModule(file.directory))
        module.files.append(file.path)
        if file.kind is FileKind.TFVARS:
            tfvars_files.append(file)
            continue
        for block in file.hcl.blocks:
            _add_block(module, block, file.path)
    for file in sorted(tfvars_files, key=lambda f: _tfvars_rank(f.path)):
        if _tfvars_rank(file.path)[0] == 3 or file.hcl is None:
            continue
        module = modules[file.directory]
        module.tfvars.extend(AttributeIn(a, file.path) for a in file.hcl.attributes)
    return modules


def _add_block(module: TerraformModule, block: Block, file: str) -> None:
    declared = Declared(block, file)
    match block.type:
        case "variable" if block.labels:
            module.variables[block.labels[0]] = declared
        case "locals":
            for attribute in block.attributes:
                module.locals[attribute.name] = AttributeIn(attribute, file)
        case "output" if block.labels:
            module.outputs[block.labels[0]] = declared
        case "provider" if block.labels:
            module.providers.append(declared)
        case "resource" if len(block.labels) == 2:
            module.resources.append(declared)
        case "module" if block.labels:
            module.module_calls.append(declared)
        case _:
            pass
