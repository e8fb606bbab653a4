"""Variables from outside the .tf files: config, --var-file, --var, in Terraform's order."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import run_cli

EVENTS = "terraform:aws_dynamodb_table.customer_events"


def _events(*args: str) -> dict[str, object]:
    run = run_cli("scan", "fixtures/demo-shop", "--format", "json", *args)
    assert run.exit_code == 1, run.stderr
    store: dict[str, object] = next(s for s in run.json()["stores"] if s["id"] == EVENTS)
    return store


def test_var_resolves_a_variable_without_default() -> None:
    location = _events("--var", "analytics_region=eu-west-1")["location"]
    assert isinstance(location, dict)
    assert (location["region"], location["countries"]) == ("eu-west-1", ["IE"])
    assert location["evidence"][1] == {
        "file": "--var",
        "line": None,
        "note": "analytics_region = eu-west-1",
    }


def test_precedence_config_then_var_file_then_var(tmp_path: Path) -> None:
    config = tmp_path / "residency.yaml"
    config.write_text(
        "data_subjects: [RU]\nvariables:\n  analytics_region: us-east-1\n"
        "kubernetes:\n  clusters:\n    - paths: ['deploy/k8s/**']\n"
        "      provider: yandex\n      region: ru-central1\n"
    )
    var_file = tmp_path / "prod.tfvars"
    var_file.write_text('# analytics account\nanalytics_region = "eu-north-1"\n')
    only_config = _events("--config", str(config))["location"]
    assert isinstance(only_config, dict) and only_config["countries"] == ["US"]
    with_file = _events("--config", str(config), "--var-file", str(var_file))["location"]
    assert isinstance(with_file, dict) and with_file["countries"] == ["SE"]
    assert {"file": str(var_file), "line": 2, "note": 'analytics_region = "eu-north-1"'} in (
        with_file["evidence"]
    )
    with_var = _events(
        "--config", str(config), "--var-file", str(var_file), "--var", "analytics_region=sa-east-1"
    )["location"]
    assert isinstance(with_var, dict) and with_var["countries"] == ["BR"]


def test_malformed_var_is_exit_2_and_broken_var_file_an_error(tmp_path: Path) -> None:
    run = run_cli("scan", "fixtures/demo-shop", "--format", "json", "--var", "no-equals-sign")
    assert run.exit_code == 2
    assert "--var: no-equals-sign: expected NAME=VALUE" in run.stderr
    broken = tmp_path / "broken.tfvars"
    broken.write_text('analytics_region = "eu-west-1\n')
    run = run_cli("scan", "fixtures/demo-shop", "--format", "json", "--var-file", str(broken))
    assert run.exit_code == 1
    errors = run.json()["errors"]
    assert [(e["file"], e["line"]) for e in errors] == [(str(broken), 1)]
