"""Copy edges from Terraform: one test group per family of catalog copy rules."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import pytest

from residency_audit.discovery import kind_of
from residency_audit.model import LocationStatus, SourceRef, Store
from residency_audit.sources.terraform import catalog
from residency_audit.sources.terraform.catalog import CatalogError
from residency_audit.sources.terraform.link import TerraformLink, link_terraform
from residency_audit.sources.terraform.parse import parse_terraform

CONFIG = SourceRef(".residency-audit.yaml", 5, "config variables:")

AWS_PROVIDERS = """\
provider "aws" {
  region = "eu-central-1"
}

provider "aws" {
  alias  = "dr"
  region = "eu-west-1"
}

provider "aws" {
  alias  = "us"
  region = "us-east-1"
}
"""

AZURE_PROVIDER = """\
provider "azurerm" {
  features {}
}
"""


def _link(tree: Mapping[str, str], variables: Mapping[str, object] | None = None) -> TerraformLink:
    files = [
        parse_terraform(path, textwrap.dedent(text), kind_of(path)) for path, text in tree.items()
    ]
    assert all(f.error is None for f in files), [f.error for f in files]
    return link_terraform(files, variables or {}, CONFIG)


def _edges(link: TerraformLink) -> list[tuple[str, str, str, str | None, int | None]]:
    return [(e.source, e.target, e.kind.value, e.file, e.line) for e in link.edges]


def _store(link: TerraformLink, store_id: str) -> Store:
    (store,) = [s for s in link.stores if s.id == store_id]
    return store


def _where(store: Store) -> tuple[str, str | None, tuple[str, ...]]:
    return (store.location.status.value, store.location.region, store.location.countries)


def _ids(link: TerraformLink) -> list[str]:
    return [s.id for s in link.stores]


# --- S3 ----------------------------------------------------------------------------------------

S3_REPLICATION = """\
resource "aws_s3_bucket" "documents" {
  bucket = "acme-documents"
}

resource "aws_s3_bucket_versioning" "documents" {
  bucket = aws_s3_bucket.documents.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket" "documents_dr" {
  provider = aws.dr
  bucket   = "acme-documents-dr"
}

resource "aws_s3_bucket_replication_configuration" "documents" {
  role   = aws_iam_role.replication.arn
  bucket = aws_s3_bucket_versioning.documents.bucket

  rule {
    id     = "dr"
    status = "Enabled"

    destination {
      bucket = aws_s3_bucket.documents_dr.arn
    }
  }

  rule {
    id     = "partner"
    status = "Enabled"

    destination {
      bucket = "arn:aws:s3:::partner-kyc-inbox"
    }
  }
}
"""


def test_s3_replication_resource_resolves_computed_arns_to_the_declared_buckets() -> None:
    link = _link({"infra/providers.tf": AWS_PROVIDERS, "infra/s3.tf": S3_REPLICATION})
    partner = (
        "terraform:aws_s3_bucket_replication_configuration.documents"
        '.destination["arn:aws:s3:::partner-kyc-inbox"]'
    )
    assert _edges(link) == [
        (
            "terraform:aws_s3_bucket.documents",
            "terraform:aws_s3_bucket.documents_dr",
            "replica",
            "infra/s3.tf",
            27,
        ),
        ("terraform:aws_s3_bucket.documents", partner, "replica", "infra/s3.tf", 36),
    ]
    assert _where(_store(link, "terraform:aws_s3_bucket.documents_dr")) == (
        "resolved",
        "eu-west-1",
        ("IE",),
    )
    outside = _store(link, partner)
    assert (outside.kind, outside.name, outside.file, outside.line) == (
        "object_storage",
        "acme-documents",
        "infra/s3.tf",
        36,
    )
    assert outside.location.status is LocationStatus.UNKNOWN
    assert outside.location.evidence[-1] == SourceRef(
        "infra/s3.tf",
        36,
        "aws_s3_bucket_replication_configuration.documents rule.destination.bucket = "
        '"arn:aws:s3:::partner-kyc-inbox": arn:aws:s3:::partner-kyc-inbox is not declared in '
        "the scanned configuration and names no region",
    )


def test_s3_replication_to_an_indexed_instance_draws_one_edge() -> None:
    tree = {
        "infra/providers.tf": AWS_PROVIDERS,
        "infra/s3.tf": """\
            resource "aws_s3_bucket" "source" {
              bucket = "acme-source"
            }

            resource "aws_s3_bucket" "replica" {
              for_each = toset(["eu", "us"])
              provider = aws.dr
              bucket   = "acme-replica-${each.key}"
            }

            resource "aws_s3_bucket_replication_configuration" "source" {
              role   = "arn:aws:iam::111122223333:role/replication"
              bucket = aws_s3_bucket.source.id

              rule {
                status = "Enabled"
                destination {
                  bucket = aws_s3_bucket.replica["us"].arn
                }
              }
            }
            """,
    }
    assert _edges(_link(tree)) == [
        (
            "terraform:aws_s3_bucket.source",
            'terraform:aws_s3_bucket.replica["us"]',
            "replica",
            "infra/s3.tf",
            18,
        )
    ]


def test_legacy_inline_replication_finds_the_destination_in_another_root_by_arn() -> None:
    tree = {
        "billing/main.tf": """\
            provider "aws" {
              region = "eu-central-1"
            }

            resource "aws_s3_bucket" "audit" {
              bucket = "acme-audit"

              replication_configuration {
                role = "arn:aws:iam::111122223333:role/audit-replication"

                rules {
                  id     = "archive"
                  status = "Enabled"

                  destination {
                    bucket        = "arn:aws:s3:::acme-audit-archive"
                    storage_class = "GLACIER"
                  }
                }
              }
            }
            """,
        "archive/main.tf": """\
            provider "aws" {
              region = "eu-north-1"
            }

            resource "aws_s3_bucket" "archive" {
              bucket = "acme-audit-archive"
            }

            # Same name, other service: an S3 ARN never names a table.
            resource "aws_dynamodb_table" "archive_index" {
              name     = "acme-audit-archive"
              hash_key = "id"
            }
            """,
    }
    link = _link(tree)
    assert _edges(link) == [
        (
            "terraform:aws_s3_bucket.audit",
            "terraform:aws_s3_bucket.archive",
            "replica",
            "billing/main.tf",
            16,
        )
    ]
    assert _where(_store(link, "terraform:aws_s3_bucket.archive")) == (
        "resolved",
        "eu-north-1",
        ("SE",),
    )


# --- DynamoDB ----------------------------------------------------------------------------------

DYNAMODB = """\
variable "dr_region" {
  type = string
}

