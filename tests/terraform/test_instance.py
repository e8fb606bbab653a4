"""Module instantiation: addresses, variables, providers, as Terraform would resolve them."""

from __future__ import annotations

from residency_audit.discovery import FileKind, kind_of
from residency_audit.model import SourceRef
from residency_audit.sources.terraform.evaluate import Unknown
from residency_audit.sources.terraform.instance import RootValue, instantiate_roots
from residency_audit.sources.terraform.module import group_modules
from residency_audit.sources.terraform.parse import TerraformFile, parse_terraform

ROOT_MAIN = """\
provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "eu"
  region = local.regions["eu"]
}

locals {
  regions = {
    eu = "eu-west-1"
    ru = "ru-central1"
  }
}

module "users_db" {
  source = "./modules/postgres"
  name   = "users-${var.env}"
}

module "replicas" {
  source   = "./modules/postgres"
  for_each = toset(["analytics", "reporting"])
  name     = each.key

  providers = {
    aws = aws.eu
  }
}

resource "aws_s3_bucket" "logs" {
  count  = 2
  bucket = "logs-${count.index}"
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"
}
"""

ROOT_VARIABLES = """\
variable "region" {
  type    = string
  default = "eu-central-1"
}

variable "env" {
  type = string
}
"""

MODULE_MAIN = """\
variable "name" {
  type = string
}

resource "aws_db_instance" "this" {
  identifier = var.name
  engine     = "postgres"
}
"""


def _files(tree: dict[str, str]) -> list[TerraformFile]:
    files = [parse_terraform(path, text, kind_of(path)) for path, text in tree.items()]
    assert all(f.error is None for f in files), [f.error for f in files]
    return files


def _tree() -> dict[str, str]:
    return {
        "infra/main.tf": ROOT_MAIN,
        "infra/variables.tf": ROOT_VARIABLES,
        "infra/terraform.tfvars": 'env = "prod"\n',
        "infra/modules/postgres/main.tf": MODULE_MAIN,
    }


def test_addresses_follow_terraform() -> None:
    result = instantiate_roots(group_modules(_files(_tree())), {})
    assert sorted(r.address for r in result.resources) == [
        "aws_s3_bucket.logs[0]",
        "aws_s3_bucket.logs[1]",
        'module.replicas["analytics"].aws_db_instance.this',
        'module.replicas["reporting"].aws_db_instance.this',
        "module.users_db.aws_db_instance.this",
    ]
    assert [(e.file, e.line) for e in result.errors] == [("infra/main.tf", 37)]
    assert "terraform-aws-modules/vpc/aws" in result.errors[0].message
    assert "module.vpc" in result.errors[0].message


def test_module_inputs_tfvars_and_traces() -> None:
    result = instantiate_roots(group_modules(_files(_tree())), {})
    users = next(r for r in result.resources if r.address.startswith("module.users_db"))
    identifier = users.declared.block.attribute("identifier")
    assert identifier is not None
    evaluated = users.scope.evaluate(identifier.value)
    assert evaluated.value == "users-prod"
    assert SourceRef("infra/terraform.tfvars", 1, 'env = "prod"') in evaluated.trace
    assert evaluated.trace[-1] == SourceRef(
        "infra/main.tf", 19, 'module.users_db input name = "users-${var.env}"'
    )
    logs = result.resources[1]
    bucket = logs.declared.block.attribute("bucket")
    assert bucket is not None
    assert logs.scope.evaluate(bucket.value).value == "logs-1"


def test_providers_are_inherited_or_mapped() -> None:
    result = instantiate_roots(group_modules(_files(_tree())), {})
    by_address = {r.address: r for r in result.resources}
    users = by_address["module.users_db.aws_db_instance.this"]
    replica = by_address['module.replicas["analytics"].aws_db_instance.this']
    assert users.providers["aws"].alias is None
    assert replica.providers["aws"].alias == "eu"
    assert "aws.eu" not in users.providers  # aliased providers are never inherited implicitly
    eu = replica.providers["aws"]
    region = eu.declared.block.attribute("region")
    assert region is not None
    assert eu.scope.evaluate(region.value).value == "eu-west-1"


def test_config_variables_override_tfvars_and_missing_values_are_unknown() -> None:
    tree = _tree()
    del tree["infra/terraform.tfvars"]
    modules = group_modules(_files(tree))
    result = instantiate_roots(modules, {})
    users = next(r for r in result.resources if r.address.startswith("module.users_db"))
    value = users.scope.variable("name").value
    assert isinstance(value, Unknown)
    assert "var.env has no default" in value.reason
    given = {
        "env": RootValue(
            "stage", SourceRef(".residency-audit.yaml", 4, "config variables: env = 'stage'")
        )
    }
    result = instantiate_roots(modules, given)
    users = next(r for r in result.resources if r.address.startswith("module.users_db"))
    assert users.scope.variable("name").value == "users-stage"


def test_module_cycles_and_unknown_count_do_not_crash() -> None:
    tree = {
        "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
        "b/main.tf": (
            'module "a" {\n  source = "../a"\n}\n'
            'resource "aws_s3_bucket" "x" {\n  count = var.n\n}\n'
            'variable "n" {}\n'
        ),
        "c/main.tf": 'module "a" {\n  source = "../a"\n}\n',
    }
    result = instantiate_roots(group_modules(_files(tree)), {})
    assert [r.address for r in result.resources] == ["module.a.module.b.aws_s3_bucket.x"]
    assert "count = var.n cannot be evaluated" in result.resources[0].notes[0].note
    assert any("cycle" in e.message for e in result.errors)


def test_tfvars_kind() -> None:
    assert kind_of("infra/terraform.tfvars") is FileKind.TFVARS
