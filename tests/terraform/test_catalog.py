"""The Terraform store catalog: every packaged row is checked, key rows exactly."""

from __future__ import annotations

import pickle
import shutil
from importlib import resources
from pathlib import Path

import pytest

from residency_audit.model import EdgeKind
from residency_audit.sources.terraform import catalog
from residency_audit.sources.terraform.catalog import (
    CATALOG_IDS,
    AttrPath,
    CatalogError,
    CopyEndMode,
    LocationAs,
    PathStep,
    StoreRole,
    Verified,
)

EXPECTED_PROVIDERS = {
    "aws",
    "google",
    "google-beta",
    "azurerm",
    "yandex",
    "vkcs",
    "selectel",
    "openstack",
    "sbercloud",
    "cloudru",
    "huaweicloud",
    "alicloud",
    "digitalocean",
    "hcloud",
    "ovh",
    "oci",
    "linode",
    "ibm",
    "tencentcloud",
}


def _paths(rtype: catalog.ResourceType) -> list[tuple[str, LocationAs]]:
    return [(str(p.path), p.value_as) for p in rtype.location_paths]


# --- every row ------------------------------------------------------------------------------


def test_providers_are_exactly_the_supported_set_and_map_to_catalog_ids() -> None:
    providers = catalog.all_provider_types()
    assert {p.local_name for p in providers} == EXPECTED_PROVIDERS
    for prov in providers:
        if prov.catalog is None:
            assert prov.catalog_by_endpoint, prov.local_name
        else:
            assert prov.catalog in CATALOG_IDS, prov.local_name
        assert all(rule.catalog in CATALOG_IDS for rule in prov.catalog_by_endpoint)
        assert prov.sources, prov.local_name
        assert catalog.provider_for_source(prov.sources[0]) is prov


def test_every_resource_type_belongs_to_a_known_provider_and_kind() -> None:
    kinds = set(catalog.store_kinds())
    rows = catalog.all_resource_types()
    assert len(rows) > 150
    for rtype in rows:
        prov = catalog.provider_type(rtype.provider)
        assert prov is not None, rtype.type_name
        assert rtype.type_name.startswith(prov.resource_prefix + "_"), rtype.type_name
        assert rtype.kind in kinds, rtype.type_name
        assert catalog.resource_type(rtype.type_name) is rtype


def test_every_store_can_be_located_and_named() -> None:
    for rtype in catalog.all_resource_types():
        prov = catalog.provider_type(rtype.provider)
        assert prov is not None
        locatable = (
            rtype.location_paths
            or rtype.parent
            or rtype.inherits_provider_location
            or rtype.default_location
        )
        assert locatable, f"{rtype.type_name} has no way to a location"
        if rtype.inherits_provider_location:
            assert prov.region_paths or prov.default_region or prov.env_vars, rtype.type_name
        if rtype.is_store:
            assert rtype.name_paths or rtype.parent, f"{rtype.type_name} has no name"


def test_every_path_in_the_catalog_reparses_to_itself() -> None:
    paths: list[AttrPath] = []
    for rtype in catalog.all_resource_types():
        paths += rtype.name_paths + rtype.labels_paths
        paths += [p.path for p in rtype.location_paths] + [p.path for p in rtype.parent]
    for prov in catalog.all_provider_types():
        paths += [p.path for p in prov.region_paths] + [e.path for e in prov.endpoint_paths]
    for rule in catalog.all_copy_rules():
        paths += [p.path for p in rule.source.paths + rule.target.paths]
        paths += [c.path for c in rule.when]
    for ind in catalog.all_indirections():
        paths += ind.store_paths + ind.external_host_paths
    for module in catalog.all_registry_modules():
        paths += [i.path for i in module.location_inputs]
    assert len(paths) > 500
    for path in paths:
        assert AttrPath.parse(path.text) == path