resource "aws_dynamodb_table" "users" {
  name             = "users"
  hash_key         = "id"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "id"
    type = "S"
  }

  replica {
    region_name = "us-east-1"
  }

  replica {
    region_name = "ap-southeast-1"
  }

  replica {
    region_name = var.dr_region
  }
}
"""


def test_dynamodb_replica_blocks_become_stores_in_their_regions() -> None:
    link = _link({"infra/providers.tf": AWS_PROVIDERS, "infra/users.tf": DYNAMODB})
    base = "terraform:aws_dynamodb_table.users"
    assert _edges(link) == [
        (base, f'{base}.replica["ap-southeast-1"]', "replica", "infra/users.tf", 21),
        (base, f'{base}.replica["us-east-1"]', "replica", "infra/users.tf", 17),
        (base, f'{base}.replica["var.dr_region"]', "replica", "infra/users.tf", 25),
    ]
    assert _ids(link) == [
        base,
        f'{base}.replica["ap-southeast-1"]',
        f'{base}.replica["us-east-1"]',
        f'{base}.replica["var.dr_region"]',
    ]
    singapore = _store(link, f'{base}.replica["ap-southeast-1"]')
    assert (singapore.kind, singapore.name, singapore.file, singapore.line, singapore.labels) == (
        "key_value",
        "users",
        "infra/users.tf",
        21,
        (),
    )
    assert _where(singapore) == ("resolved", "ap-southeast-1", ("SG",))
    unknown = _store(link, f'{base}.replica["var.dr_region"]')
    assert unknown.location.status is LocationStatus.UNKNOWN
    assert unknown.location.evidence == (
        SourceRef("infra/users.tf", 1, 'variable "dr_region" has no default'),
        SourceRef(
            "infra/users.tf",
            25,
            "aws_dynamodb_table.users replica.region_name = var.dr_region: var.dr_region has no "
            "default and no value is given (give it in terraform.tfvars, or under `variables:` "
            "in the residency-audit config)",
        ),
    )


def test_dynamodb_replica_region_given_by_the_config_is_used() -> None:
    link = _link(
        {"infra/providers.tf": AWS_PROVIDERS, "infra/users.tf": DYNAMODB},
        {"dr_region": "eu-west-1"},
    )
    replica = _store(link, 'terraform:aws_dynamodb_table.users.replica["eu-west-1"]')
    assert _where(replica) == ("resolved", "eu-west-1", ("IE",))
    assert replica.location.evidence[0] == SourceRef(
        ".residency-audit.yaml", 5, "config variables: dr_region = 'eu-west-1'"
    )


def test_dynamic_replica_blocks_in_a_module_follow_the_callers_input() -> None:
    tree = {
        "envs/prod/main.tf": AWS_PROVIDERS
        + """
