"""Terraform plan JSON: stores from planned values, regions from the plan's configuration,
and the merge with stores read from the .tf sources."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from residency_audit.discovery import kind_of
from residency_audit.link import unique_ids
from residency_audit.model import Edge, EdgeKind, LocationStatus, ScanError, SourceRef, Store
from residency_audit.sources.terraform.link import link_terraform
from residency_audit.sources.terraform.module import group_modules
from residency_audit.sources.terraform.parse import TerraformFile, parse_terraform
from residency_audit.sources.terraform.plan import (
    PlanFacts,
    config_address,
    looks_like_plan,
    merge_plans,
    parse_plan,
    split_address,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tf-plan"
AWS = "registry.terraform.io/hashicorp/aws"
NO_VARIABLES = SourceRef(".residency-audit.yaml", None, "config variables:")


def _resource(address: str, type_name: str, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    name = config_address(address).rsplit(".", 1)[-1]
    return {
        "address": address,
        "mode": "managed",
        "type": type_name,
        "name": name,
        **extra,
        "provider_name": AWS,
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }


def _plan(
    resources: list[dict[str, Any]],
    *,
    children: list[dict[str, Any]] | None = None,
    providers: dict[str, Any] | None = None,
    root_config: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
    changes: list[dict[str, Any]] | None = None,
) -> str:
    """A plan shaped as ``terraform show -json`` writes it, pretty-printed as by ``jq .``."""
    document = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "variables": {k: {"value": v} for k, v in (variables or {}).items()},
        "planned_values": {
            "root_module": {"resources": resources, "child_modules": children or []}
        },
        "resource_changes": changes or [],
        "configuration": {
            "provider_config": providers or {},
            "root_module": root_config or {},
        },
    }
    return json.dumps(document, indent=2)


def _aws(region: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "aws": {
            "name": "aws",
            "full_name": AWS,
            "expressions": {"region": region, **more},
        }
    }


def _by_id(facts: PlanFacts) -> dict[str, Store]:
    return {store.id: store for store in facts.stores}


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# -- parsing --------------------------------------------------------------------------------


def test_plan_only_fixture_gives_every_store_with_its_line() -> None:
    path = FIXTURES / "plan-only" / "plans" / "prod.tfplan.json"
    facts = parse_plan("plans/prod.tfplan.json", path.read_text())
    assert facts.error is None
    assert [(s.id, s.line, s.location.region, s.location.countries) for s in facts.stores] == [
        ('terraform:google_bigquery_dataset.analytics["clickstream"]', 19, "europe-west1", ("BE",)),
        ('terraform:google_bigquery_dataset.analytics["marketing"]', 54, "europe-west1", ("BE",)),
        ("terraform:google_sql_database_instance.accounts", 89, "europe-west3", ("DE",)),
        (
            "terraform:google_storage_bucket.user_uploads",
            162,
            "EU",
            ("BE", "DE", "ES", "FI", "FR", "IT", "NL", "PL", "SE"),
        ),
        ("terraform:module.crm[0].google_sql_database_instance.contacts", 400, None, ()),
        ("terraform:yandex_mdb_postgresql_cluster.orders", 206, "ru-central1", ("RU",)),
        ("terraform:yandex_storage_bucket.receipts", 283, "ru-central1", ("RU",)),
    ]
    stores = _by_id(facts)
    accounts = stores["terraform:google_sql_database_instance.accounts"]
    assert accounts.file == "plans/prod.tfplan.json"
    assert (accounts.kind, accounts.name) == ("relational_db", "accounts")
    assert accounts.labels == (("pii", "true"),)
    assert accounts.location.evidence == (
        SourceRef("plans/prod.tfplan.json", 8, 'plan variable gcp_region = "europe-west3"'),
        SourceRef(
            "plans/prod.tfplan.json",
            1117,
            'provider "google" region = var.gcp_region (europe-west3)',
        ),
    )
    contacts = stores["terraform:module.crm[0].google_sql_database_instance.contacts"]
    assert contacts.location.status is LocationStatus.UNKNOWN
    assert contacts.location.provider == "gcp"
    assert contacts.location.evidence[-1] == SourceRef(
        "plans/prod.tfplan.json",
        1132,
        'provider "google" (alias analytics) sets no region; region taken from the environment '
        "at apply time (GOOGLE_REGION, GCLOUD_REGION, CLOUDSDK_COMPUTE_REGION, GOOGLE_ZONE, "
        "GCLOUD_ZONE, CLOUDSDK_COMPUTE_ZONE)",
    )
    orders = stores["terraform:yandex_mdb_postgresql_cluster.orders"]
    assert orders.labels == (("personal_data", "true"),)
    assert [ref.note for ref in orders.location.evidence] == [
        'yandex_mdb_postgresql_cluster.orders host[*].zone = "ru-central1-a" (planned value)',
        'yandex_mdb_postgresql_cluster.orders host[*].zone = "ru-central1-b" (planned value)',
    ]
    # Non-store resources are not stores but still tell which configuration this plan is.
    assert "yandex_vpc_subnet.a" in facts.resource_addresses
    assert "module.crm.google_sql_database_instance.contacts" in facts.resource_addresses


def test_lines_point_at_the_keys_they_name() -> None:
    path = FIXTURES / "plan-only" / "plans" / "prod.tfplan.json"
    lines = path.read_text().splitlines()
    assert lines[89 - 1].strip() == '"address": "google_sql_database_instance.accounts",'
    assert lines[8 - 1].strip() == '"gcp_region": {'
    assert lines[1117 - 1].strip() == '"google": {'
    assert lines[1132 - 1].strip() == '"google.analytics": {'


def test_region_from_a_variable_count_for_each_and_alias() -> None:
    path = FIXTURES / "with-sources" / "infra" / "prod" / "plan.json"
    facts = parse_plan("infra/prod/plan.json", path.read_text())
    stores = _by_id(facts)
    assert sorted(stores) == [
        "terraform:aws_s3_bucket.audit_logs[0]",
        "terraform:aws_s3_bucket.audit_logs[1]",
        "terraform:aws_s3_bucket.customer_documents",
        "terraform:aws_s3_bucket.customer_documents_dr",
        'terraform:module.customers_db["checkout"].aws_db_instance.this',
        'terraform:module.customers_db["loyalty"].aws_db_instance.this',
    ]
    dr = stores["terraform:aws_s3_bucket.customer_documents_dr"]
    assert (dr.location.region, dr.location.countries) == ("eu-north-1", ("SE",))
    assert [ref.note for ref in dr.location.evidence] == [
        "aws_s3_bucket.customer_documents_dr uses provider aws.dr",
        'provider "aws" (alias dr) region = "eu-north-1"',
    ]
    db = stores['terraform:module.customers_db["checkout"].aws_db_instance.this']
    assert (db.name, db.location.region) == ("shop-prod-checkout", "eu-central-1")
    # default_tags come from the provider's configuration, tags from the planned values.
    assert db.labels == (
        ("DataClassification", "PII"),
        ("ManagedBy", "terraform"),
        ("Project", "shop"),
        ("Service", "postgres"),
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{\n  "format_version": "1.2",\n  "planned_values": {\n}', 4, "JSON syntax error: "),
        ("[1, 2]", None, "not a Terraform plan: the top level is not a JSON object"),
        ('{"planned_values": {}}', None, "not a Terraform plan: no format_version"),
        (
            '{"format_version": "2.0", "planned_values": {}}',
            None,
            "unsupported plan format_version '2.0' (this version reads 1.x",
        ),
        (
            '{"format_version": "0.2", "planned_values": {}}',
            None,
            "unsupported plan format_version '0.2'",
        ),
        (
            '{"format_version": "1.0", "terraform_version": "1.9.8", "values": {}}',
            None,
            "Terraform JSON that is a state: no planned_values or resource_changes",
        ),
        ("[" * 200_000 + "]" * 200_000, None, "JSON nested too deeply to read"),
        ('{"format_version": "1.2", "n": ' + "9" * 5000 + "}", None, "JSON not readable: "),
    ],
)
def test_bad_input_becomes_an_error(text: str, line: int | None, message: str) -> None:
    facts = parse_plan("plan.json", text)
    assert facts.stores == ()
    assert facts.error is not None
    assert (facts.error.file, facts.error.line) == ("plan.json", line)
    assert facts.error.message.startswith(message), facts.error.message


def test_wrong_shapes_inside_a_valid_plan_are_ignored() -> None:
    text = json.dumps(
        {
            "format_version": "1.2",
            "variables": [],
            "planned_values": {"root_module": {"resources": [7, {"address": 3}, None]}},
            "resource_changes": {"x": 1},
            "configuration": {"provider_config": "aws", "root_module": []},
        }
    )
    assert parse_plan("plan.json", text) == PlanFacts("plan.json")


def test_module_nesting_beyond_the_limit_is_reported() -> None:
    module: dict[str, Any] = {"resources": []}
    for depth in range(40):
        module = {"address": f"module.m{depth}", "resources": [], "child_modules": [module]}
    text = json.dumps({"format_version": "1.2", "planned_values": {"root_module": module}})
    facts = parse_plan("plan.json", text)
    assert facts.error == ScanError(
        "plan.json", None, "modules nest deeper than 32; deeper not read"
    )


def test_sniffing_looks_at_the_first_bytes_only() -> None:
    assert looks_like_plan(b'{"format_version":"1.2","terraform_version":"1.9.8","planned_values":')
    assert looks_like_plan(b'{\n  "format_version": "1.2",\n  "resource_changes": [')
    assert not looks_like_plan(b'{"format_version": "1.0", "values": {"root_module": {}}}')
    assert not looks_like_plan(b'{"name": "shop", "dependencies": {"planned_values": "1"}}')


def test_addresses_split_with_keys_that_hold_dots_and_brackets() -> None:
    address = 'module.db["eu.west[1]"].module.pg[0].aws_db_instance.this["a\\"b"]'
    assert config_address(address) == "module.db.module.pg.aws_db_instance.this"
    assert split_address(address) == (("db", "pg"), "aws_db_instance.this")
    assert split_address("module.db") == (("db",), "")
    assert split_address("data.aws_region.current") == ((), "data.aws_region.current")


def test_data_sources_and_non_store_types_are_not_stores() -> None:
    text = _plan(
        [
            {
                **_resource("data.aws_s3_bucket.legacy", "aws_s3_bucket", {"bucket": "x"}),
                "mode": "data",
            },
            _resource("aws_iam_role.app", "aws_iam_role", {"name": "app"}),
        ],
        providers=_aws({"constant_value": "eu-west-1"}),
    )
    facts = parse_plan("plan.json", text)
    assert facts.stores == ()
    assert facts.resource_addresses == ("aws_iam_role.app",)


def test_the_resources_own_region_wins_over_the_provider() -> None:
    # AWS provider v6 plans carry `region` on every resource.
    text = _plan(
        [
            _resource(
                "aws_s3_bucket.docs", "aws_s3_bucket", {"bucket": "docs", "region": "ru-central1"}
            )
        ],
        providers=_aws({"constant_value": "eu-west-1"}),
    )
    location = parse_plan("plan.json", text).stores[0].location
    # ru-central1 is not an AWS region: the planned value is reported as it is, not replaced.
    assert location.status is LocationStatus.UNKNOWN
    assert location.evidence[-1].note == "region 'ru-central1' is not a known aws region"


def test_module_providers_are_inherited_and_variables_followed_through_calls() -> None:
    child_bucket = _resource("module.app.module.files.aws_s3_bucket.this", "aws_s3_bucket", {})
    text = _plan(
        [],
        children=[
            {
                "address": "module.app",
                "resources": [],
                "child_modules": [
                    {"address": "module.app.module.files", "resources": [child_bucket]}
                ],
            }
        ],
        providers={
            "module.app:aws": {
                "name": "aws",
                "full_name": AWS,
                "module_address": "module.app",
                "expressions": {"region": {"references": ["var.region"]}},
            }
        },
        root_config={
            "module_calls": {
                "app": {
                    "source": "./app",
                    "expressions": {"region": {"references": ["var.home_region"]}},
                    "module": {
                        "module_calls": {
                            "files": {
                                "source": "./files",
                                "module": {
                                    "resources": [
                                        {
                                            "address": "aws_s3_bucket.this",
                                            "mode": "managed",
                                            "type": "aws_s3_bucket",
                                            "name": "this",
                                            "provider_config_key": "module.app.module.files:aws",
                                        }
                                    ]
                                },
                            }
                        },
                    },
                }
            }
        },
        variables={"home_region": "eu-west-2"},
    )
    store = parse_plan("plan.json", text).stores[0]
    assert (store.location.region, store.location.countries) == ("eu-west-2", ("GB",))
    assert [ref.note for ref in store.location.evidence] == [
        'plan variable home_region = "eu-west-2"',
        "module.app input region = var.home_region",
        'provider "aws" in module.app region = var.region (eu-west-2)',
    ]


@pytest.mark.parametrize(
    ("region", "reason"),
    [
        (
            {"references": ["local.region"]},
            'provider "aws" region = local.region: refers to local.region, whose value the '
            "plan's configuration does not record",
        ),
        (
            {"references": ["var.missing"]},
            'provider "aws" region = var.missing: var.missing has no value in the plan',
        ),
        (
            {"references": ['var.regions["eu"]', "var.regions"]},
            'provider "aws" region = var.regions["eu"]: refers to var.regions["eu"], whose value '
            "the plan's configuration does not record",
        ),
    ],
)
def test_regions_the_plan_cannot_tell_are_unknown_with_the_reason(
    region: dict[str, Any], reason: str
) -> None:
    text = _plan(
        [_resource("aws_s3_bucket.docs", "aws_s3_bucket", {"bucket": "docs"})],
        providers=_aws(region),
        variables={"regions": {"eu": "eu-west-1"}},
    )
    location = parse_plan("plan.json", text).stores[0].location
    assert location.status is LocationStatus.UNKNOWN
    assert location.evidence[-1].note == reason


def test_no_provider_configuration_means_the_environment_decides() -> None:
    text = _plan([_resource("aws_s3_bucket.docs", "aws_s3_bucket", {"bucket": "docs"})])
    location = parse_plan("plan.json", text).stores[0].location
    assert location.status is LocationStatus.UNKNOWN
    assert location.evidence[-1] == SourceRef(
        "plan.json",
        _line_of(text, '"address": "aws_s3_bucket.docs"'),
        'no provider "aws" configuration in the plan applies to aws_s3_bucket.docs; region taken '
        "from the environment at apply time (AWS_REGION, AWS_DEFAULT_REGION)",
    )


def test_an_s3_endpoint_in_russia_decides_over_the_region() -> None:
    text = _plan(
        [_resource("aws_s3_bucket.docs", "aws_s3_bucket", {"bucket": "docs"})],
        providers=_aws(
            {"constant_value": "us-east-1"},
            endpoints=[{"s3": {"constant_value": "https://hb.ru-msk.vkcs.cloud"}}],
        ),
    )
    location = parse_plan("plan.json", text).stores[0].location
    assert (location.provider, location.region, location.countries) == ("vkcs", "ru-msk", ("RU",))
    assert location.evidence[-1].note == (
        'provider "aws" endpoints.s3 = "https://hb.ru-msk.vkcs.cloud" (vkcs ru-msk)'
    )


def test_a_location_known_only_after_apply_says_so() -> None:
    text = _plan(
        [_resource("google_storage_bucket.media", "google_storage_bucket", {"name": "media"})],
        changes=[
            {
                "address": "google_storage_bucket.media",
                "change": {"actions": ["create"], "after_unknown": {"location": True}},
            }
        ],
    )
    location = parse_plan("plan.json", text).stores[0].location
    assert (
        location.evidence[-1].note == "google_storage_bucket.media location known only after apply"
    )


def test_an_errored_plan_without_planned_values_uses_the_changes() -> None:
    text = json.dumps(
        {
            "format_version": "1.2",
            "resource_changes": [
                {
                    "address": "google_storage_bucket.media",
                    "mode": "managed",
                    "type": "google_storage_bucket",
                    "name": "media",
                    "change": {"actions": ["create"], "after": {"location": "ASIA", "name": "m"}},
                },
                {
                    "address": "google_storage_bucket.old",
                    "mode": "managed",
                    "type": "google_storage_bucket",
                    "name": "old",
                    "change": {"actions": ["delete"], "before": {"location": "US"}, "after": None},
                },
            ],
            "errored": True,
        }
    )
    facts = parse_plan("plan.json", text)
    assert [(s.id, s.location.region) for s in facts.stores] == [
        ("terraform:google_storage_bucket.media", "ASIA")
    ]


def test_terraform_s_own_one_line_output_puts_everything_on_line_one() -> None:
    path = FIXTURES / "plan-only" / "plans" / "prod.tfplan.json"
    compact = json.dumps(json.loads(path.read_text()), separators=(",", ":"))
    facts = parse_plan("plan.json", compact)
    accounts = _by_id(facts)["terraform:google_sql_database_instance.accounts"]
    assert accounts.line == 1
    assert [ref.line for ref in accounts.location.evidence] == [1, 1]
    assert accounts.location.countries == ("DE",)


def test_facts_are_picklable() -> None:
    path = FIXTURES / "plan-only" / "plans" / "prod.tfplan.json"
    facts = parse_plan("plans/prod.tfplan.json", path.read_text())
    assert pickle.loads(pickle.dumps(facts)) == facts


# -- merging with the .tf sources -------------------------------------------------------------

PROVIDERS = """\
provider "aws" {
  region = var.region
}
"""

VARIABLES = """\
variable "region" {
  type = string
}

