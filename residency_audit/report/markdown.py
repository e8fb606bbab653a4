"""The Markdown report, written to be posted as a pull-request comment.

A clean scan is two lines, so the bot comment does not bury the conversation. Otherwise
a table gives the findings at a glance and a collapsed ``<details>`` block per finding
holds its evidence chain, for the reviewer who wants to check it. Every piece of text
that comes from the scanned repository is escaped: a store name must not be able to
break the table, open a code span or inject HTML into the comment. Comments have a size
limit (GitHub: 65536 characters), so very long reports are cut with a pointer to the
full ones.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from residency_audit.model import Finding, ScanResult, Severity, Store
from residency_audit.policy.model import Policy, Rule, rules_by_id
from residency_audit.report.wording import location_text, place

MAX_FINDINGS_SHOWN = 50

# Backslash-escaping any ASCII punctuation is valid CommonMark; these are the characters
# that can start emphasis, links, code, HTML, tables, strikethrough or entities mid-line.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|~&!#])")
_NEWLINES = re.compile(r"[\r\n\t]+")
# Other control characters (a NUL, a terminal escape from a hostile file) render as
# nothing or garbage; they become U+FFFD so the reader sees that something was there.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _one_line(value: str) -> str:
    return _CONTROL.sub("\ufffd", _NEWLINES.sub(" ", value))


def text(value: str) -> str:
    """Plain text that renders as itself, on one line, inside a table cell too."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _one_line(value))


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def prose(value: str) -> str:
    """Policy-authored help: its `code spans` are kept, everything else is escaped."""
    parts = _CODE_SPAN.split(_one_line(value))
    return "".join(part if n % 2 else text(part) for n, part in enumerate(parts))


def code(value: str, *, in_table: bool = False) -> str:
    """A code span that holds ``value`` verbatim, whatever backticks it contains.

    The fence is one backtick longer than the longest run inside (CommonMark). In a GFM
    table a pipe ends the cell even inside a code span unless it is backslash-escaped;
    the table parser removes that backslash before the span is read.
    """
    value = _one_line(value)
    if in_table:
        value = value.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{padding}{value}{padding}{fence}"


def _counts(result: ScanResult) -> str:
    policies = ", ".join(p.id for p in result.policies) or "no policy"
    return (
        f"{len(result.stores)} store(s) checked against {policies}, "
        f"{result.files_scanned} file(s) scanned, {len(result.errors)} parse error(s), "
        f"{len(result.suppressed)} suppressed"
    )


def _headline(result: ScanResult) -> str:
    counts = {s: 0 for s in Severity}
    for finding in result.findings:
        counts[finding.severity] += 1
    parts = ", ".join(f"{counts[s]} {s.value}" for s in Severity if counts[s])
    return f"{len(result.findings)} finding(s) ({parts})"


def _table(findings: Sequence[Finding], stores: dict[str, Store]) -> list[str]:
    lines = [
        "| Severity | Rule | Store | Location | Declared at |",
        "|---|---|---|---|---|",
    ]
    for f in findings:
        cells = (
            f"**{f.severity.value}**",
            text(f.rule_id),
            code(f.store_id, in_table=True),
            text(location_text(stores.get(f.store_id))),
            code(f"{f.file}:{f.line}", in_table=True),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _details(finding: Finding, store: Store | None, rule: Rule | None) -> list[str]:
    summary = html.escape(
        f"{finding.severity.value.upper()} {finding.rule_id} {finding.store_id}", quote=False
    )
    lines = [
        f"<details><summary>{summary}</summary>",
        "",
        text(finding.message),
        "",
        f"- declared at {code(f'{finding.file}:{finding.line}')}",
        f"- location: {text(location_text(store))}",
    ]
    if store is not None and store.personal_data.subjects:
        lines.append(f"- data subjects: {text(', '.join(store.personal_data.subjects))}")
    lines += ["", "Evidence:", ""]
    lines += [
        f"{n}. {code(place(ref))} {text(ref.note)}" for n, ref in enumerate(finding.evidence, 1)
    ]
    if rule is not None:
        refs = "; ".join(rule.references)
        lines += ["", f"Rule: {text(rule.title)}" + (f" ({text(refs)})" if refs else "")]
        if rule.help:
            lines += ["", f"> {prose(rule.help)}"]
    lines += ["", "</details>"]
    return lines


def _suppressed(result: ScanResult) -> list[str]:
    lines = [
        f"<details><summary>{len(result.suppressed)} suppressed finding(s)</summary>",
        "",
    ]
    for item in result.suppressed[:MAX_FINDINGS_SHOWN]:
        f = item.finding
        lines.append(f"- {text(f.rule_id)} {code(f.store_id)}: {text(item.reason)}")
    lines += ["", "</details>"]
    return lines


def _errors(result: ScanResult) -> list[str]:
    lines = [
        f"<details><summary>{len(result.errors)} file(s) could not be read "
        "(the rest was scanned)</summary>",
        "",
    ]
    for error in result.errors[:MAX_FINDINGS_SHOWN]:
        where = f"{error.file}:{error.line}" if error.line else error.file
        lines.append(f"- {code(where)} {text(error.message)}")
    lines += ["", "</details>"]
    return lines


def render_markdown(result: ScanResult, policies: Sequence[Policy]) -> str:
    lines: list[str] = []
    if not result.findings:
        lines += ["### residency-audit: no findings", "", f"No findings: {_counts(result)}."]
    else:
        stores = {s.id: s for s in result.stores}
        rules = rules_by_id(policies)
        shown = result.findings[:MAX_FINDINGS_SHOWN]
        lines += [f"### residency-audit: {_headline(result)}", "", f"{_counts(result)}.", ""]
        lines += _table(shown, stores)
        for finding in shown:
            store = stores.get(finding.store_id)
            lines += ["", *_details(finding, store, rules.get(finding.rule_id))]
        hidden = len(result.findings) - len(shown)
        if hidden:
            lines += [
                "",
                f"... and {hidden} more finding(s); see the full report "
                "(`--format html` or `--format json`).",
            ]
    if result.suppressed:
        lines += ["", *_suppressed(result)]
    if result.errors:
        lines += ["", *_errors(result)]
    return "\n".join(lines) + "\n"