module "sessions" {
  source          = "../../modules/table"
  name            = "sessions"
  replica_regions = ["eu-west-1", "eu-north-1"]
}
""",
        "modules/table/main.tf": """\
            variable "name" {
              type = string
            }

            variable "replica_regions" {
              type    = list(string)
              default = []
            }

            resource "aws_dynamodb_table" "this" {
              name     = var.name
              hash_key = "id"

              dynamic "replica" {
                for_each = toset(var.replica_regions)
                iterator = region
                content {
                  region_name = region.value
                }
              }
            }
            """,
    }
    link = _link(tree)
    base = "terraform:module.sessions.aws_dynamodb_table.this"
    assert _edges(link) == [
        (base, f'{base}.replica["eu-north-1"]', "replica", "modules/table/main.tf", 18),
        (base, f'{base}.replica["eu-west-1"]', "replica", "modules/table/main.tf", 18),
    ]
    stockholm = _store(link, f'{base}.replica["eu-north-1"]')
    assert _where(stockholm) == ("resolved", "eu-north-1", ("SE",))
    assert stockholm.location.evidence == (
        SourceRef(
            "envs/prod/main.tf",
            18,
            'module.sessions input replica_regions = ["eu-west-1", "eu-north-1"]',
        ),
        SourceRef(
            "modules/table/main.tf",
            15,
            'dynamic "replica" for_each = toset(var.replica_regions)',
        ),
        SourceRef(
            "modules/table/main.tf",
            18,
            "module.sessions.aws_dynamodb_table.this replica.region_name = region.value "
            "(eu-north-1)",
        ),
    )


def test_dynamodb_table_replica_resource_copies_the_table_it_names() -> None:
    tree = {
        "infra/providers.tf": AWS_PROVIDERS,
        "infra/users.tf": """\
            resource "aws_dynamodb_table" "users" {
              name             = "users"
              hash_key         = "id"
              stream_enabled   = true
              stream_view_type = "NEW_AND_OLD_IMAGES"
            }

            resource "aws_dynamodb_table_replica" "users_us" {
              provider         = aws.us
              global_table_arn = aws_dynamodb_table.users.arn
            }
            """,
    }
    link = _link(tree)
    assert _edges(link) == [
        (
            "terraform:aws_dynamodb_table.users",
            "terraform:aws_dynamodb_table_replica.users_us",
            "replica",
            "infra/users.tf",
            10,
        )
    ]
    assert _ids(link) == [
        "terraform:aws_dynamodb_table.users",
        "terraform:aws_dynamodb_table_replica.users_us",
    ]
    replica = _store(link, "terraform:aws_dynamodb_table_replica.users_us")
    assert _where(replica) == ("resolved", "us-east-1", ("US",))


# --- RDS and Aurora ------------------------------------------------------------------------------

RDS = """\
resource "aws_db_instance" "orders" {
  identifier     = "orders"
  engine         = "postgres"
  instance_class = "db.r6g.large"
}

resource "aws_db_instance" "orders_read" {
  identifier          = "orders-read"
  replicate_source_db = aws_db_instance.orders.identifier
  instance_class      = "db.r6g.large"
}

resource "aws_db_instance" "orders_dr" {
  provider            = aws.dr
  identifier          = "orders-dr"
  replicate_source_db = aws_db_instance.orders.arn
  instance_class      = "db.r6g.large"
}

resource "aws_db_instance_automated_backups_replication" "orders" {
  provider               = aws.dr
  source_db_instance_arn = aws_db_instance.orders.arn
  retention_period       = 14
}