def test_verified_rows_name_their_evidence() -> None:
    rows: list[tuple[str, Verified, str]] = []
    rows += [(r.type_name, r.verified, r.verified_by) for r in catalog.all_resource_types()]
    rows += [(c.id, c.verified, c.verified_by) for c in catalog.all_copy_rules()]
    rows += [(p.local_name, p.verified, p.verified_by) for p in catalog.all_provider_types()]
    rows += [(str(m.registry), m.verified, m.verified_by) for m in catalog.all_registry_modules()]
    for name, level, evidence in rows:
        if level is not Verified.NO:
            assert evidence.strip(), name


def test_every_copy_rule_is_well_formed() -> None:
    rules = catalog.all_copy_rules()
    assert len({r.id for r in rules}) == len(rules)
    providers = {p.resource_prefix for p in catalog.all_provider_types()}
    for rule in rules:
        assert rule.edge.is_copy, rule.id
        assert rule.resource_type.split("_", 1)[0] in providers, rule.id
        assert rule.source.mode is not CopyEndMode.PAIRED_REGION, rule.id
        for end in (rule.source, rule.target):
            if end.mode in (CopyEndMode.SELF, CopyEndMode.PAIRED_REGION):
                assert end.paths == (), rule.id
            else:
                assert end.paths, rule.id
            for path in end.paths:
                assert (path.value_as is not None) == (end.mode is CopyEndMode.LOCATION), rule.id
        if rule.target.mode is CopyEndMode.PAIRED_REGION or rule.source.mode is CopyEndMode.SELF:
            owner = catalog.resource_type(rule.resource_type)
            assert owner is not None and owner.is_store, rule.id
        assert rule in catalog.copy_rules(rule.resource_type)


def test_registry_modules_create_known_types() -> None:
    modules = catalog.all_registry_modules()
    known = {r.type_name for r in catalog.all_resource_types()}
    known |= {c.resource_type for c in catalog.all_copy_rules()}
    known |= {i.type_name for i in catalog.all_indirections()}
    for module in modules:
        assert module.creates and set(module.creates) <= known, module.registry
        assert module.registry is not None or module.repositories
        if catalog.resource_type(module.creates[0]) is not None:
            assert module.name_inputs, module.registry


def test_azure_pairs_are_symmetric_except_the_documented_one_way_pairs() -> None:
    pairs = dict(catalog.all_paired_regions("azure"))
    one_way = {(a, b) for a, b in pairs.items() if pairs.get(b) != a}
    assert one_way == {
        ("brazilsouth", "southcentralus"),
        ("brazilsoutheast", "brazilsouth"),
        ("malaysiasouth", "japanwest"),
        ("usgoviowa", "usgovvirginia"),
        ("usgovvirginia", "usgovtexas"),
        ("westindia", "southindia"),
        ("westus3", "eastus"),
    }


def test_catalog_facts_are_picklable() -> None:
    facts = (
        catalog.all_resource_types(),
        catalog.all_provider_types(),
        catalog.all_copy_rules(),
        catalog.all_registry_modules(),
        catalog.all_indirections(),
    )
    assert pickle.loads(pickle.dumps(facts)) == facts


# --- exact rows -------------------------------------------------------------------------------


def test_aws_s3_bucket() -> None:
    bucket = catalog.resource_type("aws_s3_bucket")
    assert bucket is not None
    assert (bucket.provider, bucket.kind, bucket.service) == ("aws", "object_storage", "s3")
    assert [str(p) for p in bucket.name_paths] == ["bucket", "bucket_prefix"]
    assert _paths(bucket) == [("region", LocationAs.REGION)]
    assert bucket.inherits_provider_location is True
    assert [str(p) for p in bucket.labels_paths] == ["tags"]
    assert bucket.parent == ()
    assert bucket.verified is Verified.YES
    inline = {r.id: r for r in catalog.copy_rules("aws_s3_bucket")}
    rule = inline["aws-s3-bucket-inline-replication"]
    assert rule.edge is EdgeKind.REPLICA
    assert rule.source.mode is CopyEndMode.SELF
    assert rule.target.mode is CopyEndMode.REFERENCE
    assert [str(p.path) for p in rule.target.paths] == [
        "replication_configuration.rules[*].destination.bucket"
    ]


