"""``residency-audit policies``: what a scan can hold a repository to, rule by rule.

Rule ids are what suppressions and baselines name, so a team writing
``# residency-audit: ignore[RU-152FZ-LOCALIZATION] ...`` needs one place to look them up.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from residency_audit.policy.model import Policy
from residency_audit.report.table import SEVERITY_STYLE


def policies_document(policies: Sequence[Policy]) -> list[dict[str, Any]]:
    return [
        {
            "id": policy.id,
            "title": policy.title,
            "subjects": list(policy.subjects),
            "allowed_countries": list(policy.allowed_countries),
            "references": list(policy.references),
            "rules": [
                {
                    "id": rule.id,
                    "category": rule.category,
                    "severity": rule.severity.value,
                    "severity_if_likely": (
                        rule.severity_if_likely.value if rule.severity_if_likely else None
                    ),
                    "title": rule.title,
                }
                for rule in policy.rules
            ],
        }
        for policy in policies
    ]


def render_policies_json(policies: Sequence[Policy]) -> str:
    return json.dumps(policies_document(policies), indent=2, ensure_ascii=False) + "\n"


def render_policies_table(
    policies: Sequence[Policy], *, color: bool = False, width: int = 120
) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width)
    for policy in policies:
        console.print(Text.assemble((policy.id, "bold"), f"  {policy.title}"))
        console.print(
            f"  protects: {', '.join(policy.subjects)}; "
            f"allowed countries: {', '.join(policy.allowed_countries)}",
            markup=False,
        )
        table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 2, 0, 0))
        for column in ("rule", "category", "severity", "title"):
            table.add_column(column, overflow="fold")
        for rule in policy.rules:
            severity = Text(rule.severity.value, style=SEVERITY_STYLE[rule.severity])
            if rule.severity_if_likely is not None:
                severity.append(f" ({rule.severity_if_likely.value} if likely)")
            table.add_row(Text(rule.id), rule.category, severity, Text(rule.title))
        console.print(table)
        console.print()
    return buffer.getvalue()