# A replica of a database managed elsewhere: nothing here says what it holds.
resource "aws_db_instance" "legacy_read" {
  identifier          = "legacy-read"
  replicate_source_db = "arn:aws:rds:eu-central-1:111122223333:db:legacy"
  instance_class      = "db.t4g.medium"
}
"""


def test_rds_read_replicas_and_backup_replication() -> None:
    link = _link({"infra/providers.tf": AWS_PROVIDERS, "infra/rds.tf": RDS})
    orders = "terraform:aws_db_instance.orders"
    backups = "terraform:aws_db_instance_automated_backups_replication.orders"
    assert _edges(link) == [
        (orders, "terraform:aws_db_instance.orders_dr", "replica", "infra/rds.tf", 16),
        (orders, "terraform:aws_db_instance.orders_read", "replica", "infra/rds.tf", 9),
        (orders, backups, "backup", "infra/rds.tf", 22),
    ]
    copy = _store(link, backups)
    assert (copy.kind, copy.name, copy.file, copy.line, copy.resource_type) == (
        "relational_db",
        "orders",
        "infra/rds.tf",
        20,
        "aws_db_instance_automated_backups_replication",
    )
    assert _where(copy) == ("resolved", "eu-west-1", ("IE",))
    assert copy.location.evidence[0] == SourceRef(
        "infra/rds.tf",
        21,
        "aws_db_instance_automated_backups_replication.orders uses provider aws.dr",
    )
    assert "terraform:aws_db_instance.legacy_read" in _ids(link)
    assert len(link.stores) == 5


def test_aurora_global_members_hold_each_others_data() -> None:
    tree = {
        "infra/providers.tf": AWS_PROVIDERS,
        "infra/aurora.tf": """\
            resource "aws_rds_global_cluster" "ledger" {
              global_cluster_identifier = "ledger"
              engine                    = "aurora-postgresql"
            }

            resource "aws_rds_cluster" "primary" {
              cluster_identifier        = "ledger-euc1"
              global_cluster_identifier = aws_rds_global_cluster.ledger.id
            }

            resource "aws_rds_cluster" "secondary" {
              provider                  = aws.us
              cluster_identifier        = "ledger-use1"
              global_cluster_identifier = aws_rds_global_cluster.ledger.id
            }
            """,
    }
    hub = "terraform:aws_rds_global_cluster.ledger"
    primary, secondary = "terraform:aws_rds_cluster.primary", "terraform:aws_rds_cluster.secondary"
    assert _edges(_link(tree)) == [
        (primary, hub, "replica", "infra/aurora.tf", 8),
        (secondary, hub, "replica", "infra/aurora.tf", 14),
        (hub, primary, "replica", "infra/aurora.tf", 8),
        (hub, secondary, "replica", "infra/aurora.tf", 14),
    ]


# --- AWS Backup ----------------------------------------------------------------------------------

BACKUP = """\
resource "aws_dynamodb_table" "payments" {
  name     = "payments"
  hash_key = "id"
}

resource "aws_backup_vault" "main" {
  name = "main"
}

resource "aws_backup_vault" "dr" {
  provider = aws.dr
  name     = "main-dr"
}

resource "aws_backup_vault" "archive" {
  name = "archive"
}

resource "aws_backup_plan" "payments" {
  name = "payments"

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.main.name
    schedule          = "cron(0 3 * * ? *)"

    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn
    }
  }

  rule {
    rule_name         = "monthly"
    target_vault_name = aws_backup_vault.archive.name
    schedule          = "cron(0 4 1 * ? *)"

    dynamic "copy_action" {
      for_each = ["arn:aws:backup:eu-north-1:444455556666:backup-vault:compliance"]
      content {
        destination_vault_arn = copy_action.value
      }
    }
  }
}

