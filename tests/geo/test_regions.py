from __future__ import annotations

import csv
from importlib import resources

import pytest
import yaml

from residency_audit.geo import regions
from residency_audit.geo.regions import (
    KINDS,
    PROVIDERS,
    Region,
    all_regions,
    country_codes,
    country_name,
    locate,
    lookup_region,
    zone_rules,
)
from residency_audit.model import Location, LocationStatus, SourceRef

COLUMNS = [
    "provider",
    "code",
    "aliases",
    "kind",
    "place",
    "countries",
    "multi",
    "verified",
    "source",
    "note",
]

# Keys of the source list in regions.md, plus the two added with this catalog.
SOURCES = {
    "botocore",
    "aws-optin",
    "gcp-docs",
    "memory",
    "public code only",
    "azure-sdk",
    "azure-community",
    "yc-tf",
    "yc-blog",
    "yc-kz",
    "vk-docs",
    "vkcs-tf",
    "sel-rclone",
    "sel-tf",
    "sel-docs",
    "sber-tf",
    "cloudru-evo",
    "huawei-rclone",
    "huawei-sdk",
    "ali-rclone",
    "ali-docs",
    "oci-sdk",
    "do-docs/rclone",
    "hetzner",
    "ovh-rclone",
    "ovh-pulumi",
    "linode-rclone",
    "ibm-rclone",
    "tencent-rclone",
}

# Multi-locations that sit inside one country, on purpose.
SINGLE_COUNTRY_MULTI = {("gcp", "US"), ("gcp", "ASIA1"), ("gcp", "NAM4"), ("ibm", "us")}

# Rows whose country the catalog honestly does not know.
NO_COUNTRY = {("aws", "aws-global"), ("gcp", "europe-west15")}

# Every catalog row in Russia. Anything else resolving to RU would be a data error with
# legal consequences, so the set is spelled out.
RUSSIAN_ROWS = {
    ("yandex", "ru-central1"),
    ("vkcs", "RegionOne"),
    ("vkcs", "ru-msk"),
    ("selectel", "ru-1"),
    ("selectel", "ru-2"),
    ("selectel", "ru-3"),
    ("selectel", "ru-6"),
    ("selectel", "ru-7"),
    ("selectel", "ru-8"),
    ("selectel", "ru-9"),
    ("selectel", "gis-1"),
    ("selectel", "gis-2"),
    ("cloudru", "ru-moscow-1"),
    ("cloudru", "ru-central-1"),
    ("huawei", "ru-northwest-2"),
    ("huawei", "ru-moscow-1"),
    ("tencent", "eu-moscow"),
}


def raw_rows() -> list[dict[str, str]]:
    text = resources.files("residency_audit.geo").joinpath("data", "regions.csv").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    reader = csv.DictReader(lines)
    assert reader.fieldnames == COLUMNS
    return list(reader)


def split(cell: str) -> list[str]:
    return [part for part in cell.split(";") if part]


def test_country_list_is_iso_3166_alpha_2() -> None:
    codes = country_codes()
    assert len(codes) == 249
    assert {"RU", "KZ", "UZ", "KE", "DE", "GB", "US", "CN", "AE"} <= codes
    assert not {"UK", "EU", "XX", "ru"} & codes
    assert country_name("ru") == "Russia"
    assert country_name("KZ") == "Kazakhstan"
    assert country_name("EU") is None


def test_every_catalog_row_is_well_formed() -> None:
    iso = country_codes()
    seen: dict[tuple[str, str], str] = {}
    rows = raw_rows()
    assert len(rows) == len(all_regions()) == 492
    for row in rows:
        provider, code = row["provider"], row["code"]
        where = f"{provider} {code}"
        assert provider in PROVIDERS, where
        assert row["kind"] in KINDS, where
        assert row["multi"] in ("yes", "no"), where
        assert row["verified"] in ("yes", "partial", "no"), where
        assert row["place"], where
        assert code == code.strip() and " " not in code, where
        countries = split(row["countries"])
        assert countries == sorted(set(countries)), where
        assert set(countries) <= iso, where
        if not countries:
            assert (provider, code) in NO_COUNTRY, where
        elif row["multi"] == "yes":
            single_ok = (provider, code) in SINGLE_COUNTRY_MULTI or row["kind"] == "geography"
            assert len(countries) > 1 or single_ok, where
        else:
            assert len(countries) == 1, where
        if row["kind"] in ("multi-region", "dual-region", "geography"):
            assert row["multi"] == "yes", where
        assert row["source"], where
        assert {part.strip() for part in row["source"].split(";")} <= SOURCES, where
        for spelling in (code, *split(row["aliases"])):
            key = spelling.lower().replace(" ", "") if provider == "azure" else spelling.lower()
            assert (provider, key) not in seen, (
                f"{where}: {spelling} also in {seen.get((provider, key))}"
            )
            seen[(provider, key)] = code
            found = lookup_region(provider, spelling)
            assert found is not None and found.code == code, f"{where}: {spelling}"