def test_aws_db_instance_and_its_read_replica_rule() -> None:
    db = catalog.resource_type("aws_db_instance")
    assert db is not None
    assert (db.kind, db.service) == ("relational_db", "rds")
    assert [str(p) for p in db.name_paths] == ["identifier", "identifier_prefix", "db_name"]
    assert _paths(db) == [("region", LocationAs.REGION), ("availability_zone", LocationAs.ZONE)]
    (replica,) = [r for r in catalog.copy_rules("aws_db_instance")]
    assert replica.id == "aws-rds-read-replica"
    assert [str(p.path) for p in replica.source.paths] == ["replicate_source_db"]
    assert replica.target.mode is CopyEndMode.SELF
    (cond,) = replica.when
    assert cond.matches("arn:aws:rds:eu-central-1:123456789012:db:orders-primary")
    assert not cond.matches(None)
    assert not cond.matches("")


def test_google_storage_bucket() -> None:
    bucket = catalog.resource_type("google_storage_bucket")
    assert bucket is not None
    assert (bucket.provider, bucket.kind) == ("google", "object_storage")
    assert [str(p) for p in bucket.name_paths] == ["name"]
    assert _paths(bucket) == [("location", LocationAs.LOCATION)]
    assert bucket.inherits_provider_location is False
    assert bucket.default_location is None
    (placement,) = [r for r in catalog.copy_rules("google_storage_bucket")]
    assert [(str(p.path), p.value_as) for p in placement.target.paths] == [
        ("custom_placement_config.data_locations[*]", LocationAs.REGION)
    ]


def test_bigquery_dataset_defaults_to_us_and_tables_live_in_their_dataset() -> None:
    dataset = catalog.resource_type("google_bigquery_dataset")
    assert dataset is not None and dataset.default_location is not None
    assert (dataset.default_location.value, dataset.default_location.value_as) == (
        "US",
        LocationAs.LOCATION,
    )
    table = catalog.resource_type("google_bigquery_table")
    assert table is not None
    assert table.location_paths == ()
    (parent,) = table.parent
    assert (str(parent.path), parent.types, parent.match) == (
        "dataset_id",
        ("google_bigquery_dataset",),
        "dataset_id",
    )