resource "aws_backup_selection" "payments" {
  name         = "payments"
  iam_role_arn = "arn:aws:iam::111122223333:role/backup"
  plan_id      = aws_backup_plan.payments.id
  resources    = [aws_dynamodb_table.payments.arn]
}
"""


def test_backup_plan_copies_each_rules_vault_to_that_rules_destinations() -> None:
    link = _link({"infra/providers.tf": AWS_PROVIDERS, "infra/backup.tf": BACKUP})
    vault = "terraform:aws_backup_vault"
    compliance = 'terraform:aws_backup_plan.payments.copy_action["eu-north-1"]'
    assert _edges(link) == [
        (f"{vault}.archive", compliance, "backup", "infra/backup.tf", 40),
        (f"{vault}.main", f"{vault}.dr", "backup", "infra/backup.tf", 28),
        (
            "terraform:aws_dynamodb_table.payments",
            f"{vault}.archive",
            "backup",
            "infra/backup.tf",
            49,
        ),
        ("terraform:aws_dynamodb_table.payments", f"{vault}.main", "backup", "infra/backup.tf", 49),
    ]
    other_account = _store(link, compliance)
    assert (other_account.kind, other_account.file, other_account.line) == (
        "backup_vault",
        "infra/backup.tf",
        40,
    )
    assert _where(other_account) == ("resolved", "eu-north-1", ("SE",))
    assert other_account.location.evidence[-1].note.endswith(
        "rule.copy_action.destination_vault_arn = copy_action.value: region eu-north-1 from the ARN"
    )


# --- Google Cloud Storage ----------------------------------------------------------------------


def test_gcs_multi_and_dual_regions_are_the_buckets_own_location_not_copies() -> None:
    tree = {
        "gcp/main.tf": """\
            variable "second_region" {
              type = string
            }

            resource "google_storage_bucket" "eu" {
              name     = "acme-eu"
              location = "EU"
            }

            resource "google_storage_bucket" "dual" {
              name     = "acme-dual"
              location = "EU"

              custom_placement_config {
                data_locations = ["EUROPE-WEST1", "EUROPE-NORTH1"]
              }
            }

            resource "google_storage_bucket" "half_known" {
              name     = "acme-half-known"
              location = "EU"

              custom_placement_config {
                data_locations = ["EUROPE-WEST4", var.second_region]
              }
            }
            """,
    }
    link = _link(tree)
    assert link.edges == ()
    assert _ids(link) == [
        "terraform:google_storage_bucket.eu",
        "terraform:google_storage_bucket.dual",
        "terraform:google_storage_bucket.half_known",
    ]
    eu = ("multi", "EU", ("BE", "DE", "ES", "FI", "FR", "IT", "NL", "PL", "SE"))
    assert _where(_store(link, "terraform:google_storage_bucket.eu")) == eu
    dual = _store(link, "terraform:google_storage_bucket.dual")
    assert _where(dual) == ("multi", "europe-west1,europe-north1", ("BE", "FI"))
    assert [ref.line for ref in dual.location.evidence] == [12, 15, 15]
    assert _where(_store(link, "terraform:google_storage_bucket.half_known")) == eu


# --- Azure -------------------------------------------------------------------------------------


def test_azure_geo_redundant_storage_copies_to_the_paired_region() -> None:
    tree = {
        "azure/providers.tf": AZURE_PROVIDER,
        "azure/storage.tf": """\
            variable "replication" {
              type = string
            }

            resource "azurerm_storage_account" "media" {
              name                     = "acmemedia"
              resource_group_name      = "rg-media"
              location                 = "West Europe"
              account_tier             = "Standard"
              account_replication_type = "RAGRS"
            }

            resource "azurerm_storage_account" "exports" {
              name                     = "acmeexports"
              resource_group_name      = "rg-exports"
              location                 = "germanywestcentral"
              account_tier             = "Standard"
              account_replication_type = "GZRS"
            }

            resource "azurerm_storage_account" "cache" {
              name                     = "acmecache"
              resource_group_name      = "rg-cache"
              location                 = "westeurope"
              account_tier             = "Standard"
              account_replication_type = "ZRS"
            }

            resource "azurerm_storage_account" "unsure" {
              name                     = "acmeunsure"
              resource_group_name      = "rg-unsure"
              location                 = "westeurope"
              account_tier             = "Standard"
              account_replication_type = var.replication
            }
            """,
    }
    link = _link(tree)
    account = "terraform:azurerm_storage_account"
    exports_copy = f'{account}.exports.account_replication_type["germanynorth"]'
    media_copy = f'{account}.media.account_replication_type["northeurope"]'
    assert _edges(link) == [
        (f"{account}.exports", exports_copy, "replica", "azure/storage.tf", 18),
        (f"{account}.media", media_copy, "replica", "azure/storage.tf", 10),
    ]
    copy = _store(link, media_copy)
    assert _where(copy) == ("resolved", "northeurope", ("IE",))
    assert (copy.kind, copy.name, copy.line) == ("object_storage", "acmemedia", 10)
    assert copy.location.evidence == (
        SourceRef("azure/storage.tf", 8, 'azurerm_storage_account.media location = "West Europe"'),
        SourceRef(
            "azure/storage.tf",
            10,
            'azurerm_storage_account.media account_replication_type = "RAGRS": replica in '
            "westeurope's paired region northeurope",
        ),
    )
    assert _where(_store(link, exports_copy)) == ("resolved", "germanynorth", ("DE",))


def test_geo_redundancy_of_a_store_in_an_unknown_region_draws_nothing() -> None:
    tree = {
        "azure/storage.tf": """\
            variable "location" {
              type = string
            }

            resource "azurerm_storage_account" "media" {
              name                     = "acmemedia"
              resource_group_name      = "rg-media"
              location                 = var.location
              account_tier             = "Standard"
              account_replication_type = "GRS"
            }
            """,
    }
    link = _link(tree)
    assert link.edges == ()
    assert _ids(link) == ["terraform:azurerm_storage_account.media"]


def test_cosmos_geo_locations_and_the_default_geo_backup() -> None:
    tree = {
        "azure/providers.tf": AZURE_PROVIDER,
        "azure/cosmos.tf": """\
            resource "azurerm_cosmosdb_account" "profiles" {
              name                = "acme-profiles"
              location            = "westeurope"
              resource_group_name = "rg-profiles"
              offer_type          = "Standard"

              consistency_policy {
                consistency_level = "Session"
              }

              geo_location {
                location          = "westeurope"
                failover_priority = 0
              }

              geo_location {
                location          = "East US"
                failover_priority = 1
              }
            }
            """,
    }
    link = _link(tree)
    base = "terraform:azurerm_cosmosdb_account.profiles"
    assert _edges(link) == [
        (base, f'{base}.backup["northeurope"]', "backup", "azure/cosmos.tf", 1),
        (base, f'{base}.geo_location["eastus"]', "replica", "azure/cosmos.tf", 17),
    ]
    assert _where(_store(link, f'{base}.geo_location["eastus"]')) == ("resolved", "eastus", ("US",))
    backup = _store(link, f'{base}.backup["northeurope"]')
    assert backup.location.evidence[-1] == SourceRef(
        "azure/cosmos.tf",
        1,
        "azurerm_cosmosdb_account.profiles backup.storage_redundancy defaults to Geo: backup in "
        "westeurope's paired region northeurope",
    )


def test_sql_failover_group_replicates_to_the_partner_server() -> None:
    tree = {
        "azure/providers.tf": AZURE_PROVIDER,
        "azure/sql.tf": """\
            resource "azurerm_mssql_server" "primary" {
              name                = "acme-sql-weu"
              resource_group_name = "rg-sql"
              location            = "westeurope"
              version             = "12.0"
            }

            resource "azurerm_mssql_server" "secondary" {
              name                = "acme-sql-sea"
              resource_group_name = "rg-sql"
              location            = "southeastasia"
              version             = "12.0"
            }

            resource "azurerm_mssql_failover_group" "main" {
              name      = "acme-sql"
              server_id = azurerm_mssql_server.primary.id

              partner_server {
                id = azurerm_mssql_server.secondary.id
              }

              read_write_endpoint_failover_policy {
                mode          = "Automatic"
                grace_minutes = 60
              }
            }
            """,
    }
    assert _edges(_link(tree)) == [
        (
            "terraform:azurerm_mssql_server.primary",
            "terraform:azurerm_mssql_server.secondary",
            "replica",
            "azure/sql.tf",
            20,
        )
    ]


# --- Yandex Data Transfer (an indirection through endpoints) --------------------------------------

YANDEX_TRANSFER = """\
provider "yandex" {
  zone = "ru-central1-a"
}