def test_providers_are_exactly_the_sixteen_in_the_data() -> None:
    assert {row["provider"] for row in raw_rows()} == PROVIDERS
    assert len(PROVIDERS) == 16


def test_russian_rows_are_exactly_the_known_russian_locations() -> None:
    russian = {(r.provider, r.code) for r in all_regions() if "RU" in r.countries}
    assert russian == RUSSIAN_ROWS
    for region in all_regions():
        if region.multi:
            assert "RU" not in region.countries, region


@pytest.mark.parametrize(
    ("provider", "code", "canonical", "countries"),
    [
        ("aws", "eu-central-1", "eu-central-1", ("DE",)),
        ("aws", "EU-WEST-1", "eu-west-1", ("IE",)),
        ("aws", "eu-west-1a", "eu-west-1", ("IE",)),
        ("aws", "euc1-az2", "eu-central-1", ("DE",)),
        ("aws", "use1-az4", "us-east-1", ("US",)),
        ("aws", "apne2", "ap-northeast-2", ("KR",)),
        ("aws", "cn-north-1", "cn-north-1", ("CN",)),
        ("aws", "cn-northwest-1b", "cn-northwest-1", ("CN",)),
        ("aws", "us-gov-west-1", "us-gov-west-1", ("US",)),
        ("aws", "usgw1-az1", "us-gov-west-1", ("US",)),
        ("aws", "eusc-de-east-1", "eusc-de-east-1", ("DE",)),
        ("aws", "eusc-de-east-1b", "eusc-de-east-1", ("DE",)),
        ("gcp", "europe-west1-b", "europe-west1", ("BE",)),
        ("gcp", "EUROPE-WEST3", "europe-west3", ("DE",)),
        ("gcp", "me-central2-a", "me-central2", ("SA",)),
        ("gcp", "eur4", "EUR4", ("FI", "NL")),
        ("azure", "West Europe", "westeurope", ("NL",)),
        ("azure", "westeurope", "westeurope", ("NL",)),
        ("azure", "WestEurope", "westeurope", ("NL",)),
        ("azure", " germany west central ", "germanywestcentral", ("DE",)),
        ("azure", "China North 2", "chinanorth2", ("CN",)),
        ("yandex", "ru-central1", "ru-central1", ("RU",)),
        ("yandex", "ru-central1-a", "ru-central1", ("RU",)),
        ("yandex", "ru-central1-d", "ru-central1", ("RU",)),
        ("yandex", "rc1b", "ru-central1", ("RU",)),
        ("yandex", "kz1", "kz1", ("KZ",)),
        ("yandex", "kz1-a", "kz1", ("KZ",)),
        ("vkcs", "RegionOne", "RegionOne", ("RU",)),
        ("vkcs", "GZ1", "RegionOne", ("RU",)),
        ("vkcs", "ko1", "RegionOne", ("RU",)),
        ("vkcs", "PA2", "RegionOne", ("RU",)),
        ("vkcs", "QAZ", "kz", ("KZ",)),
        ("vkcs", "KTP", "kz", ("KZ",)),
        ("vkcs", "kz-ast", "kz-ast", ("KZ",)),
        ("selectel", "ru-9a", "ru-9", ("RU",)),
        ("selectel", "ru-7", "ru-7", ("RU",)),
        ("selectel", "gis-1a", "gis-1", ("RU",)),
        ("selectel", "kz-1", "kz-1", ("KZ",)),
        ("selectel", "uz-2a", "uz-2", ("UZ",)),
        ("cloudru", "ru-moscow-1a", "ru-moscow-1", ("RU",)),
        ("cloudru", "ru-central-1", "ru-central-1", ("RU",)),
        ("huawei", "ru-northwest-2", "ru-northwest-2", ("RU",)),
        ("huawei", "ap-southeast-1", "ap-southeast-1", ("HK",)),
        ("huawei", "cn-north-4b", "cn-north-4", ("CN",)),
        ("alicloud", "cn-hangzhou-h", "cn-hangzhou", ("CN",)),
        ("alicloud", "cn-hangzhou-MAZ10(h,i)", "cn-hangzhou", ("CN",)),
        ("alicloud", "eu-central-1a", "eu-central-1", ("DE",)),
        ("oci", "eu-frankfurt-1", "eu-frankfurt-1", ("DE",)),
        ("oci", "FRA", "eu-frankfurt-1", ("DE",)),
        ("oci", "Uocm:PHX-AD-1", "us-phoenix-1", ("US",)),
        ("oci", "me-dubai-1", "me-dubai-1", ("AE",)),
        ("digitalocean", "fra1", "fra1", ("DE",)),
        ("hetzner", "hel1", "hel1", ("FI",)),
        ("hetzner", "fsn1-dc14", "fsn1", ("DE",)),
        ("ovh", "gra", "GRA", ("FR",)),
        ("ovh", "GRA11", "GRA", ("FR",)),
        ("ovh", "WAW1", "WAW", ("PL",)),
        ("linode", "us-east-1", "us-east-1", ("US",)),
        ("linode", "nl-ams-1", "nl-ams", ("NL",)),
        ("ibm", "eu-de-2", "eu-de", ("DE",)),
        ("tencent", "eu-moscow", "eu-moscow", ("RU",)),
        ("tencent", "ap-guangzhou-3", "ap-guangzhou", ("CN",)),
    ],
)
def test_lookup_region(
    provider: str, code: str, canonical: str, countries: tuple[str, ...]
) -> None:
    region = lookup_region(provider, code)
    assert region is not None
    assert (region.provider, region.code, region.countries) == (provider, canonical, countries)


