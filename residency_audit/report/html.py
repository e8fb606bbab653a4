"""The HTML report: one self-contained file a person can open, read and forward.

Everything is inline (CSS, JS, the SVG picture), nothing is fetched, and a Content
Security Policy pinned to the hashes of our own style and script makes sure nothing else
can run or load even if a repository's text were to slip through. All text from the
scanned repository goes through Jinja's autoescaping.

The residency graph is laid out here, server-side and deterministically: three columns
(the code that declares or writes a store, the stores, the countries they live in),
edges drawn as curves and coloured by the worst finding on the store, copies
(replicas, backups) as arcs between stores. Rows are ordered so edges cross little:
countries by code, stores by their country, code by the mean position of its stores.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from residency_audit.geo.regions import country_name
from residency_audit.model import (
    EdgeKind,
    Finding,
    ScanResult,
    Severity,
    Store,
)
from residency_audit.policy.model import Policy, Rule, rules_by_id
from residency_audit.report.table import summary_line
from residency_audit.report.wording import location_text, place

TEMPLATES = "templates"
UNKNOWN_COUNTRY = "?"
MAX_GRAPH_STORES = 120  # beyond this only personal-data stores are drawn


# --- view models -------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceView:
    place: str
    note: str


@dataclass(frozen=True)
class FindingView:
    anchor: str
    severity: str
    rule_id: str
    rule_title: str
    rule_help: str
    references: tuple[str, ...]
    store_id: str
    store_anchor: str
    message: str
    declared_at: str
    location: str
    evidence: tuple[EvidenceView, ...]
    reason: str  # empty unless suppressed


@dataclass(frozen=True)
class StoreRow:
    anchor: str
    id: str
    name: str
    kind: str
    source: str
    location: str
    also_in: str
    personal: str
    subjects: str
    declared_at: str
    state: str  # css state: sev-<severity>, suppressed, personal, plain
    state_label: str


@dataclass(frozen=True)
class CountryGroup:
    code: str
    heading: str
    allowed: bool
    rows: tuple[StoreRow, ...]


@dataclass(frozen=True)
class GraphNode:
    key: str
    x: int
    y: int
    w: int
    h: int
    label: str
    sub: str
    title: str
    css: str
    href: str


@dataclass(frozen=True)
class GraphEdge:
    a: str
    b: str
    d: str
    css: str
    title: str


@dataclass(frozen=True)
class GraphColumn:
    x: int
    label: str


@dataclass(frozen=True)
class Graph:
    width: int
    height: int
    columns: tuple[GraphColumn, ...]
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    omitted: int


# --- shared helpers ----------------------------------------------------------------------


def _store_states(result: ScanResult) -> dict[str, tuple[str, str]]:
    """Each store's colour class and its words: worst live finding, else suppressed,
    else personal (data where it may be), else plain (nothing personal)."""
    worst: dict[str, Severity] = {}
    for finding in result.findings:
        seen = worst.get(finding.store_id)
        if seen is None or finding.severity.rank > seen.rank:
            worst[finding.store_id] = finding.severity
    suppressed = {s.finding.store_id for s in result.suppressed}
    states: dict[str, tuple[str, str]] = {}
    for store in result.stores:
        if store.id in worst:
            severity = worst[store.id]
            states[store.id] = (f"sev-{severity.value}", f"{severity.value} finding")
        elif store.id in suppressed:
            states[store.id] = ("suppressed", "suppressed")
        elif store.personal_data.is_personal:
            states[store.id] = ("personal", "ok")
        else:
            states[store.id] = ("plain", "no personal data")
    return states


def _anchors(result: ScanResult) -> dict[str, str]:
    return {store.id: f"store-{n}" for n, store in enumerate(result.stores, 1)}


def _short(text: str, limit: int) -> str:
    """Cut in the middle: store ids differ at both ends (``module.x...this``)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    tail = limit - 1 - head
    return text[:head] + "…" + text[-tail:]


# --- findings and inventory ---------------------------------------------------------------