resource "yandex_mdb_postgresql_cluster" "orders" {
  name = "orders"

  host {
    zone = "ru-central1-a"
  }
}

resource "yandex_mdb_postgresql_cluster" "analytics" {
  name = "analytics"

  host {
    zone = "ru-central1-b"
  }
}

resource "yandex_datatransfer_endpoint" "orders" {
  name = "orders"
  settings {
    postgres_source {
      connection {
        mdb_cluster_id = yandex_mdb_postgresql_cluster.orders.id
      }
    }
  }
}

resource "yandex_datatransfer_endpoint" "analytics" {
  name = "analytics"
  settings {
    postgres_target {
      connection {
        mdb_cluster_id = yandex_mdb_postgresql_cluster.analytics.id
      }
    }
  }
}

resource "yandex_datatransfer_endpoint" "partner" {
  name = "partner"
  settings {
    postgres_target {
      connection {
        on_premise {
          hosts = ["pg.partner.example.com"]
          port  = 5432
        }
      }
    }
  }
}

resource "yandex_datatransfer_transfer" "to_analytics" {
  source_id = yandex_datatransfer_endpoint.orders.id
  target_id = yandex_datatransfer_endpoint.analytics.id
  type      = "SNAPSHOT_AND_INCREMENT"
}

resource "yandex_datatransfer_transfer" "to_partner" {
  source_id = yandex_datatransfer_endpoint.orders.id
  target_id = yandex_datatransfer_endpoint.partner.id
  type      = "SNAPSHOT_ONLY"
}
"""


def test_data_transfer_follows_its_endpoints_to_clusters_and_hosts() -> None:
    link = _link({"ru/transfer.tf": YANDEX_TRANSFER})
    orders = "terraform:yandex_mdb_postgresql_cluster.orders"
    partner = 'terraform:yandex_datatransfer_endpoint.partner.on_premise["pg.partner.example.com"]'
    assert _edges(link) == [
        (orders, partner, "copy", "ru/transfer.tf", 65),
        (orders, "terraform:yandex_mdb_postgresql_cluster.analytics", "copy", "ru/transfer.tf", 59),
    ]
    external = _store(link, partner)
    assert (external.kind, external.file, external.line) == ("relational_db", "ru/transfer.tf", 49)
    assert external.location.status is LocationStatus.UNKNOWN
    assert external.location.evidence[-1].note.endswith(
        "host pg.partner.example.com does not reveal where it is"
    )


# --- references through modules -----------------------------------------------------------------


def test_references_follow_module_outputs_and_inputs() -> None:
    tree = {
        "envs/prod/main.tf": AWS_PROVIDERS
        + """
