"""``residency-audit explain``: one store or finding, with every fact behind it, as a tree.

The report lists conclusions; an auditor or an engineer who doubts one needs the chain
that produced it: where the store is declared, each step that decided its location, why
it is personal and whose data it is, which copies and code sites connect it to other
stores, and what the policies concluded (including accepted findings and why they were
accepted). Everything comes from the same ``ScanResult`` the report is rendered from.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from residency_audit.model import Finding, ScanResult, SourceRef, Store
from residency_audit.policy.model import Policy, Rule
from residency_audit.report.table import SEVERITY_STYLE


@dataclass(frozen=True)
class Target:
    store: Store
    finding: Finding | None = None  # set when a finding was asked for


@dataclass(frozen=True)
class _Known:
    finding: Finding
    reason: str | None  # why it is suppressed; None for a live finding


def _all_findings(result: ScanResult) -> list[_Known]:
    return [
        *(_Known(f, None) for f in result.findings),
        *(_Known(s.finding, s.reason) for s in result.suppressed),
    ]


def resolve(result: ScanResult, query: str) -> Target | None:
    """A store id, a finding fingerprint (or a prefix of 8+ characters), ``RULE:STORE``, or
    a store id without its ``terraform:``/``k8s:``/``code:`` source prefix."""
    query = query.strip()
    stores = {s.id: s for s in result.stores}
    if query in stores:
        return Target(stores[query])
    known = _all_findings(result)
    if len(query) >= 8:
        by_print = [k.finding for k in known if k.finding.fingerprint.startswith(query.lower())]
        if len({f.fingerprint for f in by_print}) == 1 and by_print[0].store_id in stores:
            return Target(stores[by_print[0].store_id], by_print[0])
    for item in known:
        finding = item.finding
        if query == f"{finding.rule_id}:{finding.store_id}" and finding.store_id in stores:
            return Target(stores[finding.store_id], finding)
    unprefixed = [s for s in result.stores if s.id.split(":", 1)[-1] == query]
    if len(unprefixed) == 1:
        return Target(unprefixed[0])
    return None


def suggestions(result: ScanResult, query: str, limit: int = 5) -> tuple[str, ...]:
    """Store ids that look like what was asked for: containing it, else similar to it."""
    ids = [s.id for s in result.stores]
    containing = [i for i in ids if query.lower() in i.lower()]
    if containing:
        return tuple(containing[:limit])
    return tuple(difflib.get_close_matches(query, ids, n=limit, cutoff=0.4))


def _ref(ref: SourceRef) -> Text:
    text = Text()
    text.append(f"{ref.file}:{ref.line}" if ref.line else ref.file or "(scan)", style="cyan")
    text.append(f"  {ref.note}")
    return text


def _location(store: Store) -> Text:
    loc = store.location
    text = Text("location: ", style="bold")
    if loc.is_known:
        provider = f"{loc.provider} " if loc.provider else ""
        region = f"{loc.region} " if loc.region else ""
        text.append(f"{provider}{region}[{', '.join(loc.countries)}] ({loc.status.value})")
    else:
        text.append(f"unknown{f' ({loc.provider})' if loc.provider else ''}", style="yellow")
    return text


def _personal(store: Store) -> Text:
    personal = store.personal_data
    text = Text("personal data: ", style="bold")
    text.append(personal.status.value)
    if personal.categories:
        text.append(f" ({', '.join(personal.categories)})")
    if personal.copied_from:
        text.append(f"; a copy of {', '.join(personal.copied_from)}")
    return text


def _edges(tree: Tree, result: ScanResult, store: Store) -> None:
    incoming = [e for e in result.edges if e.target == store.id]
    outgoing = [e for e in result.edges if e.source == store.id]
    if not incoming and not outgoing:
        tree.add(Text("connections: none", style="bold"))
        return
    branch = tree.add(Text("connections", style="bold"))
    heads = [f"← {e.kind.value} from {e.source}" for e in incoming]
    heads += [f"→ {e.kind.value} to {e.target}" for e in outgoing]
    for head, edge in zip(heads, [*incoming, *outgoing], strict=True):
        line = Text(head)
        if edge.file:
            line.append(f"  {edge.file}:{edge.line}" if edge.line else f"  {edge.file}", "cyan")
        if edge.note:
            line.append(f"  {edge.note}")
        branch.add(line)


def _rule(policies: Sequence[Policy], finding: Finding) -> Rule | None:
    for policy in policies:
        if finding.policy_id and policy.id != finding.policy_id:
            continue
        for rule in policy.rules:
            if rule.id == finding.rule_id:
                return rule
    return None


def _finding_node(parent: Tree, item: _Known, policies: Sequence[Policy], focus: bool) -> None:
    finding = item.finding
    label = Text()
    label.append(f"{finding.severity.value.upper()} ", style=SEVERITY_STYLE[finding.severity])
    label.append(f"{finding.rule_id}", style="bold")
    label.append(f" ({finding.category})  fingerprint {finding.fingerprint}")
    if focus:
        label.append("  ◀ asked for", style="bold")
    node = parent.add(label)
    node.add(Text(finding.message))
    if item.reason is not None:
        node.add(Text(f"suppressed: {item.reason}", style="green"))
    evidence = node.add(Text("evidence", style="bold"))
    for ref in finding.evidence:
        evidence.add(_ref(ref))
    rule = _rule(policies, finding)
    if rule is not None:
        node.add(Text(f"rule: {rule.title}"))
        if rule.help:
            node.add(Text(f"what to do: {' '.join(rule.help.split())}"))
        if rule.references:
            node.add(Text(f"references: {'; '.join(rule.references)}"))


def explanation_tree(result: ScanResult, policies: Sequence[Policy], target: Target) -> Tree:
    store = target.store
    title = Text()
    title.append(store.id, style="bold magenta")
    title.append(f"  {store.kind}, {store.source}")
    if store.name:
        title.append(f", name {store.name}")
    tree = Tree(title)
    tree.add(Text.assemble(("declared at ", "bold"), (f"{store.file}:{store.line}", "cyan")))

    location = tree.add(_location(store))
    for ref in store.location.evidence:
        location.add(_ref(ref))

    personal = tree.add(_personal(store))
    for ref in store.personal_data.evidence:
        personal.add(_ref(ref))
    subjects = ", ".join(store.personal_data.subjects) or "none declared"
    tree.add(Text.assemble(("data subjects: ", "bold"), subjects))

    _edges(tree, result, store)

    mine = [k for k in _all_findings(result) if k.finding.store_id == store.id]
    if not mine:
        tree.add(Text("findings: none", style="bold green"))
    else:
        findings = tree.add(Text(f"findings ({len(mine)})", style="bold"))
        for item in mine:
            focus = target.finding is not None and item.finding == target.finding
            _finding_node(findings, item, policies, focus)
    return tree


def render_explanation(
    result: ScanResult,
    policies: Sequence[Policy],
    target: Target,
    *,
    color: bool = False,
    width: int = 120,
) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width)
    console.print(explanation_tree(result, policies, target))
    return buffer.getvalue()