def test_azurerm_storage_account_and_geo_redundancy() -> None:
    account = catalog.resource_type("azurerm_storage_account")
    assert account is not None
    assert _paths(account) == [("location", LocationAs.REGION)]
    assert account.inherits_provider_location is False
    assert catalog.provider_type("azurerm") is not None
    rules = {r.id: r for r in catalog.copy_rules("azurerm_storage_account")}
    grs = rules["storage-account-geo-redundant"]
    assert grs.target.mode is CopyEndMode.PAIRED_REGION
    (cond,) = grs.when
    assert str(cond.path) == "account_replication_type"
    assert [cond.matches(v) for v in ("RAGRS", "gzrs", "LRS", "ZRS", None)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert catalog.paired_region("azure", "West Europe") == "northeurope"
    assert catalog.paired_region("azure", "germanywestcentral") == "germanynorth"
    assert catalog.paired_region("azure", "brazilsouth") == "southcentralus"
    assert catalog.paired_region("azure", "polandcentral") is None
    assert catalog.is_unpaired_region("azure", "Poland Central")
    assert not catalog.is_unpaired_region("azure", "westeurope")


def test_mssql_database_backups_are_geo_redundant_by_default() -> None:
    database = catalog.resource_type("azurerm_mssql_database")
    assert database is not None
    (parent,) = database.parent
    assert (str(parent.path), parent.types, parent.match) == (
        "server_id",
        ("azurerm_mssql_server",),
        "id",
    )
    rules = {r.id: r for r in catalog.copy_rules("azurerm_mssql_database")}
    (cond,) = rules["mssql-database-geo-backup"].when
    assert cond.matches(None)  # storage_account_type unset: the service default Geo applies
    assert not cond.matches("Local")


def test_yandex_postgresql_cluster_is_located_by_host_zones() -> None:
    cluster = catalog.resource_type("yandex_mdb_postgresql_cluster")
    assert cluster is not None
    (zone,) = cluster.location_paths
    assert zone.path.steps == (PathStep("host", True), PathStep("zone", False))
    assert zone.value_as is LocationAs.ZONE
    assert cluster.inherits_provider_location is False
    v2 = catalog.resource_type("yandex_mdb_postgresql_cluster_v2")
    assert v2 is not None
    assert _paths(v2) == [("hosts[*].zone", LocationAs.ZONE)]
    mongo = catalog.resource_type("yandex_mdb_mongodb_cluster")
    assert mongo is not None and _paths(mongo) == [("host[*].zone_id", LocationAs.ZONE)]


def test_provider_settings() -> None:
    aws = catalog.provider_type("aws")
    assert aws is not None
    assert [(str(p.path), p.value_as) for p in aws.region_paths] == [("region", LocationAs.REGION)]
    assert aws.env_vars == ("AWS_REGION", "AWS_DEFAULT_REGION")
    assert [str(p) for p in aws.endpoint_paths_for("s3")] == ["endpoints.s3"]
    assert aws.endpoint_paths_for(None) == ()
    yandex = catalog.provider_type("yandex")
    assert yandex is not None
    assert yandex.default_region == "ru-central1"
    assert [str(p) for p in yandex.endpoint_paths_for("storage")] == [
        "storage_endpoint",
        "endpoint",
    ]
    assert [str(p.path) for p in yandex.region_paths] == ["zone", "region_id"]
    openstack = catalog.provider_type("openstack")
    assert openstack is not None and openstack.catalog is None
    assert openstack.catalog_for_host("cloud.api.selcloud.ru") == "selectel"
    assert openstack.catalog_for_host("INFRA.MAIL.RU") == "vkcs"
    assert openstack.catalog_for_host("keystone.example.org") is None
    azurerm = catalog.provider_type("azurerm")
    assert azurerm is not None and azurerm.region_paths == ()


def test_provider_lookup_by_source_and_by_resource_type() -> None:
    found = catalog.provider_for_source("registry.terraform.io/Yandex-Cloud/yandex")
    assert found is not None and found.local_name == "yandex"
    assert catalog.provider_for_source("hashicorp/google-beta") is catalog.provider_type(
        "google-beta"
    )
    assert catalog.provider_for_source("acme/internal") is None
    google = catalog.default_provider_for("google_sql_database_instance")
    assert google is not None and google.local_name == "google"
    aws = catalog.default_provider_for("aws_kms_key")
    assert aws is not None and aws.local_name == "aws"
    assert catalog.default_provider_for("random_password") is None


def test_snapshot_copy_goes_to_destination_region_only_when_set() -> None:
    rules = {r.id: r for r in catalog.copy_rules("aws_db_snapshot_copy")}
    (to_region,) = rules["aws-db-snapshot-copy-to-region"].when
    (local,) = rules["aws-db-snapshot-copy-local"].when
    assert to_region.matches("eu-north-1") and not local.matches("eu-north-1")
    assert local.matches(None) and not to_region.matches(None)


def test_dynamodb_replicas_are_copies_in_the_named_regions() -> None:
    rules = {r.id: r for r in catalog.copy_rules("aws_dynamodb_table")}
    replica = rules["aws-dynamodb-replica-block"]
    assert replica.target.mode is CopyEndMode.LOCATION
    assert [(str(p.path), p.value_as) for p in replica.target.paths] == [
        ("replica[*].region_name", LocationAs.REGION)
    ]


@pytest.mark.parametrize(
    ("type_name", "value", "expected"),
    [
        ("google_spanner_instance", "regional-europe-west1", "europe-west1"),
        ("google_spanner_instance", "nam-eur-asia1", "nam-eur-asia1"),
        (
            "google_spanner_instance",
            "projects/shop-prod/instanceConfigs/regional-us-central1",
            "us-central1",
        ),
        ("oci_mysql_mysql_db_system", "Uocm:PHX-AD-1", "PHX"),
        ("oci_mysql_mysql_db_system", "not-an-ad", None),
    ],
)
def test_location_patterns_extract_the_code(
    type_name: str, value: str, expected: str | None
) -> None:
    rtype = catalog.resource_type(type_name)
    assert rtype is not None
    assert rtype.location_paths[0].extract(value) == expected


def test_hetzner_datacenter_and_alibaba_oss_location_patterns() -> None:
    server = catalog.resource_type("hcloud_server")
    assert server is not None and server.role is StoreRole.LOCATOR and not server.is_store
    assert server.location_paths[1].extract("fsn1-dc14") == "fsn1"
    (oss,) = catalog.copy_rules("alicloud_oss_bucket_replication")
    assert oss.target.paths[0].extract("oss-cn-hangzhou") == "cn-hangzhou"


# --- registry modules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "registry", "subdir"),
    [
        ("terraform-aws-modules/s3-bucket/aws", "terraform-aws-modules/s3-bucket/aws", None),
        (
            "registry.terraform.io/terraform-aws-modules/s3-bucket/aws",
            "terraform-aws-modules/s3-bucket/aws",
            None,
        ),
        (
            "git::https://github.com/terraform-aws-modules/terraform-aws-s3-bucket.git?ref=v4.1.2",
            "terraform-aws-modules/s3-bucket/aws",
            None,
        ),
        (
            "github.com/terraform-aws-modules/terraform-aws-dynamodb-table?ref=v4.0.1",
            "terraform-aws-modules/dynamodb-table/aws",
            None,
        ),
        (
            "git@github.com:terraform-aws-modules/terraform-aws-rds.git//modules/db_instance?ref=v6.10.0",
            "terraform-aws-modules/rds/aws",
            "modules/db_instance",
        ),
        (
            "terraform-aws-modules/rds/aws//modules/db_instance",
            "terraform-aws-modules/rds/aws",
            "modules/db_instance",
        ),
        (
            "terraform-google-modules/sql-db/google//modules/postgresql",
            "terraform-google-modules/sql-db/google",
            "modules/postgresql",
        ),
        (
            "git::ssh://git@github.com/Azure/terraform-azurerm-avm-res-storage-storageaccount.git?ref=v0.6.0",
            "Azure/avm-res-storage-storageaccount/azurerm",
            None,
        ),
    ],
)
def test_registry_module_matches_registry_and_git_forms(
    source: str, registry: str, subdir: str | None
) -> None:
    module = catalog.registry_module(source)
    assert module is not None
    assert (module.registry, module.subdir) == (registry, subdir)


