"""The command line: options in, a report out. No analysis happens here."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from residency_audit import __version__
from residency_audit.config import ConfigError
from residency_audit.model import ScanResult, Severity
from residency_audit.policy.model import Policy
from residency_audit.report.html import render_html
from residency_audit.report.json_report import render_json
from residency_audit.report.junit import render_junit
from residency_audit.report.markdown import render_markdown
from residency_audit.report.sarif import render_sarif
from residency_audit.report.table import render_table
from residency_audit.scan import ScanRequest, run_scan

app = typer.Typer(
    name="residency-audit",
    help="Find where a repository stores Russian users' personal data outside Russia.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"


class FailOn(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


RENDERERS: dict[OutputFormat, Callable[[ScanResult, Sequence[Policy]], str]] = {
    OutputFormat.JSON: lambda result, _policies: render_json(result),
    OutputFormat.SARIF: render_sarif,
    OutputFormat.JUNIT: render_junit,
    OutputFormat.MARKDOWN: render_markdown,
    OutputFormat.HTML: render_html,
}


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _threshold(cli_value: FailOn | None, config_value: str | None) -> Severity | None:
    chosen = cli_value.value if cli_value is not None else (config_value or "high")
    return None if chosen == "none" else Severity(chosen)


def _render(
    result: ScanResult, policies: Sequence[Policy], fmt: OutputFormat, *, color: bool
) -> str:
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        return render_table(result, color=color)
    return renderer(result, policies)


SCAN_EXAMPLES = (
    "Examples:\n\n"
    "  residency-audit scan .\n\n"
    "  residency-audit scan infra --format json -o report.json --fail-on medium"
)


@app.command(epilog=SCAN_EXAMPLES)
def scan(
    path: Annotated[Path, typer.Argument(help="Repository root to scan.")] = Path("."),
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format", help="Report format (default: table on a terminal, json otherwise)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to FILE instead of stdout."),
    ] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy", help="Built-in policy id or policy file (repeatable; default ru-152fz)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Config file (default: PATH/.residency-audit.yaml, then pyproject.toml).",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on", help="Lowest severity that fails the run with exit 1 (default: high)."
        ),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="NAME=VALUE",
            help="A Terraform root-module variable, as terraform -var (repeatable; wins over "
            "tfvars and the config's variables).",
        ),
    ] = None,
    var_file: Annotated[
        list[Path] | None,
        typer.Option("--var-file", help="A tfvars file, as terraform -var-file (repeatable)."),
    ] = None,
    plan: Annotated[
        list[Path] | None,
        typer.Option(
            "--plan",
            help="Terraform plan JSON (terraform show -json plan.out > FILE) to read as well "
            "(repeatable); plans inside PATH are found by themselves.",
        ),
    ] = None,
) -> None:
    """Scan PATH and report personal-data stores outside the allowed countries.

    Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 the scan
    could not run (bad arguments, unreadable PATH, invalid config or policy).
    """
    to_terminal = output is None and sys.stdout.isatty()
    fmt = output_format or (OutputFormat.TABLE if to_terminal else OutputFormat.JSON)
    request = ScanRequest(
        root=path,
        config_file=config,
        policies=tuple(policy or ()),
        plans=tuple(plan or ()),
        var_files=tuple(var_file or ()),
        variables=tuple(var or ()),
    )
    try:
        outcome = run_scan(request)
    except ConfigError as exc:
        _stderr(f"error: {exc}")
        raise typer.Exit(EXIT_ERROR) from exc

    result = outcome.result
    report = _render(result, outcome.policies, fmt, color=to_terminal)
    if output is None:
        sys.stdout.write(report)
    else:
        try:
            output.write_text(report, encoding="utf-8")
        except OSError as exc:
            _stderr(f"error: cannot write {output}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_ERROR) from exc
        _stderr(f"report written to {output}")

    failing = result.findings_at_or_above(_threshold(fail_on, outcome.config.model.fail_on))
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_CLEAN)


@app.command()
def version() -> None:
    """Print the version."""
    print(__version__)


def main() -> None:
    app()
