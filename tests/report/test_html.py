"""The HTML report without a browser: self-contained, escaped, pinned by CSP, and with a
residency graph whose structure and layout are checked from the parsed SVG."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import itertools
import re
from html.parser import HTMLParser

import pytest

from residency_audit.model import (
    Location,
    LocationStatus,
    PersonalData,
    PersonalDataStatus,
    ScanResult,
    Store,
)
from residency_audit.policy.model import Policy
from residency_audit.report.html import MAX_GRAPH_STORES, render_html


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element kind."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag in self.raw:
            self._in = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in][-1] += data
        else:
            self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements if name == tag]


def _parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def _sha(content: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode()).digest()).decode() + "'"


def test_self_contained_no_external_resources(demo_result: ScanResult, ru_policy: Policy) -> None:
    html = render_html(demo_result, [ru_policy])
    assert "http://" not in html
    assert "https://" not in html
    assert "//" not in re.sub(r"<script>.*?</script>", "", html, flags=re.S).replace(
        "<!DOCTYPE", ""
    )
    parsed = _parse(html)
    assert not [a for _, a in parsed.elements if "src" in a]
    assert not parsed.all("link")
    assert not parsed.all("iframe")
    hrefs = [a["href"] for _, a in parsed.elements if "href" in a]
    assert hrefs
    assert all(h.startswith("#") for h in hrefs), hrefs
    assert (len(parsed.raw["script"]), len(parsed.raw["style"])) == (1, 1)


def test_csp_pins_our_own_style_and_script(demo_result: ScanResult, ru_policy: Policy) -> None:
    parsed = _parse(render_html(demo_result, [ru_policy]))
    metas = [m for m in parsed.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1
    assert metas[0]["content"] == (
        "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
        f"style-src {_sha(parsed.raw['style'][0])}; script-src {_sha(parsed.raw['script'][0])}"
    )


def test_summary_findings_and_inventory(demo_result: ScanResult, ru_policy: Policy) -> None:
    parsed = _parse(render_html(demo_result, [ru_policy]))
    text = " ".join(" ".join(parsed.text).split())
    assert (
        "2 finding(s) (1 high, 1 medium), 0 suppressed, 5 store(s), 14 file(s) scanned, 0 error(s)"
    ) in text
    assert "2 finding(s) need attention" in text
    articles = parsed.all("article")
    assert [(a["id"], a["class"]) for a in articles] == [
        ("finding-1", "finding sev-high"),
        ("finding-2", "finding sev-medium"),
    ]
    assert ('infra/aws/variables.tf:4 variable "aws_region" default = "eu-central-1"') in text
    headings = [a["id"] for a in parsed.all("h3")]
    assert headings == ["country-DE", "country-RU", "country-unknown"]
    assert "Germany (DE)" in text
    assert "Russia (RU)allowed by policy" in "".join(parsed.text)
    rows = [a["id"] for a in parsed.all("tr") if "id" in a]
    assert rows == ["store-3", "store-4", "store-1", "store-5", "store-2"]


def _graph(parsed: _Elements) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    nodes = {a["data-key"]: a for a in parsed.all("g") if "data-key" in a}
    edges = [a for a in parsed.all("path") if "data-a" in a]
    return nodes, edges


def test_demo_graph_structure(demo_result: ScanResult, ru_policy: Policy) -> None:
    parsed = _parse(render_html(demo_result, [ru_policy]))
    nodes, edges = _graph(parsed)
    assert sorted(nodes) == [
        "c0", "c1", "c2", "c3", "c4", "k0", "k1", "k2", "s0", "s1", "s2", "s3", "s4"
    ]  # fmt: skip
    assert [nodes[k]["class"] for k in ("k0", "k1", "k2")] == [
        "node country sev-high",
        "node country allowed",
        "node country sev-medium",
    ]
    titles = [t.strip() for t in parsed.text if t.strip()]
    # stores ordered by their country (DE, RU, unknown), worst first within a country
    assert [nodes[f"s{n}"]["class"] for n in range(5)] == [
        "node store sev-high",
        "node store plain",
        "node store personal",
        "node store personal",
        "node store sev-medium",
    ]
    located = {(e["data-a"], e["data-b"]): e["class"] for e in edges if "located" in e["class"]}
    assert located == {
        ("s0", "k0"): "edge located sev-high",
        ("s1", "k0"): "edge located plain",
        ("s2", "k1"): "edge located personal",
        ("s3", "k1"): "edge located personal",
        ("s4", "k2"): "edge located sev-medium",
    }
    declares = [e for e in edges if e["class"] == "edge declares"]
    assert len(declares) == 5
    assert "aws_s3_bucket.customer_documents" in titles
    assert "infra/aws/storage.tf" in titles


def test_graph_layout_is_inside_the_picture_and_boxes_do_not_overlap(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    parsed = _parse(render_html(sample_result, [ru_policy]))
    svg = parsed.all("svg")[0]
    _, _, width, height = (int(v) for v in svg["viewbox"].split())
    rects = parsed.all("rect")
    boxes = [(int(r["x"]), int(r["y"]), int(r["width"]), int(r["height"])) for r in rects]
    assert len(boxes) == 6 + 6 + 6  # code sites + files, stores, countries
    for x, y, w, h in boxes:
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height
    for column in {x for x, *_ in boxes}:
        spans = sorted((y, y + h) for x, y, _, h in boxes if x == column)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))


def test_graph_draws_copies_writes_and_several_countries(
    sample_result: ScanResult, ru_policy: Policy
) -> None:
    parsed = _parse(render_html(sample_result, [ru_policy]))
    nodes, edges = _graph(parsed)
    copies = [e for e in edges if "copy" in e["class"].split()]
    assert len(copies) == 1
    assert copies[0]["class"] == "edge copy suppressed"
    assert copies[0]["marker-end"] == "url(#arrow)"
    assert nodes[copies[0]["data-a"]]["class"] == "node store personal"  # orders, in Russia
    assert nodes[copies[0]["data-b"]]["class"] == "node store suppressed"  # its backup
    writes = [e for e in edges if "writes" in e["class"].split()]
    assert [w["class"] for w in writes] == ["edge writes sev-high"]
    assert nodes[writes[0]["data-a"]]["class"] == "node code writes"
    multi = [e for e in edges if "located" in e["class"] and e["class"].endswith("sev-medium")]
    # the DE+NL bucket joins two countries, the unknown-location cache joins "?"
    assert len(multi) == 3


def test_hostile_store_text_is_escaped(
    sample_result: ScanResult, ru_policy: Policy, hostile_name: str
) -> None:
    html = render_html(sample_result, [ru_policy])
    assert hostile_name not in html
    assert "<script>alert" not in html
    assert html.count("<script") == 1
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;|`rm -rf /`" in html
    parsed = _parse(html)
    assert hostile_name in "".join(parsed.text)


def test_render_is_deterministic(sample_result: ScanResult, ru_policy: Policy) -> None:
    assert render_html(sample_result, [ru_policy]) == render_html(sample_result, [ru_policy])


def test_clean_and_empty_results(clean_result: ScanResult, ru_policy: Policy) -> None:
    clean = " ".join(_parse(render_html(clean_result, [ru_policy])).text)
    assert "No findings" in clean
    assert "every store with personal data is where the policy allows" in clean
    empty = dataclasses.replace(clean_result, stores=())
    text = " ".join(_parse(render_html(empty, [ru_policy])).text)
    assert text.count("No stores were found.") == 2


@pytest.mark.parametrize("extra", [MAX_GRAPH_STORES + 10])
def test_large_inventories_draw_only_personal_stores(
    extra: int, sample_result: ScanResult, ru_policy: Policy
) -> None:
    filler = tuple(
        Store(
            id=f"terraform:aws_s3_bucket.static_{n:03}",
            kind="object_storage",
            source="terraform",
            file="infra/static.tf",
            line=n + 1,
            location=Location(LocationStatus.RESOLVED, "aws", "us-east-1", ("US",)),
            personal_data=PersonalData(PersonalDataStatus.NO),
        )
        for n in range(extra)
    )
    result = dataclasses.replace(sample_result, stores=sample_result.stores + filler)
    parsed = _parse(render_html(result, [ru_policy]))
    nodes, _ = _graph(parsed)
    assert sum(1 for n in nodes.values() if n["class"].startswith("node store")) == 5
    text = " ".join(" ".join(parsed.text).split())
    assert f"{extra + 1} store(s) without personal data are left out of the picture" in text
    assert len([a for a in parsed.all("tr") if "id" in a]) == len(result.stores)