@pytest.mark.parametrize(
    "source",
    [
        "terraform-aws-modules/s3-bucket/aws//modules/notification",
        "./modules/s3-bucket",
        "../shared/rds",
        "app.terraform.io/acme/s3-bucket/aws",
        "gitlab.com/acme/terraform-aws-s3-bucket",
        "https://example.com/modules/s3-bucket.zip",
        "",
    ],
)
def test_registry_module_does_not_guess(source: str) -> None:
    assert catalog.registry_module(source) is None


def test_registry_module_rows_for_common_stores() -> None:
    s3 = catalog.registry_module("terraform-aws-modules/s3-bucket/aws")
    assert s3 is not None
    assert s3.creates == ("aws_s3_bucket",)
    assert s3.name_inputs == ("bucket", "bucket_prefix")
    assert s3.tags_inputs == ("tags",)
    assert "putin_khuylo" in s3.gate_inputs
    dynamo = catalog.registry_module("terraform-aws-modules/dynamodb-table/aws")
    assert dynamo is not None
    assert dynamo.copy_inputs == ("replicas", "replica_regions", "global_table_witness")
    yc = catalog.registry_module(
        "git::https://github.com/terraform-yc-modules/terraform-yc-postgresql.git?ref=1.0.0"
    )
    assert yc is not None and yc.registry is None
    assert yc.creates == ("yandex_mdb_postgresql_cluster",)
    assert [(str(i.path), i.value_as) for i in yc.location_inputs] == [
        ("hosts_definition[*].zone", LocationAs.ZONE)
    ]


# --- attribute paths ----------------------------------------------------------------------------


def test_attr_path_parses_nested_and_each_steps() -> None:
    path = AttrPath.parse("settings.location_preference.zone")
    assert path.steps == (
        PathStep("settings", False),
        PathStep("location_preference", False),
        PathStep("zone", False),
    )
    assert AttrPath.parse("config.opensearch.node_groups[*].zone_ids[*]").steps[-2:] == (
        PathStep("node_groups", True),
        PathStep("zone_ids", True),
    )