resource "aws_s3_bucket" "documents" {
  bucket = "acme-documents"
}

module "dr_bucket" {
  source = "../../modules/bucket"
  name   = "acme-documents-dr"

  providers = {
    aws = aws.dr
  }
}

module "replication" {
  source             = "../../modules/replication"
  source_bucket      = aws_s3_bucket.documents.id
  destination_bucket = module.dr_bucket.arn
}
""",
        "modules/bucket/main.tf": """\
            variable "name" {
              type = string
            }

            resource "aws_s3_bucket" "this" {
              bucket = var.name
            }

            output "arn" {
              value = aws_s3_bucket.this.arn
            }
            """,
        "modules/replication/main.tf": """\
            variable "source_bucket" {
              type = string
            }

            variable "destination_bucket" {
              type = string
            }

            resource "aws_s3_bucket_replication_configuration" "this" {
              role   = "arn:aws:iam::111122223333:role/replication"
              bucket = var.source_bucket

              rule {
                status = "Enabled"
                destination {
                  bucket = var.destination_bucket
                }
              }
            }
            """,
    }
    link = _link(tree)
    assert _edges(link) == [
        (
            "terraform:aws_s3_bucket.documents",
            "terraform:module.dr_bucket.aws_s3_bucket.this",
            "replica",
            "modules/replication/main.tf",
            16,
        )
    ]
    dr = _store(link, "terraform:module.dr_bucket.aws_s3_bucket.this")
    assert _where(dr) == ("resolved", "eu-west-1", ("IE",))


def test_a_well_known_registry_module_stands_for_the_bucket_it_creates() -> None:
    tree = {
        "infra/main.tf": AWS_PROVIDERS
        + """
resource "aws_s3_bucket" "documents" {
  bucket = "acme-documents"
}

module "documents_dr" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"
  bucket  = "acme-documents-dr"

  providers = {
    aws = aws.dr
  }
}