def test_same_spelling_means_different_places_per_provider() -> None:
    assert lookup_region("aws", "ap-southeast-1") == Region(
        "aws", "ap-southeast-1", "Singapore", ("SG",), False, "region", "yes"
    )
    huawei = lookup_region("huawei", "ap-southeast-1")
    assert huawei is not None and huawei.countries == ("HK",)
    bangkok = lookup_region("huawei", "ap-southeast-2")
    assert bangkok is not None and bangkok.countries == ("TH",)
    newark = lookup_region("linode", "us-east-1")
    assert newark is not None and newark.place == "Newark"


def test_multi_regions() -> None:
    eu = lookup_region("gcp", "EU")
    assert eu is not None
    assert (eu.code, eu.kind, eu.multi) == ("EU", "multi-region", True)
    assert eu.countries == ("BE", "DE", "ES", "FI", "FR", "IT", "NL", "PL", "SE")
    us = lookup_region("gcp", "us")
    assert us is not None and (us.code, us.countries, us.multi) == ("US", ("US",), True)
    hetzner = lookup_region("hetzner", "eu-central")
    assert hetzner is not None
    assert (hetzner.kind, hetzner.countries) == ("network-zone", ("DE", "FI"))


@pytest.mark.parametrize(
    ("provider", "code"),
    [
        ("aws", "eu-moon-1"),
        ("aws", "eu-moon-1a"),
        ("aws", "us-east-1-bos-1a"),  # Local Zone: may sit in another country than us-east-1
        ("aws", "use1-bos1-az1"),
        ("aws", "westeurope"),
        ("gcp", "eu-a"),  # a zone rule never lands on a multi-region
        ("gcp", "europe-west99-b"),
        ("azure", "1"),  # Azure zones carry no place: use the resource's location
        ("azure", "West  Moon"),
        ("yandex", "ru-central1-e"),
        ("yandex", "ru-central2"),
        ("selectel", "ru-99a"),
        ("huawei", "eu-central-1"),
        ("linode", "sg-sin-1"),
        ("oci", "Uocm:XXX-AD-1"),
        ("aws", ""),
        ("aws", "   "),
        ("nope", "eu-west-1"),
        ("", "eu-west-1"),
    ],
)
def test_unknown_codes_are_not_guessed(provider: str, code: str) -> None:
    assert lookup_region(provider, code) is None


WHERE = SourceRef("infra/main.tf", 12, "provider aws.eu region eu-central-1")
CHAIN = (SourceRef("infra/variables.tf", 3, "variable region default eu-central-1"),)


def test_locate_resolved_keeps_the_chain() -> None:
    assert locate("aws", "eu-central-1", CHAIN, WHERE) == Location(
        LocationStatus.RESOLVED, "aws", "eu-central-1", ("DE",), (*CHAIN, WHERE)
    )


