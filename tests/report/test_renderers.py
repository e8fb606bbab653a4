"""What every renderer promises the CLI: a pure function of (result, policies) that copes
with no policies at all and with an empty scan."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

import pytest

from residency_audit.model import ScanResult
from residency_audit.policy.model import Policy
from residency_audit.report.html import render_html
from residency_audit.report.junit import render_junit
from residency_audit.report.markdown import render_markdown
from residency_audit.report.sarif import render_sarif

Renderer = Callable[[ScanResult, Sequence[Policy]], str]
RENDERERS: dict[str, Renderer] = {
    "sarif": render_sarif,
    "junit": render_junit,
    "markdown": render_markdown,
    "html": render_html,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_renders_without_policies(name: str, sample_result: ScanResult) -> None:
    """Rule titles and help are then missing, never the findings themselves."""
    output = RENDERERS[name](sample_result, ())
    for finding in sample_result.findings:
        assert finding.rule_id in output
        assert finding.message in output
    assert "Since 1 July 2025" not in output


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_renders_an_empty_scan(name: str, clean_result: ScanResult, ru_policy: Policy) -> None:
    empty = dataclasses.replace(clean_result, stores=(), files_scanned=0, policies=())
    output = RENDERERS[name](empty, [ru_policy])
    assert output.endswith("\n")
    if name == "sarif":
        assert json.loads(output)["runs"][0]["results"] == []
    elif name == "junit":
        root = ET.fromstring(output.encode("utf-8"))
        assert root.attrib["tests"] == "0"
        assert [s.attrib["name"] for s in root.iter("testsuite")] == ["residency-audit"]
    elif name == "markdown":
        assert output.startswith("### residency-audit: no findings\n")
    else:
        assert "No stores were found." in output