resource "aws_s3_bucket_replication_configuration" "documents" {
  role   = "arn:aws:iam::111122223333:role/replication"
  bucket = aws_s3_bucket.documents.id

  rule {
    status = "Enabled"
    destination {
      bucket = module.documents_dr.s3_bucket_arn
    }
  }
}
""",
    }
    link = _link(tree)
    assert _edges(link) == [
        (
            "terraform:aws_s3_bucket.documents",
            "terraform:module.documents_dr",
            "replica",
            "infra/main.tf",
            36,
        )
    ]
    assert _ids(link) == ["terraform:aws_s3_bucket.documents", "terraform:module.documents_dr"]


# --- ids -----------------------------------------------------------------------------------------


def test_ids_two_roots_share_get_the_file_and_edges_follow_them() -> None:
    table = """\
        provider "aws" {
          region = "eu-central-1"
        }

        resource "aws_dynamodb_table" "users" {
          name     = "users"
          hash_key = "id"

          replica {
            region_name = "us-east-1"
          }
        }
        """
    link = _link({"envs/prod/main.tf": table, "envs/stage/main.tf": table})
    table_id = "terraform:aws_dynamodb_table.users"
    replica_id = f'{table_id}.replica["us-east-1"]'
    assert _edges(link) == [
        (
            f"{table_id}@envs/prod/main.tf",
            f"{replica_id}@envs/prod/main.tf",
            "replica",
            "envs/prod/main.tf",
            10,
        ),
        (
            f"{table_id}@envs/stage/main.tf",
            f"{replica_id}@envs/stage/main.tf",
            "replica",
            "envs/stage/main.tf",
            10,
        ),
    ]
    assert len(set(_ids(link))) == 4


# --- the catalog fields copies rely on ---------------------------------------------------------


def test_catalog_marks_placements_and_mutual_groups() -> None:
    placements = sorted(r.id for r in catalog.all_copy_rules() if r.placement)
    mutual = sorted(r.id for r in catalog.all_copy_rules() if r.mutual)
    assert placements == ["gcs-custom-placement"]
    assert mutual == ["aws-aurora-global-member"]
    (selection,) = catalog.copy_rules("aws_backup_selection")
    assert [str(p.path) for p in selection.source.paths] == ["resources[*]"]
    plan = catalog.indirection("aws_backup_plan")
    assert plan is not None
    assert [str(p) for p in plan.store_paths] == ["rule[*].target_vault_name"]


def test_a_placement_that_is_not_self_to_locations_fails_the_check(tmp_path: Path) -> None:
    source = resources.files("residency_audit.sources.terraform").joinpath("data")
    with resources.as_file(source) as path:
        shutil.copytree(path, tmp_path / "data")
    aws = tmp_path / "data" / "resources" / "aws.yaml"
    text = aws.read_text(encoding="utf-8")
    old = "    when: [{path: replicate_source_db, values: []}]\n"
    assert text.count(old) == 1
    aws.write_text(text.replace(old, old + "    placement: true\n"), encoding="utf-8")
    with pytest.raises(CatalogError, match="a placement goes from self to locations"):
        catalog.check_data(tmp_path / "data")


def test_odd_values_end_as_unknown_locations_never_as_errors() -> None:
    tree = {
        "infra/main.tf": AWS_PROVIDERS
        + """
variable "replicas" {
  type = list(string)
}

resource "aws_dynamodb_table" "odd" {
  name     = "odd"
  hash_key = "id"

  replica {
    region_name = 42
  }

  dynamic "replica" {
    for_each = var.replicas
    content {
      region_name = replica.value
    }
  }

  dynamic "replica" {
    for_each = ["eu-west-1"]
  }
}

resource "aws_s3_bucket" "odd" {
  bucket = "odd"
}

resource "aws_s3_bucket_replication_configuration" "odd" {
  role   = "arn:aws:iam::111122223333:role/replication"
  bucket = aws_s3_bucket.odd.id

  rule {
    status = "Enabled"
    destination {
      bucket = { name = "not-an-arn" }
    }
  }
}
""",
    }
    link = _link(tree)
    table = "terraform:aws_dynamodb_table.odd"
    bucket_target = (
        "terraform:aws_s3_bucket_replication_configuration.odd"
        '.destination["{ name = \\"not-an-arn\\" }"]'
    )
    assert _edges(link) == [
        (table, f'{table}.replica["42"]', "replica", "infra/main.tf", 24),
        (table, f'{table}.replica["replica.value"]', "replica", "infra/main.tf", 30),
        ("terraform:aws_s3_bucket.odd", bucket_target, "replica", "infra/main.tf", 50),
    ]
    notes = {e.target: _store(link, e.target).location.evidence[-1].note for e in link.edges}
    assert notes == {
        bucket_target: "aws_s3_bucket_replication_configuration.odd rule.destination.bucket = "
        '{ name = "not-an-arn" }: not a reference or a name',
        f'{table}.replica["42"]': "aws_dynamodb_table.odd replica.region_name = 42: "
        "not a location string",
        f'{table}.replica["replica.value"]': "aws_dynamodb_table.odd replica.region_name = "
        'replica.value: dynamic "replica" for_each cannot be evaluated (var.replicas has no '
        "default and no value is given (give it in terraform.tfvars, or under `variables:` in "
        "the residency-audit config))",
    }
