"""The terminal report: what a person reads first, so findings lead and evidence follows.

Findings are grouped by severity, worst first; each shows the store, where it lives and
the file:line chain that proves it, so the reader can open the files and check. An
inventory of every store follows, then parse errors and hints.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from residency_audit.model import Finding, ScanResult, Severity, Store
from residency_audit.report.wording import place

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _finding_block(finding: Finding, store: Store | None) -> Text:
    text = Text()
    text.append(f"{finding.severity.value.upper():<8}", style=SEVERITY_STYLE[finding.severity])
    text.append(f" {finding.rule_id}  ", style="bold")
    text.append(finding.store_id, style="bold magenta")
    text.append(f"\n  {finding.message}\n  declared at ")
    text.append(f"{finding.file}:{finding.line}", style="cyan")
    if store is not None:
        text.append(f"\n  location: {_location_cell(store)}")
    text.append("\n  evidence:")
    for ref in finding.evidence:
        text.append("\n    ")
        text.append(place(ref), style="cyan")
        text.append(f"  {ref.note}")
    text.append("\n")
    return text


def _location_cell(store: Store) -> str:
    """Where the store is; for an unknown one the finding's message carries the reason."""
    loc = store.location
    if not loc.is_known:
        provider = f"{loc.provider}, " if loc.provider else ""
        return f"unknown ({provider}region not determined)"
    provider = f"{loc.provider} " if loc.provider else ""
    return f"{provider}{loc.region or ''} [{', '.join(loc.countries)}]".strip()


def _inventory(stores: Iterable[Store]) -> Table:
    table = Table(title="Stores", title_justify="left", show_lines=False, expand=False)
    for column in ("store", "kind", "location", "personal data", "subjects", "declared at"):
        table.add_column(column, overflow="fold")
    for store in stores:
        personal = store.personal_data
        table.add_row(
            escape(store.id),
            store.kind,
            escape(_location_cell(store)),
            personal.status.value,
            ", ".join(personal.subjects) or "-",
            f"{store.file}:{store.line}",
        )
    return table


def summary_line(result: ScanResult) -> str:
    counts = {s: 0 for s in Severity}
    for finding in result.findings:
        counts[finding.severity] += 1
    parts = [f"{counts[s]} {s.value}" for s in Severity if counts[s]]
    findings = f"{len(result.findings)} finding(s)" + (f" ({', '.join(parts)})" if parts else "")
    return (
        f"{findings}, {len(result.suppressed)} suppressed, {len(result.stores)} store(s), "
        f"{result.files_scanned} file(s) scanned, {len(result.errors)} error(s)"
    )


def render_table(result: ScanResult, *, color: bool = False, width: int = 120) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width)
    stores = {s.id: s for s in result.stores}
    policies = ", ".join(p.id for p in result.policies)
    console.print(Text(f"residency-audit: {result.root}  (policies: {policies})", style="bold"))
    console.print()
    if result.findings:
        ordered = sorted(result.findings, key=lambda f: (-f.severity.rank, f.store_id, f.rule_id))
        for finding in ordered:
            console.print(_finding_block(finding, stores.get(finding.store_id)))
    else:
        console.print(Text("No findings.", style="bold green"))
        console.print()
    if result.suppressed:
        console.print(Text("Suppressed:", style="bold"))
        for item in result.suppressed:
            f = item.finding
            console.print(f"  {f.rule_id} {escape(f.store_id)}: {escape(item.reason)}")
        console.print()
    if result.stores:
        console.print(_inventory(result.stores))
        console.print()
    if result.errors:
        console.print(Text("Files that could not be read (the rest was scanned):", style="bold"))
        for error in result.errors:
            where = f"{error.file}:{error.line}" if error.line else error.file
            console.print(f"  {escape(where)}  {escape(error.message)}")
        console.print()
    for hint in result.hints:
        console.print(Panel(escape(hint), title="hint", title_align="left", expand=False))
    console.print(Text(summary_line(result), style="bold"))
    return buffer.getvalue()