def _finding_view(
    finding: Finding,
    n: int,
    stores: dict[str, Store],
    anchors: dict[str, str],
    rules: dict[str, Rule],
    reason: str = "",
) -> FindingView:
    rule = rules.get(finding.rule_id)
    return FindingView(
        anchor=f"finding-{n}" if not reason else f"suppressed-{n}",
        severity=finding.severity.value,
        rule_id=finding.rule_id,
        rule_title=rule.title if rule else finding.rule_id,
        rule_help=rule.help if rule else "",
        references=rule.references if rule else (),
        store_id=finding.store_id,
        store_anchor=anchors.get(finding.store_id, ""),
        message=finding.message,
        declared_at=f"{finding.file}:{finding.line}",
        location=location_text(stores.get(finding.store_id)),
        evidence=tuple(EvidenceView(place(r), r.note) for r in finding.evidence),
        reason=reason,
    )


def _country_heading(code: str) -> str:
    if code == UNKNOWN_COUNTRY:
        return "Location unknown"
    name = country_name(code)
    return f"{name} ({code})" if name else code


def _inventory(
    result: ScanResult, allowed: frozenset[str], states: dict[str, tuple[str, str]]
) -> tuple[CountryGroup, ...]:
    anchors = _anchors(result)
    groups: dict[str, list[StoreRow]] = defaultdict(list)
    for store in result.stores:
        countries = store.location.countries or (UNKNOWN_COUNTRY,)
        personal = store.personal_data
        for code in countries:
            state, label = states[store.id]
            groups[code].append(
                StoreRow(
                    anchor=anchors[store.id] if code == countries[0] else "",
                    id=store.id,
                    name=store.name or "",
                    kind=store.kind.replace("_", " "),
                    source=store.source,
                    location=location_text(store),
                    also_in=", ".join(c for c in countries if c != code),
                    personal=personal.status.value,
                    subjects=", ".join(personal.subjects),
                    declared_at=f"{store.file}:{store.line}",
                    state=state,
                    state_label=label,
                )
            )
    order = sorted(groups, key=lambda c: (c == UNKNOWN_COUNTRY, c))
    return tuple(
        CountryGroup(code, _country_heading(code), code in allowed, tuple(groups[code]))
        for code in order
    )


# --- the residency graph --------------------------------------------------------------------

_COLUMN_X = (20, 340, 770)
_COLUMN_W = (230, 300, 200)
_NODE_H = (30, 42, 42)
_PITCH = (40, 56, 56)
_TOP = 48
_WIDTH = 990


def _column_height(count: int, column: int) -> int:
    return 0 if count == 0 else count * _PITCH[column] - (_PITCH[column] - _NODE_H[column])


def _curve(x1: int, y1: int, x2: int, y2: int) -> str:
    mid = (x1 + x2) // 2
    return f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"


def _graph_stores(result: ScanResult) -> tuple[list[Store], int]:
    stores = list(result.stores)
    if len(stores) <= MAX_GRAPH_STORES:
        return stores, 0
    flagged = {f.store_id for f in result.findings} | {
        s.finding.store_id for s in result.suppressed
    }
    kept = [s for s in stores if s.personal_data.is_personal or s.id in flagged]
    return kept, len(stores) - len(kept)


def _country_state(
    code: str, stores: list[Store], states: dict[str, tuple[str, str]], allowed: frozenset[str]
) -> str:
    ranks = {f"sev-{s.value}": s.rank for s in Severity}
    worst = max(
        (states[s.id][0] for s in stores if states[s.id][0] in ranks),
        key=lambda css: ranks[css],
        default="",
    )
    if worst:
        return worst
    if code in allowed:
        return "allowed"
    return "unknown" if code == UNKNOWN_COUNTRY else "neutral"


