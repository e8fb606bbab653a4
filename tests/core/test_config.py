from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from residency_audit.config import ConfigError, load_config


def test_full_contract_example_validates(tmp_path: Path) -> None:
    (tmp_path / ".residency-audit.yaml").write_text(
        """\
data_subjects: [RU]
policies: [ru-152fz]
fail_on: high
exclude: ["vendor/**", "**/testdata/**"]
variables:
  region: eu-central-1
stores:
  - match: "terraform:aws_db_instance.customers"
    personal_data: true
    categories: [user.contact.email]
    subjects: [ru]
endpoints:
  "pg-main.msk.acme.internal": {provider: onprem, region: msk, countries: [RU]}
  "*.fra.acme.internal": {countries: [de]}
kubernetes:
  clusters:
    - paths: ["deploy/eu/**"]
      provider: aws
      region: eu-central-1
suppress:
  - rule: RU-152FZ-LOCALIZATION
    store: "terraform:aws_s3_bucket.legacy"
    reason: "migration ticket 123"
    until: 2027-01-01
"""
    )
    config = load_config(tmp_path)
    model = config.model
    assert config.file == ".residency-audit.yaml"
    assert model.data_subjects == ["RU"]
    assert model.stores[0].subjects == ["RU"]
    assert model.endpoints["*.fra.acme.internal"].countries == ["DE"]
    assert model.kubernetes.clusters[0].region == "eu-central-1"
    assert model.suppress[0].until == dt.date(2027, 1, 1)
    assert config.line_of("data_subjects") == 1
    assert config.line_of("stores[0]") == 8
    assert config.line_of("suppress[0]") == 21


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("data_subject: [RU]\n", "data_subject"),
        ("fail_on: severe\n", "fail_on"),
        ("stores:\n  - match: x\n    personal: true\n", "stores[0].personal"),
        ("kubernetes:\n  clusters:\n    - provider: aws\n", "kubernetes.clusters[0].paths"),
        ("suppress:\n  - rule: X\n    until: someday\n", "suppress[0].until"),
    ],
)
def test_mistakes_name_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    (tmp_path / ".residency-audit.yaml").write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert raised.value.file == ".residency-audit.yaml"
    assert raised.value.key == key
    assert str(raised.value).startswith(f".residency-audit.yaml: {key}: ")


def test_invalid_yaml_and_non_mapping(tmp_path: Path) -> None:
    config = tmp_path / ".residency-audit.yaml"
    config.write_text("data_subjects: [RU\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(tmp_path)
    config.write_text("- RU\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(tmp_path)


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n'
        '[tool.residency-audit]\ndata_subjects = ["RU"]\nfail_on = "medium"\n'
    )
    config = load_config(tmp_path)
    assert config.model.data_subjects == ["RU"]
    assert config.model.fail_on == "medium"
    assert config.line_of("data_subjects") == 4
    (tmp_path / "pyproject.toml").write_text('[tool.residency-audit]\nfail-on = "low"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert raised.value.key == "tool.residency-audit.fail-on"


def test_yaml_file_wins_and_missing_explicit_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.residency-audit]\nfail_on = "low"\n')
    (tmp_path / ".residency-audit.yaml").write_text("fail_on: critical\n")
    assert load_config(tmp_path).model.fail_on == "critical"
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path, tmp_path / "nope.yaml")


def test_no_config_is_empty(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.file is None
    assert config.model.data_subjects == []