def test_locate_canonicalizes_zone_and_provider_case() -> None:
    where = SourceRef("k8s/pg.yaml", 7, "zone ru-central1-b")
    assert locate("Yandex", "ru-central1-b", (), where) == Location(
        LocationStatus.RESOLVED, "yandex", "ru-central1", ("RU",), (where,)
    )


def test_locate_multi_region() -> None:
    where = SourceRef("gcs.tf", 4, "google_storage_bucket.exports location EU")
    location = locate("gcp", "EU", (), where)
    assert location.status is LocationStatus.MULTI
    assert location.region == "EU"
    assert location.countries == ("BE", "DE", "ES", "FI", "FR", "IT", "NL", "PL", "SE")
    assert location.evidence == (where,)


def test_locate_single_country_multi_is_multi() -> None:
    location = locate("gcp", "NAM4", (), WHERE)
    assert (location.status, location.countries) == (LocationStatus.MULTI, ("US",))


def test_locate_unknown_region() -> None:
    where = SourceRef("infra/main.tf", 12, "provider aws region eu-moon-1")
    assert locate("aws", "eu-moon-1", CHAIN, where) == Location(
        LocationStatus.UNKNOWN,
        "aws",
        "eu-moon-1",
        (),
        (
            *CHAIN,
            where,
            SourceRef("infra/main.tf", 12, "region 'eu-moon-1' is not a known aws region"),
        ),
    )


def test_locate_pseudo_region() -> None:
    location = locate("aws", "aws-global", (), WHERE)
    assert location.status is LocationStatus.UNKNOWN
    assert (location.provider, location.region) == ("aws", "aws-global")
    assert location.evidence[-1] == SourceRef(
        "infra/main.tf", 12, "region 'aws-global' of aws is a pseudo-region, not a data location"
    )


def test_locate_region_without_country() -> None:
    location = locate("gcp", "europe-west15", (), WHERE)
    assert location.status is LocationStatus.UNKNOWN
    assert location.evidence[-1].note == "region 'europe-west15' of gcp has no confirmed country"


def test_locate_multi_without_members_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    vague = Region("azure", "mars", "somewhere", (), True, "geography", "no")
    monkeypatch.setattr(regions, "lookup_region", lambda provider, code: vague)
    location = locate("azure", "mars", (), WHERE)
    assert location.status is LocationStatus.UNKNOWN
    assert location.evidence[-1].note == "location 'mars' of azure spans unspecified countries"


def test_locate_unknown_provider_and_empty_region() -> None:
    unknown_provider = locate("onprem", "msk-1", (), WHERE)
    assert (unknown_provider.status, unknown_provider.provider) == (
        LocationStatus.UNKNOWN,
        "onprem",
    )
    assert unknown_provider.region == "msk-1"
    assert unknown_provider.evidence[-1].note == "provider 'onprem' is not in the region catalog"
    empty = locate("gcp", "  ", (), WHERE)
    assert (empty.status, empty.provider, empty.region) == (LocationStatus.UNKNOWN, "gcp", None)
    assert empty.evidence == (WHERE, SourceRef("infra/main.tf", 12, "no region given for gcp"))


def test_locate_describes_for_humans() -> None:
    assert locate("azure", "West Europe", (), WHERE).describe() == "westeurope (NL)"
    assert locate("aws", "eu-moon-1", (), WHERE).describe() == "an unknown location"


_ZONE_TABLE = yaml.safe_load(
    resources.files("residency_audit.geo").joinpath("data", "zone_rules.yaml").read_text("utf-8")
)
_ZONE_EXAMPLES = [
    (provider, index, zone, region)
    for provider, rows in _ZONE_TABLE.items()
    for index, row in enumerate(rows)
    for zone, region in row["examples"].items()
]


@pytest.mark.parametrize(("provider", "index", "zone", "region"), _ZONE_EXAMPLES)
def test_every_zone_rule_folds_its_examples(
    provider: str, index: int, zone: str, region: str
) -> None:
    rule = zone_rules()[provider][index]
    match = rule.fullmatch(zone)
    assert match is not None and match["r"] == region
    parent = lookup_region(provider, region)
    if parent is not None and parent.kind == "region":  # the fold lands on a catalog region
        assert lookup_region(provider, zone) == parent


def test_zone_rules_load_for_every_provider_of_the_table() -> None:
    assert set(zone_rules()) == set(_ZONE_TABLE)
    assert all(len(zone_rules()[p]) == len(rows) for p, rows in _ZONE_TABLE.items())