def _graph(
    result: ScanResult, allowed: frozenset[str], states: dict[str, tuple[str, str]]
) -> Graph:
    stores, omitted = _graph_stores(result)
    anchors = _anchors(result)

    # countries, then stores ordered by their first country, worst first
    by_country: dict[str, list[Store]] = defaultdict(list)
    for store in stores:
        for code in store.location.countries or (UNKNOWN_COUNTRY,):
            by_country[code].append(store)
    countries = sorted(by_country, key=lambda c: (c == UNKNOWN_COUNTRY, c))
    country_pos = {code: n for n, code in enumerate(countries)}
    severity_rank = {f"sev-{s.value}": s.rank for s in Severity}

    def store_key(store: Store) -> tuple[int, int, str]:
        first = min(country_pos[c] for c in store.location.countries or (UNKNOWN_COUNTRY,))
        return (first, -severity_rank.get(states[store.id][0], -1), store.id)

    stores.sort(key=store_key)
    store_pos = {store.id: n for n, store in enumerate(stores)}

    # code: the files declaring stores, and the code sites writing to them
    code_links: dict[str, set[int]] = defaultdict(set)
    code_label: dict[str, tuple[str, str, str]] = {}  # key -> (label, sub, title)
    code_edges: list[tuple[str, str, str, str]] = []  # (code key, store id, kind, title)
    for store in stores:
        key = "file:" + store.file
        code_links[key].add(store_pos[store.id])
        code_label[key] = (store.file, "declares", store.file)
        code_edges.append((key, store.id, "declares", f"{store.file} declares {store.id}"))
    for edge in result.edges:
        if edge.kind is not EdgeKind.WRITES or edge.target not in store_pos:
            continue
        key = "site:" + edge.source
        where = f"{edge.file}:{edge.line}" if edge.file and edge.line else edge.file or edge.source
        code_links[key].add(store_pos[edge.target])
        code_label[key] = (where, "writes", f"{where} {edge.note}".strip())
        code_edges.append((key, edge.target, "writes", f"{where} writes {edge.target}"))

    def code_key(key: str) -> tuple[float, str]:
        positions = code_links[key]
        return (sum(positions) / len(positions), code_label[key][0])

    code_nodes = sorted(code_links, key=code_key)

    counts = (len(code_nodes), len(stores), len(countries))
    tallest = max(_column_height(n, c) for c, n in enumerate(counts))
    height = _TOP + tallest + 24

    def top(column: int, index: int) -> int:
        offset = (tallest - _column_height(counts[column], column)) // 2
        return _TOP + offset + index * _PITCH[column]

    nodes: list[GraphNode] = []
    centre: dict[str, tuple[int, int]] = {}  # node key -> (y middle, column)
    for n, key in enumerate(code_nodes):
        label, sub, title = code_label[key]
        y = top(0, n)
        nodes.append(
            GraphNode(
                f"c{n}",
                _COLUMN_X[0],
                y,
                _COLUMN_W[0],
                _NODE_H[0],
                _short(label, 30),
                sub,
                title,
                f"code {sub}",
                "",
            )
        )
        centre[key] = (y + _NODE_H[0] // 2, 0)
    for n, store in enumerate(stores):
        y = top(1, n)
        state, label = states[store.id]
        local = store.id.split(":", 1)[-1]
        sub = f"{store.source} · {store.kind.replace('_', ' ')} · {label}"
        title = store.id + (f" ({store.name})" if store.name else "") + f": {label}"
        nodes.append(
            GraphNode(
                f"s{n}",
                _COLUMN_X[1],
                y,
                _COLUMN_W[1],
                _NODE_H[1],
                _short(local, 40),
                sub,
                title,
                f"store {state}",
                "#" + anchors[store.id],
            )
        )
        centre["store:" + store.id] = (y + _NODE_H[1] // 2, 1)
    for n, code in enumerate(countries):
        y = top(2, n)
        state = _country_state(code, by_country[code], states, allowed)
        sub = "allowed by policy" if code in allowed else f"{len(by_country[code])} store(s)"
        heading = _country_heading(code)
        nodes.append(
            GraphNode(
                f"k{n}",
                _COLUMN_X[2],
                y,
                _COLUMN_W[2],
                _NODE_H[2],
                _short(heading, 26),
                sub,
                heading,
                f"country {state}",
                "#country-" + ("unknown" if code == "?" else code),
            )
        )
        centre["country:" + code] = (y + _NODE_H[2] // 2, 2)

    key_of = {"store:" + s.id: f"s{n}" for n, s in enumerate(stores)}
    key_of |= {key: f"c{n}" for n, key in enumerate(code_nodes)}
    key_of |= {"country:" + c: f"k{n}" for n, c in enumerate(countries)}

    edges: list[GraphEdge] = []
    right0 = _COLUMN_X[0] + _COLUMN_W[0]
    right1 = _COLUMN_X[1] + _COLUMN_W[1]
    for key, store_id, kind, title in code_edges:
        y1, y2 = centre[key][0], centre["store:" + store_id][0]
        css = "edge declares" if kind == "declares" else f"edge writes {states[store_id][0]}"
        d = _curve(right0, y1, _COLUMN_X[1], y2)
        edges.append(GraphEdge(key_of[key], key_of["store:" + store_id], d, css, title))
    for store in stores:
        y1 = centre["store:" + store.id][0]
        for code in store.location.countries or (UNKNOWN_COUNTRY,):
            y2 = centre["country:" + code][0]
            title = f"{store.id} is in {_country_heading(code)}"
            edges.append(
                GraphEdge(
                    key_of["store:" + store.id],
                    key_of["country:" + code],
                    _curve(right1, y1, _COLUMN_X[2], y2),
                    f"edge located {states[store.id][0]}",
                    title,
                )
            )
    copies = [e for e in result.edges if e.kind.is_copy and e.source in store_pos]
    copies = [e for e in copies if e.target in store_pos]
    for n, edge in enumerate(copies):
        y1 = centre["store:" + edge.source][0]
        y2 = centre["store:" + edge.target][0]
        # Below the middle, where the store's own edge to its country does not start.
        y1, y2 = y1 + 10, y2 + 10
        bulge = right1 + 34 + 10 * (n % 6)
        d = f"M{right1},{y1} C{bulge},{y1} {bulge},{y2} {right1 + 6},{y2}"
        edges.append(
            GraphEdge(
                key_of["store:" + edge.source],
                key_of["store:" + edge.target],
                d,
                f"edge copy {states[edge.target][0]}",
                f"{edge.kind.value}: {edge.source} → {edge.target}",
            )
        )
    columns = (
        GraphColumn(_COLUMN_X[0], "Code"),
        GraphColumn(_COLUMN_X[1], "Stores"),
        GraphColumn(_COLUMN_X[2], "Countries"),
    )
    return Graph(_WIDTH, height, columns, tuple(nodes), tuple(edges), omitted)


# --- rendering ------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return (
        resources.files("residency_audit.report")
        .joinpath(TEMPLATES, name)
        .read_text(encoding="utf-8")
    )


def _csp_hash(content: str) -> str:
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.from_string(_asset("report.html.j2"))


def render_html(result: ScanResult, policies: Sequence[Policy]) -> str:
    style = _asset("report.css")
    script = _asset("report.js")
    allowed = frozenset(c for p in policies for c in p.allowed_countries)
    states = _store_states(result)
    stores = {s.id: s for s in result.stores}
    anchors = _anchors(result)
    rules = rules_by_id(policies)
    counts = {s.value: 0 for s in Severity}
    for finding in result.findings:
        counts[finding.severity.value] += 1
    personal = sum(1 for s in result.stores if s.personal_data.is_personal)
    return _template().render(
        result=result,
        summary=summary_line(result),
        counts=counts,
        personal=personal,
        findings=[
            _finding_view(f, n, stores, anchors, rules) for n, f in enumerate(result.findings, 1)
        ],
        suppressed=[
            _finding_view(s.finding, n, stores, anchors, rules, s.reason or "(no reason)")
            for n, s in enumerate(result.suppressed, 1)
        ],
        groups=_inventory(result, allowed, states),
        graph=_graph(result, allowed, states),
        allowed=", ".join(sorted(allowed)),
        style=Markup(style),
        script=Markup(script),
        csp=(
            "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
            f"style-src {_csp_hash(style)}; script-src {_csp_hash(script)}"
        ),
    )
