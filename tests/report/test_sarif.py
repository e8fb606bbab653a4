"""SARIF 2.1.0: valid against the official OASIS schema, and carrying what GitHub code
scanning needs (rules with help, levels, locations, related evidence, fingerprints,
suppressions, notifications)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from residency_audit.model import Finding, ScanError, ScanResult, Severity, SourceRef
from residency_audit.policy.model import Policy
from residency_audit.report.sarif import render_sarif, rule_name, to_sarif

DATA = Path(__file__).resolve().parents[1] / "data"


def _validate(document: dict[str, Any]) -> None:
    schema = json.loads((DATA / "sarif-2.1.0.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    # jsonschema checks "uri-reference" only with an optional package; check it here.
    for uri in _uris(document):
        assert _URI_REFERENCE.fullmatch(uri), uri


_URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def _uris(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in ("uri", "informationUri")]
        return found + [u for v in node.values() for u in _uris(v)]
    if isinstance(node, list):
        return [u for v in node for u in _uris(v)]
    return []


def _run(result: ScanResult, policy: Policy) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_sarif(result, [policy]))
    _validate(document)
    run: dict[str, Any] = document["runs"][0]
    return run


def test_demo_log_is_valid_sarif_with_one_run(demo_result: ScanResult, ru_policy: Policy) -> None:
    document = json.loads(render_sarif(demo_result, [ru_policy]))
    _validate(document)
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1


def test_schema_rejects_a_broken_log(demo_result: ScanResult, ru_policy: Policy) -> None:
    """The vendored schema really constrains: a result without a message must fail."""
    document = to_sarif(demo_result, [ru_policy])
    del document["runs"][0]["results"][0]["message"]
    with pytest.raises(AssertionError, match="'message' is a required property"):
        _validate(document)


def test_driver_and_rules(demo_result: ScanResult, ru_policy: Policy) -> None:
    driver = _run(demo_result, ru_policy)["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("residency-audit", "0.1.0")
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [
        "RU-152FZ-LOCALIZATION",
        "RU-152FZ-CROSS-BORDER",
        "RU-152FZ-UNKNOWN-LOCATION",
    ]
    localization = driver["rules"][0]
    assert localization["name"] == "Ru152fzLocalization"
    assert localization["shortDescription"] == {
        "text": "Personal data of Russian users stored outside Russia"
    }
    assert localization["fullDescription"]["text"].startswith(
        "Since 1 July 2025 article 18(5) of 152-FZ forbids"
    )
    assert localization["help"]["text"].endswith(
        "\n\nReferences:\n- 152-FZ art. 18(5)\n- KoAP art. 13.11 parts 8-9\n- Policy ru-152fz: "
        "Russia 152-FZ art. 18(5): personal data of Russian citizens stays in Russia"
    )
    assert (
        "\n\n**References**\n\n- 152-FZ art. 18(5)\n- KoAP art. 13.11 parts 8-9\n"
        in (localization["help"]["markdown"])
    )
    assert localization["defaultConfiguration"] == {"level": "error"}
    assert localization["properties"] == {
        "category": "foreign_storage",
        "severity": "high",
        "tags": ["data-residency", "privacy", "security", "foreign_storage"],
        "references": ["152-FZ art. 18(5)", "KoAP art. 13.11 parts 8-9"],
        "policy": "ru-152fz",
        "security-severity": "8.0",
    }
    assert [r["defaultConfiguration"]["level"] for r in driver["rules"][1:]] == [
        "warning",
        "warning",
    ]


def test_demo_localization_result_exactly(demo_result: ScanResult, ru_policy: Policy) -> None:
    result = _run(demo_result, ru_policy)["results"][0]

    def place(uri: str, line: int) -> dict[str, Any]:
        return {
            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line},
        }

    assert result == {
        "ruleId": "RU-152FZ-LOCALIZATION",
        "ruleIndex": 0,
        "level": "error",
        "message": {
            "text": "Personal data of Russian users is stored in eu-central-1 (DE), outside Russia"
        },
        "locations": [
            {
                "physicalLocation": place("infra/aws/storage.tf", 6),
                "logicalLocations": [
                    {
                        "name": "terraform:aws_s3_bucket.customer_documents",
                        "fullyQualifiedName": "terraform:aws_s3_bucket.customer_documents",
                        "kind": "resource",
                    }
                ],
            }
        ],
        "relatedLocations": [
            {
                "id": 1,
                "physicalLocation": place("infra/aws/variables.tf", 4),
                "message": {"text": 'variable "aws_region" default = "eu-central-1"'},
            },
            {
                "id": 2,
                "physicalLocation": place("infra/aws/providers.tf", 2),
                "message": {"text": 'provider "aws" region = var.aws_region (eu-central-1)'},
            },
            {
                "id": 3,
                "physicalLocation": place("infra/aws/storage.tf", 6),
                "message": {"text": 'tag DataClassification = "PII"'},
            },
            {
                "id": 4,
                "physicalLocation": place("services/checkout/checkout/documents.py", 20),
                "message": {
                    "text": "code writes passport_series (user.government_id.internal_passport)"
                },
            },
            {
                "id": 5,
                "physicalLocation": place("services/checkout/checkout/documents.py", 21),
                "message": {
                    "text": "code writes passport_number (user.government_id.passport_number)"
                },
            },
            {
                "id": 6,
                "physicalLocation": place("services/checkout/checkout/documents.py", 20),
                "message": {
                    "text": "code writes passport_series, a Russian-specific identifier "
                    "(user.government_id.internal_passport)"
                },
            },
        ],
        "partialFingerprints": {"residencyAudit/v1": "e33486fcb391ea52d7b2fce210e6e2cd"},
        "properties": {
            "store": "terraform:aws_s3_bucket.customer_documents",
            "category": "foreign_storage",
            "severity": "high",
            "countries": ["DE"],
            "locationStatus": "resolved",
            "provider": "aws",
            "region": "eu-central-1",
            "policy": "ru-152fz",
        },
    }


def test_demo_unknown_location_result(demo_result: ScanResult, ru_policy: Policy) -> None:
    run = _run(demo_result, ru_policy)
    assert len(run["results"]) == 2
    unknown = run["results"][1]
    assert (unknown["ruleId"], unknown["ruleIndex"], unknown["level"]) == (
        "RU-152FZ-UNKNOWN-LOCATION",
        2,
        "warning",
    )
    assert unknown["properties"]["countries"] == []
    assert unknown["properties"]["locationStatus"] == "unknown"
    assert "region" not in unknown["properties"]
    assert [r["physicalLocation"]["region"]["startLine"] for r in unknown["relatedLocations"]] == [
        3,
        7,
        15,
        2,
        2,
    ]
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "toolConfigurationNotifications": [
                {
                    "descriptor": {"id": "RA0002"},
                    "level": "note",
                    "message": {"text": demo_result.hints[0]},
                }
            ],
        }
    ]
    assert run["properties"] == {
        "root": "fixtures/demo-shop",
        "filesScanned": 14,
        "stores": 5,
        "policies": [
            {
                "id": "ru-152fz",
                "title": "Russia 152-FZ art. 18(5): personal data of Russian citizens stays "
                "in Russia",
            }
        ],
    }


def test_suppressed_findings_are_results_with_a_justification(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    results = _run(sample_result, ru_policy)["results"]
    assert [r["ruleId"] for r in results] == [
        "RU-152FZ-LOCALIZATION",
        "RU-152FZ-LOCALIZATION",
        "RU-152FZ-UNKNOWN-LOCATION",
        "RU-152FZ-CROSS-BORDER",
    ]
    assert [("suppressions" in r) for r in results] == [False, False, False, True]
    assert results[3]["suppressions"] == [
        {"kind": "external", "justification": "PRIV-231: bucket emptied, deletion scheduled"}
    ]
    assert results[3]["ruleIndex"] == 1


def test_paths_are_uri_references_and_evidence_without_a_file_is_left_out(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    hostile = _run(sample_result, ru_policy)["results"][1]
    location = hostile["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "infra/s3%20%7C%20uploads.tf", "uriBaseId": "%SRCROOT%"}
    # two evidence facts, the second ("the scan could not place it") has no file
    assert len(hostile["relatedLocations"]) == 1
    assert hostile["relatedLocations"][0]["message"]["text"] == (
        "bucket name <script>alert('x')</script>|`rm -rf /`"
    )
    assert hostile["properties"]["countries"] == ["DE", "NL"]
    assert hostile["properties"]["locationStatus"] == "multi"
    assert hostile["level"] == "warning"  # medium: personal data only likely


def test_parse_errors_are_tool_execution_notifications(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    invocation = _run(sample_result, ru_policy)["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {
            "descriptor": {"id": "RA0001"},
            "level": "warning",
            "message": {"text": "unexpected token '}'\x00 \x1b[31m"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "infra/broken.tf", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 3},
                    }
                }
            ],
        }
    ]


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_levels_follow_severity(
    severity: Severity, level: str, sample_result: ScanResult, ru_policy: Policy
) -> None:
    policy = ru_policy.model_copy(
        update={"rules": (ru_policy.rules[0].model_copy(update={"severity": severity}),)}
    )
    finding = dataclasses.replace(sample_result.findings[0], severity=severity)
    result = dataclasses.replace(sample_result, findings=(finding,), suppressed=())
    run = _run(result, policy)
    assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"] == {"level": level}
    assert run["results"][0]["level"] == level
    security = run["tool"]["driver"]["rules"][0]["properties"].get("security-severity")
    assert (security is None) == (severity is Severity.INFO)


def test_a_rule_missing_from_the_policies_still_gets_a_descriptor(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    stray = Finding(
        rule_id="ACME-CUSTOM-1",
        category="foreign_storage",
        severity=Severity.LOW,
        store_id="terraform:aws_s3_bucket.assets",
        file="infra/backup.tf",
        line=20,
        message="custom",
        evidence=(),
        fingerprint="f" * 32,
    )
    result = dataclasses.replace(sample_result, findings=(*sample_result.findings, stray))
    run = _run(result, ru_policy)
    rules = run["tool"]["driver"]["rules"]
    assert rules[-1] == {
        "id": "ACME-CUSTOM-1",
        "name": "AcmeCustom1",
        "shortDescription": {"text": "ACME-CUSTOM-1"},
        "defaultConfiguration": {"level": "note"},
        "properties": {"category": "foreign_storage", "tags": ["foreign_storage"]},
    }
    assert run["results"][3]["ruleIndex"] == len(rules) - 1
    assert "relatedLocations" not in run["results"][3]


def test_fingerprint_survives_a_line_move(sample_result: ScanResult, ru_policy: Policy) -> None:
    before = _run(sample_result, ru_policy)["results"][0]
    moved = dataclasses.replace(sample_result.findings[0], line=40)
    after = _run(
        dataclasses.replace(sample_result, findings=(moved, *sample_result.findings[1:])),
        ru_policy,
    )["results"][0]
    assert after["locations"][0]["physicalLocation"]["region"] == {"startLine": 40}
    assert before["partialFingerprints"] == after["partialFingerprints"]
    assert before["partialFingerprints"] == {
        "residencyAudit/v1": sample_result.findings[0].fingerprint
    }


def test_absolute_paths_become_file_uris_and_lineless_refs_have_no_region(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    finding = dataclasses.replace(
        sample_result.findings[0],
        evidence=(SourceRef("/etc/residency/config.yaml", None, "config given with --config"),),
    )
    result = dataclasses.replace(
        sample_result,
        findings=(finding,),
        suppressed=(),
        errors=(ScanError("infra/huge.tf", None, "file is larger than 4 MiB"),),
    )
    run = _run(result, ru_policy)
    assert run["results"][0]["relatedLocations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "file:///etc/residency/config.yaml"}
    }
    notification = run["invocations"][0]["toolExecutionNotifications"][0]
    assert notification["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "infra/huge.tf", "uriBaseId": "%SRCROOT%"}
    }


def test_output_is_deterministic(sample_result: ScanResult, ru_policy: Policy) -> None:
    first = render_sarif(sample_result, [ru_policy])
    assert first == render_sarif(sample_result, [ru_policy])
    assert first.endswith("}\n")


def test_rule_name_is_an_identifier() -> None:
    assert rule_name("RU-152FZ-UNKNOWN-LOCATION") == "Ru152fzUnknownLocation"
    assert rule_name("acme.data/leak_1") == "AcmeDataLeak1"
