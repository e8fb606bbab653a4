"""Markdown for pull-request comments: exact text for the demo and a clean scan, and a
CommonMark + GFM-tables parse (markdown-it, which rich already depends on) to prove that
hostile repository text cannot break the table, a code span or inject HTML."""

from __future__ import annotations

import dataclasses

import pytest
from markdown_it import MarkdownIt

from residency_audit.model import ScanResult
from residency_audit.policy.model import Policy
from residency_audit.report.markdown import MAX_FINDINGS_SHOWN, code, render_markdown, text


def _html(markdown: str) -> str:
    rendered: str = MarkdownIt("commonmark").enable("table").render(markdown)
    return rendered


def test_clean_scan_is_two_lines(clean_result: ScanResult, ru_policy: Policy) -> None:
    assert render_markdown(clean_result, [ru_policy]) == (
        "### residency-audit: no findings\n"
        "\n"
        "No findings: 1 store(s) checked against ru-152fz, 3 file(s) scanned, "
        "0 parse error(s), 0 suppressed.\n"
    )


def test_demo_table(demo_result: ScanResult, ru_policy: Policy) -> None:
    lines = render_markdown(demo_result, [ru_policy]).splitlines()
    assert lines[:9] == [
        "### residency-audit: 2 finding(s) (1 high, 1 medium)",
        "",
        "5 store(s) checked against ru-152fz, 14 file(s) scanned, 0 parse error(s), 0 suppressed.",
        "",
        "| Severity | Rule | Store | Location | Declared at |",
        "|---|---|---|---|---|",
        "| **high** | RU-152FZ-LOCALIZATION | `terraform:aws_s3_bucket.customer_documents` "
        "| aws eu-central-1 (DE) | `infra/aws/storage.tf:6` |",
        "| **medium** | RU-152FZ-UNKNOWN-LOCATION | `terraform:aws_dynamodb_table.customer_events` "
        "| unknown (aws) | `infra/aws/analytics.tf:2` |",
        "",
    ]


def test_demo_details_hold_the_evidence_chain(demo_result: ScanResult, ru_policy: Policy) -> None:
    markdown = render_markdown(demo_result, [ru_policy])
    assert markdown.count("<details>") == 2
    assert markdown.count("</details>") == 2
    first = markdown[markdown.index("<details>") : markdown.index("</details>")]
    assert first.splitlines()[:14] == [
        "<details><summary>HIGH RU-152FZ-LOCALIZATION "
        "terraform:aws_s3_bucket.customer_documents</summary>",
        "",
        "Personal data of Russian users is stored in eu-central-1 (DE), outside Russia",
        "",
        "- declared at `infra/aws/storage.tf:6`",
        "- location: aws eu-central-1 (DE)",
        "- data subjects: RU",
        "",
        "Evidence:",
        "",
        '1. `infra/aws/variables.tf:4` variable "aws\\_region" default = "eu-central-1"',
        '2. `infra/aws/providers.tf:2` provider "aws" region = var.aws\\_region (eu-central-1)',
        '3. `infra/aws/storage.tf:6` tag DataClassification = "PII"',
        "4. `services/checkout/checkout/documents.py:20` code writes passport\\_series "
        "(user.government\\_id.internal\\_passport)",
    ]
    assert (
        "Rule: Personal data of Russian users stored outside Russia "
        "(152-FZ art. 18(5); KoAP art. 13.11 parts 8-9)"
    ) in first
    # policy help keeps its own code spans
    assert "`variables:` or `endpoints:`" in markdown


def test_demo_renders_as_a_five_column_table(demo_result: ScanResult, ru_policy: Policy) -> None:
    html = _html(render_markdown(demo_result, [ru_policy]))
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert [row.count("<td>") for row in rows] == [5, 5]
    assert "<li><code>infra/aws/variables.tf:4</code> variable &quot;aws_region&quot;" in html


def test_hostile_text_cannot_break_the_table_or_inject_html(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    hostile_id = "terraform:aws_s3_bucket.x|`y`<img src=x>"
    finding = dataclasses.replace(sample_result.findings[1], store_id=hostile_id)
    result = dataclasses.replace(
        sample_result, findings=(sample_result.findings[0], finding, *sample_result.findings[2:])
    )
    markdown = render_markdown(result, [ru_policy])
    assert (
        "| **medium** | RU-152FZ-LOCALIZATION | "
        "``terraform:aws_s3_bucket.x\\|`y`<img src=x>`` | unknown | "
        "`infra/s3 \\| uploads.tf:7` |"
    ) in markdown
    html = _html(markdown)
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert [row.count("<td>") for row in rows] == [5, 5, 5]
    assert "<td><code>terraform:aws_s3_bucket.x|`y`&lt;img src=x&gt;</code></td>" in rows[1]
    assert "<td><code>infra/s3 | uploads.tf:7</code></td>" in rows[1]
    assert "<script" not in html
    assert "<img" not in html
    assert (
        "<li><code>infra/s3 | uploads.tf:7</code> bucket name "
        "&lt;script&gt;alert('x')&lt;/script&gt;|`rm -rf /`</li>"
    ) in html
    # the summary line is raw HTML: escaped there
    assert (
        "<details><summary>MEDIUM RU-152FZ-LOCALIZATION "
        "terraform:aws_s3_bucket.x|`y`&lt;img src=x&gt;</summary>"
    ) in markdown


def test_suppressed_and_parse_errors_are_listed(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    markdown = render_markdown(sample_result, [ru_policy])
    assert (
        "<details><summary>1 suppressed finding(s)</summary>\n\n"
        "- RU-152FZ-CROSS-BORDER `terraform:aws_s3_bucket.orders_backup`: "
        "PRIV-231: bucket emptied, deletion scheduled\n\n</details>"
    ) in markdown
    # NUL and ESC become U+FFFD instead of vanishing or reaching a terminal
    assert "- `infra/broken.tf:3` unexpected token '\\}'\ufffd \ufffd\\[31m\n" in markdown


def test_long_reports_are_cut_for_the_comment_limit(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    many = tuple(
        dataclasses.replace(sample_result.findings[0], store_id=f"terraform:aws_s3_bucket.b{n:03}")
        for n in range(MAX_FINDINGS_SHOWN + 5)
    )
    markdown = render_markdown(dataclasses.replace(sample_result, findings=many), [ru_policy])
    assert markdown.count("\n| **high** |") == MAX_FINDINGS_SHOWN
    assert markdown.count("<details><summary>HIGH") == MAX_FINDINGS_SHOWN
    assert "... and 5 more finding(s); see the full report" in markdown
    assert "### residency-audit: 55 finding(s) (55 high)" in markdown


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("``x", "``` ``x ```"),
        ("x`", "`` x` ``"),
        ("two\nlines", "`two lines`"),
    ],
)
def test_code_span_fences(value: str, expected: str) -> None:
    assert code(value) == expected
    assert _html(expected).strip() == (
        f"<p><code>{value.replace(chr(10), ' ').replace('&', '&amp;')}</code></p>"
    )


def test_code_span_in_a_table_escapes_pipes() -> None:
    assert code("a|b", in_table=True) == "`a\\|b`"


def test_text_escapes_markdown_and_html() -> None:
    assert text("*bold* _it_ [l](u) <b> a|b ~~s~~ &amp;") == (
        "\\*bold\\* \\_it\\_ \\[l\\](u) \\<b\\> a\\|b \\~\\~s\\~\\~ \\&amp;"
    )
    assert _html(text("*bold* <b> &amp;")).strip() == "<p>*bold* &lt;b&gt; &amp;amp;</p>"