@pytest.mark.parametrize("text", ["", "host[0].zone", "a..b", "tags['Name']", ".zone", "1st"])
def test_attr_path_rejects_bad_syntax(text: str) -> None:
    with pytest.raises(ValueError, match="not an attribute path"):
        AttrPath.parse(text)


# --- the loader fails loudly on bad rows ----------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    source = resources.files("residency_audit.sources.terraform").joinpath("data")
    with resources.as_file(source) as path:
        shutil.copytree(path, tmp_path / "data")
    return tmp_path / "data"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_packaged_data_passes_the_check(data_copy: Path) -> None:
    catalog.check_data(data_copy)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "resources/aws.yaml",
            "  aws_glacier_vault:\n    kind: backup_vault\n",
            "  aws_glacier_vault:\n    kind: tape_library\n",
            "kind 'tape_library' is not in the vocabulary",
        ),
        (
            "resources/aws.yaml",
            "      - {path: availability_zone_name, as: zone}\n"
            "    inherits_provider_location: true\n",
            "      - {path: 'availability_zone_name[0]', as: zone}\n"
            "    inherits_provider_location: true\n",
            "not an attribute path",
        ),
        (
            "resources/yandex.yaml",
            "  yandex_compute_filesystem:\n",
            "  yandex_compute_disk:\n    kind: block_storage\n    name_paths: [name]\n"
            "    location_paths: []\n    inherits_provider_location: true\n"
            "    labels_paths: []\n    verified: no\n  yandex_compute_filesystem:\n",
            "duplicate key 'yandex_compute_disk'",
        ),
        (
            "resources/linode.yaml",
            "  linode_volume:\n",
            "  yandex_compute_disk:\n    kind: block_storage\n    name_paths: [name]\n"
            "    location_paths: []\n    inherits_provider_location: true\n"
            "    labels_paths: []\n    verified: no\n  linode_volume:\n",
            "does not belong to linode",
        ),
        (
            "resources/hcloud.yaml",
            "    verified: partial\n    verified_by: reference stores.md (location); a volume",
            "    verified: partial\n    verified_by: ''\n    note: a volume",
            "needs verified_by",
        ),
        (
            "providers.yaml",
            "    catalog: hetzner\n",
            "    catalog: hetzner-cloud\n",
            "unknown geo-catalog provider id 'hetzner-cloud'",
        ),
        (
            "registry_modules.yaml",
            "    creates: [aws_memorydb_cluster]\n",
            "    creates: [aws_memorydb_clusters]\n",
            "unknown ['aws_memorydb_clusters']",
        ),
        (
            "resources/google.yaml",
            "    target: {mode: self}\n    when: [{path: master_instance_name, values: []}]\n",
            "    target: {mode: location}\n    when: [{path: master_instance_name, values: []}]\n",
            "mode location needs paths",
        ),
        (
            "resources/oci.yaml",
            "(?P<loc>[A-Za-z]{3})-AD-[0-9]+$'}\n    inherits_provider_location: true\n"
            "    labels_paths: [freeform_tags, defined_tags]\n    verified: no\n"
            "  oci_mysql_mysql_db_system:",
            "([A-Za-z]{3})-AD-[0-9]+$'}\n    inherits_provider_location: true\n"
            "    labels_paths: [freeform_tags, defined_tags]\n    verified: no\n"
            "  oci_mysql_mysql_db_system:",
            "has no (?P<loc>...) group",
        ),
    ],
    ids=[
        "unknown-kind",
        "bad-path",
        "duplicate-key-in-file",
        "type-in-wrong-provider-file",
        "verified-without-evidence",
        "unknown-catalog-id",
        "module-creates-unknown-type",
        "location-end-without-paths",
        "pattern-without-loc-group",
    ],
)
def test_malformed_rows_fail_the_check(
    data_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    _edit(data_copy / file, old, new)
    with pytest.raises(CatalogError) as info:
        catalog.check_data(data_copy)
    assert message in str(info.value)