variable "copies" {
  type = number
}
"""

STORAGE = """\
resource "aws_s3_bucket" "docs" {
  bucket = "docs"
}

resource "aws_s3_bucket" "logs" {
  count  = var.copies
  bucket = "logs-${count.index}"
}

module "db" {
  source = "../modules/db"
}

module "cache" {
  source  = "terraform-aws-modules/elasticache/aws"
  version = "1.4.1"
}
"""

MODULE = """\
resource "aws_db_instance" "this" {
  identifier = "app"
  tags       = { pii = "true" }
}
"""


def _files(tree: dict[str, str]) -> list[TerraformFile]:
    files = [parse_terraform(path, text, kind_of(path)) for path, text in tree.items()]
    assert all(f.error is None for f in files), [f.error for f in files]
    return files


def _envs(*names: str) -> dict[str, str]:
    tree = {"envs/modules/db/main.tf": MODULE}
    for name in names:
        tree[f"envs/{name}/providers.tf"] = PROVIDERS
        tree[f"envs/{name}/variables.tf"] = VARIABLES
        tree[f"envs/{name}/storage.tf"] = STORAGE
    return tree


def _env_plan_text(region: str) -> str:
    resources = [
        _resource("aws_s3_bucket.docs", "aws_s3_bucket", {"bucket": "docs"}),
        _resource("aws_s3_bucket.logs[0]", "aws_s3_bucket", {"bucket": "logs-0"}, index=0),
        _resource("aws_s3_bucket.logs[1]", "aws_s3_bucket", {"bucket": "logs-1"}, index=1),
    ]
    children = [
        {
            "address": "module.db",
            "resources": [
                _resource(
                    "module.db.aws_db_instance.this",
                    "aws_db_instance",
                    {"identifier": "app", "tags": {"pii": "true"}},
                )
            ],
        },
        {
            "address": "module.cache",
            "resources": [
                _resource(
                    "module.cache.aws_elasticache_replication_group.this[0]",
                    "aws_elasticache_replication_group",
                    {"replication_group_id": "cache"},
                    index=0,
                )
            ],
        },
    ]
    return _plan(
        resources,
        children=children,
        providers=_aws({"references": ["var.region"]}),
        variables={"region": region},
    )


def _env_plan(path: str, region: str, *, in_tree: bool = True) -> PlanFacts:
    facts = parse_plan(path, _env_plan_text(region))
    return replace(facts, in_tree=in_tree)


def _link(tree: dict[str, str], *plans: PlanFacts) -> dict[str, Store]:
    """Stores by id, made unique as the scan-wide link stage makes them."""
    linked = link_terraform(_files(tree), {}, NO_VARIABLES, plans=plans)
    return {store.id: store for store in unique_ids(linked.stores)}


def test_without_a_plan_the_sources_cannot_place_or_expand() -> None:
    stores = _link(_envs("prod"))
    assert sorted(stores) == [
        "terraform:aws_s3_bucket.docs",
        "terraform:aws_s3_bucket.logs",
        "terraform:module.cache",
        "terraform:module.db.aws_db_instance.this",
    ]
    assert all(not s.location.is_known for s in stores.values())


def test_a_plan_in_a_root_replaces_locations_and_keeps_the_declarations() -> None:
    plan = _env_plan("envs/prod/plan.json", "eu-west-1")
    stores = _link(_envs("prod"), plan)
    assert {i: (s.file, s.line, s.location.region) for i, s in stores.items()} == {
        "terraform:aws_s3_bucket.docs": ("envs/prod/storage.tf", 1, "eu-west-1"),
        # count could not be expanded from the sources; the plan's instances take its block
        "terraform:aws_s3_bucket.logs[0]": ("envs/prod/storage.tf", 5, "eu-west-1"),
        "terraform:aws_s3_bucket.logs[1]": ("envs/prod/storage.tf", 5, "eu-west-1"),
        "terraform:module.db.aws_db_instance.this": ("envs/modules/db/main.tf", 1, "eu-west-1"),
        # a registry module: its call is the declaration in the repository
        "terraform:module.cache.aws_elasticache_replication_group.this[0]": (
            "envs/prod/storage.tf",
            14,
            "eu-west-1",
        ),
    }
    docs = stores["terraform:aws_s3_bucket.docs"]
    assert docs.location.evidence[0] == SourceRef(
        "envs/prod/plan.json",
        _line_of(_env_plan_text("eu-west-1"), '"address": "aws_s3_bucket.docs"'),
        "aws_s3_bucket.docs is in the plan",
    )
    assert stores["terraform:module.db.aws_db_instance.this"].labels == (("pii", "true"),)


def test_a_plan_merges_only_into_its_own_root_when_roots_share_a_module() -> None:
    plan = _env_plan("envs/prod/plan.json", "eu-west-1")
    linked = link_terraform(_files(_envs("prod", "staging")), {}, NO_VARIABLES, plans=[plan])
    db = [s for s in linked.stores if "aws_db_instance" in s.id]
    # Both roots call envs/modules/db as "db": the file cannot tell the twins apart, so the
    # root does; the staging twin stays as the sources say.
    assert [(s.id, s.location.region) for s in db] == [
        ("terraform:module.db.aws_db_instance.this@envs/staging", None),
        ("terraform:module.db.aws_db_instance.this@envs/prod", "eu-west-1"),
    ]
    staging = db[0]
    assert staging.location.evidence[-1].file == "envs/staging/providers.tf"
    docs = sorted(s.id for s in linked.stores if "docs" in s.id)
    assert docs == [
        "terraform:aws_s3_bucket.docs@envs/prod/storage.tf",
        "terraform:aws_s3_bucket.docs@envs/staging/storage.tf",
    ]


def test_a_plan_from_outside_the_tree_is_matched_by_its_addresses() -> None:
    plan = _env_plan("/tmp/ci/prod.json", "eu-west-1", in_tree=False)
    tree = {**_envs("prod"), "other/main.tf": 'resource "aws_s3_bucket" "docs" {}\n'}
    stores = _link(tree, plan)
    merged = stores["terraform:aws_s3_bucket.docs@envs/prod/storage.tf"]
    assert (merged.location.region, merged.location.evidence[0].file) == (
        "eu-west-1",
        "/tmp/ci/prod.json",
    )
    assert not stores["terraform:aws_s3_bucket.docs@other/main.tf"].location.is_known


def test_an_ambiguous_or_second_plan_stands_on_its_own() -> None:
    first = _env_plan("envs/prod/plan.json", "eu-west-1")
    second = _env_plan("envs/prod/plan-dr.json", "eu-north-1")
    stores = _link(_envs("prod"), first, second)
    # plan-dr.json sorts first, so it is the one merged; plan.json reports its own stores.
    assert stores["terraform:aws_s3_bucket.docs@envs/prod/storage.tf"].location.region == (
        "eu-north-1"
    )
    alone = stores["terraform:aws_s3_bucket.docs@envs/prod/plan.json"]
    assert (alone.file, alone.location.region) == ("envs/prod/plan.json", "eu-west-1")

    tied = _env_plan("/tmp/plan.json", "eu-west-1", in_tree=False)
    stores = _link(_envs("prod", "staging"), tied)
    assert stores["terraform:aws_s3_bucket.docs@/tmp/plan.json"].file == "/tmp/plan.json"


def test_when_only_the_sources_can_tell_their_location_stays() -> None:
    tree = {
        "infra/main.tf": 'provider "aws" {\n  region = "eu-west-3"\n}\n\n'
        'resource "aws_s3_bucket" "docs" {\n  bucket = "docs"\n}\n'
    }
    text = _plan(
        [_resource("aws_s3_bucket.docs", "aws_s3_bucket", {"bucket": "docs"})],
        providers=_aws({"references": ["local.region"]}),
    )
    stores = _link(tree, parse_plan("infra/plan.json", text))
    location = stores["terraform:aws_s3_bucket.docs"].location
    assert (location.region, location.countries) == ("eu-west-3", ("FR",))
    assert location.evidence[-1].note.startswith('the plan does not tell: provider "aws" region')


def test_edges_to_an_unexpanded_store_are_redrawn_for_each_instance() -> None:
    tree = _envs("prod")
    linked = link_terraform(_files(tree), {}, NO_VARIABLES)
    edge = Edge("terraform:aws_s3_bucket.docs", "terraform:aws_s3_bucket.logs", EdgeKind.BACKUP)
    modules = group_modules(_files(tree))
    merged = merge_plans(
        linked.stores, [edge], [_env_plan("envs/prod/plan.json", "eu-west-1")], modules
    )
    assert merged.edges == (
        Edge("terraform:aws_s3_bucket.docs", "terraform:aws_s3_bucket.logs[0]", EdgeKind.BACKUP),
        Edge("terraform:aws_s3_bucket.docs", "terraform:aws_s3_bucket.logs[1]", EdgeKind.BACKUP),
    )
