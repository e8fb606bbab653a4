"""The command line: options in, a report out. No analysis happens here."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from residency_audit import __version__
from residency_audit.baseline import DEFAULT_BASELINE_FILE, render_baseline
from residency_audit.cache import default_cache_dir
from residency_audit.config import ConfigError
from residency_audit.explain import render_explanation, resolve, suggestions
from residency_audit.gc_tuning import collect_rarely
from residency_audit.hook import fails as hook_fails
from residency_audit.hook import relative_paths, relevant_findings, render_hook, repository_root
from residency_audit.init import (
    InitError,
    parse_cluster,
    parse_subjects,
    starter_config,
    unknown_regions,
    write_starter,
)
from residency_audit.model import ScanResult, Severity
from residency_audit.policy.load import builtin_policy_ids, load_policy
from residency_audit.policy.model import Policy
from residency_audit.policy_list import render_policies_json, render_policies_table
from residency_audit.progress import progress_for
from residency_audit.report import renderer
from residency_audit.report.table import render_table
from residency_audit.scan import Scan, ScanRequest, run_scan
from residency_audit.sources.kubernetes.templates import read_piped

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


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _piped_manifests() -> bytes:
    """``--k8s-stdin``: what is piped in; a terminal on stdin is a usage error, not a hang."""
    if sys.stdin is None or sys.stdin.isatty():
        _stderr("error: --k8s-stdin: nothing is piped into standard input")
        raise typer.Exit(EXIT_ERROR)
    return read_piped(sys.stdin.buffer)


def _threshold(cli_value: FailOn | None, config_value: str | None) -> Severity | None:
    chosen = cli_value.value if cli_value is not None else (config_value or "high")
    return None if chosen == "none" else Severity(chosen)


def _render(
    result: ScanResult, policies: Sequence[Policy], fmt: OutputFormat, *, color: bool
) -> str:
    if fmt is OutputFormat.TABLE:
        return render_table(result, color=color)
    return renderer(fmt.value)(result, policies)


SCAN_EXAMPLES = (
    "Examples:\n\n"
    "  residency-audit scan .\n\n"
    "  residency-audit scan infra --format json -o report.json --fail-on medium\n\n"
    "  residency-audit scan . --format sarif -o results.sarif --quiet\n\n"
    "  residency-audit scan . --baseline .residency-audit-baseline.json"
)

BaselineOption = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        help="Baseline file (`residency-audit baseline` writes it): the findings it lists are "
        "reported as suppressed, so only new ones fail.",
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar and no messages on stderr.")
]


def _run(request: ScanRequest, *, quiet: bool) -> Scan:
    """run_scan with a progress bar for whoever watches stderr; a config error is exit 2."""
    progress = progress_for(quiet=quiet)
    try:
        return run_scan(request, progress)
    except ConfigError as exc:
        progress.close()
        _stderr(f"error: {exc}")
        raise typer.Exit(EXIT_ERROR) from exc
    finally:
        progress.close()


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
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Parser processes (default: number of cores)."),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Where parsed files are cached by content (default: ~/.cache/residency-audit).",
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Parse every file afresh; read and write no cache.")
    ] = False,
    plan: Annotated[
        list[Path] | None,
        typer.Option(
            "--plan",
            help="Terraform plan JSON (terraform show -json plan.out > FILE) to read as well "
            "(repeatable); plans inside PATH are found by themselves.",
        ),
    ] = None,
    k8s_stdin: Annotated[
        bool,
        typer.Option(
            "--k8s-stdin",
            help="Also read rendered Kubernetes manifests from standard input (helm template "
            "... | residency-audit scan --k8s-stdin), reported as the file <stdin>.",
        ),
    ] = False,
    baseline: BaselineOption = None,
    quiet: QuietOption = False,
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
        baseline=baseline,
        jobs=jobs if jobs is not None else (os.cpu_count() or 1),
        cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        k8s_stdin=_piped_manifests() if k8s_stdin else None,
    )
    outcome = _run(request, quiet=quiet)
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
        if not quiet:
            _stderr(f"report written to {output}")

    failing = result.findings_at_or_above(_threshold(fail_on, outcome.config.model.fail_on))
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_CLEAN)


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Config file (default: PATH/.residency-audit.yaml, then pyproject.toml)."
    ),
]
PolicyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--policy", help="Built-in policy id or policy file (repeatable; default ru-152fz)."
    ),
]
VarOption = Annotated[
    list[str] | None,
    typer.Option("--var", metavar="NAME=VALUE", help="A Terraform root variable (repeatable)."),
]
VarFileOption = Annotated[
    list[Path] | None,
    typer.Option("--var-file", help="A tfvars file, as terraform -var-file (repeatable)."),
]
PlanOption = Annotated[
    list[Path] | None,
    typer.Option("--plan", help="Terraform plan JSON to read as well (repeatable)."),
]
PathArgument = Annotated[Path, typer.Argument(help="Repository root to scan.")]


def _request(
    path: Path,
    config: Path | None,
    policy: list[str] | None,
    var: list[str] | None,
    var_file: list[Path] | None,
    plan: list[Path] | None,
    baseline: Path | None = None,
) -> ScanRequest:
    """The same scan as ``scan`` runs by default, for the commands built on it."""
    return ScanRequest(
        root=path,
        config_file=config,
        policies=tuple(policy or ()),
        plans=tuple(plan or ()),
        var_files=tuple(var_file or ()),
        variables=tuple(var or ()),
        baseline=baseline,
        jobs=os.cpu_count() or 1,
        cache_dir=default_cache_dir(),
    )


BASELINE_EXAMPLES = (
    "Examples:\n\n"
    "  residency-audit baseline .    (writes ./.residency-audit-baseline.json)\n\n"
    "  residency-audit baseline infra -o ci/residency-baseline.json\n\n"
    "  residency-audit scan . --baseline .residency-audit-baseline.json"
)


@app.command(epilog=BASELINE_EXAMPLES)
def baseline(
    path: PathArgument = Path("."),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write it (default: PATH/.residency-audit-baseline.json).",
        ),
    ] = None,
    config: ConfigOption = None,
    policy: PolicyOption = None,
    var: VarOption = None,
    var_file: VarFileOption = None,
    plan: PlanOption = None,
    quiet: QuietOption = False,
) -> None:
    """Record the current findings as accepted, so `scan --baseline FILE` fails only on new ones.

    The baseline lists fingerprints (a hash of rule and store id), which survive moved lines
    and reformatted files. Findings already suppressed inline or in the config are left out.
    """
    outcome = _run(_request(path, config, policy, var, var_file, plan), quiet=quiet)
    target = output or path / DEFAULT_BASELINE_FILE
    try:
        target.write_text(render_baseline(outcome.result.findings, __version__), encoding="utf-8")
    except OSError as exc:
        _stderr(f"error: cannot write {target}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_ERROR) from exc
    if not quiet:
        _stderr(f"baseline of {len(outcome.result.findings)} finding(s) written to {target}")
    raise typer.Exit(EXIT_CLEAN)


HOOK_EXAMPLES = (
    "Examples:\n\n"
    "  residency-audit hook infra/aws/storage.tf    (what pre-commit runs for a staged file)\n\n"
    "  residency-audit hook    (no files: every finding of the repository)\n\n"
    "  In .pre-commit-config.yaml, under repos:\n\n"
    "    - repo: https://github.com/OWNER/residency-audit\n"
    "      rev: v0.1.0\n"
    "      hooks:\n"
    "        - id: residency-audit"
)


@app.command(epilog=HOOK_EXAMPLES)
def hook(
    filenames: Annotated[
        list[Path] | None,
        typer.Argument(help="Staged files (pre-commit passes them); none: the whole repository."),
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option("--root", help="Repository to scan (default: the git repository here)."),
    ] = None,
    config: ConfigOption = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Lowest severity that blocks the commit (default: high)."),
    ] = None,
    baseline: BaselineOption = None,
) -> None:
    """Pre-commit hook: scan the whole repository, report the findings the staged files touch.

    A finding concerns a file when the file declares the store or is part of its evidence
    (a variable default, a provider block, a config line). A staged config shows all.
    Exit 1 when a reported finding is at or above --fail-on.
    """
    cwd = Path.cwd()
    scan_root = root or repository_root(cwd)
    request = _request(scan_root, config, None, None, None, None, baseline)
    outcome = _run(request, quiet=True)
    paths = relative_paths((str(f) for f in filenames), cwd, scan_root) if filenames else None
    shown = relevant_findings(outcome.result, paths, outcome.config.file)
    threshold = _threshold(fail_on, outcome.config.model.fail_on)
    sys.stdout.write(render_hook(outcome.result, shown, threshold, scoped=paths is not None))
    raise typer.Exit(EXIT_FINDINGS if hook_fails(shown, threshold) else EXIT_CLEAN)


EXPLAIN_EXAMPLES = (
    "Examples:\n\n"
    "  residency-audit explain terraform:aws_s3_bucket.customer_documents\n\n"
    "  residency-audit explain aws_s3_bucket.customer_documents fixtures/demo-shop\n\n"
    "  residency-audit explain 3f2a9c1e    (a finding fingerprint, or its first 8+ characters)\n\n"
    "  residency-audit explain RU-152FZ-LOCALIZATION:terraform:aws_s3_bucket.customer_documents"
)


@app.command(epilog=EXPLAIN_EXAMPLES)
def explain(
    target: Annotated[
        str,
        typer.Argument(
            metavar="STORE_ID_OR_FINDING",
            help="A store id (its source prefix may be left out), a finding fingerprint, "
            "or RULE_ID:STORE_ID.",
        ),
    ],
    path: PathArgument = Path("."),
    config: ConfigOption = None,
    policy: PolicyOption = None,
    var: VarOption = None,
    var_file: VarFileOption = None,
    plan: PlanOption = None,
    baseline: BaselineOption = None,
    quiet: QuietOption = False,
) -> None:
    """Show everything behind one store or finding as a tree: declaration, location chain,
    personal-data evidence, data subjects, connections and findings.

    Exit status: 0 shown, 2 nothing matches (close store ids are suggested).
    """
    request = _request(path, config, policy, var, var_file, plan, baseline)
    outcome = _run(request, quiet=quiet)
    found = resolve(outcome.result, target)
    if found is None:
        _stderr(f"error: no store or finding matches {target!r} in {path}")
        close = suggestions(outcome.result, target)
        if close:
            _stderr("did you mean:\n" + "\n".join(f"  {c}" for c in close))
        raise typer.Exit(EXIT_ERROR)
    color = sys.stdout.isatty()
    sys.stdout.write(render_explanation(outcome.result, outcome.policies, found, color=color))
    raise typer.Exit(EXIT_CLEAN)


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


POLICIES_EXAMPLES = (
    "Examples:\n\n"
    "  residency-audit policies\n\n"
    "  residency-audit policies --format json\n\n"
    "  residency-audit policies --policy ./policies/our-policy.yaml"
)


@app.command("policies", epilog=POLICIES_EXAMPLES)
def list_policies(
    output_format: Annotated[
        ListFormat, typer.Option("--format", help="table (default) or json.")
    ] = ListFormat.TABLE,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            help="Policy id or file to show (repeatable; default: all built-in policies).",
        ),
    ] = None,
) -> None:
    """List the policies and their rules: the rule ids that suppressions and baselines name."""
    try:
        loaded = [load_policy(p, Path.cwd()) for p in (policy or builtin_policy_ids())]
    except ConfigError as exc:
        _stderr(f"error: {exc}")
        raise typer.Exit(EXIT_ERROR) from exc
    if output_format is ListFormat.JSON:
        sys.stdout.write(render_policies_json(loaded))
    else:
        sys.stdout.write(render_policies_table(loaded, color=sys.stdout.isatty()))


INIT_EXAMPLES = (
    "Examples:\n\n"
    "  residency-audit init\n\n"
    "  residency-audit init --subjects RU --fail-on medium "
    "--cluster 'deploy/k8s/**=yandex:ru-central1'\n\n"
    "  residency-audit init services/shop --exclude 'vendor/**' --force"
)


@app.command("init", epilog=INIT_EXAMPLES)
def init_config(
    path: Annotated[Path, typer.Argument(help="Where to write .residency-audit.yaml.")] = Path("."),
    subjects: Annotated[
        str,
        typer.Option(
            "--subjects",
            help="Whose personal data the repository handles, e.g. RU or RU,KZ; "
            "'none' to leave it unset.",
        ),
    ] = "RU",
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Lowest severity that fails a scan.")
    ] = FailOn.HIGH,
    cluster: Annotated[
        list[str] | None,
        typer.Option(
            "--cluster",
            metavar="PATH_GLOB=PROVIDER:REGION",
            help="Kubernetes manifests under PATH_GLOB run in that region (repeatable).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="A gitignore-style path not to scan (repeatable)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing config.")] = False,
) -> None:
    """Write a starter .residency-audit.yaml without asking anything: choices are flags."""
    try:
        clusters = [parse_cluster(c) for c in cluster or ()]
        text = starter_config(
            subjects=parse_subjects(subjects),
            fail_on=fail_on.value,
            clusters=clusters,
            exclude=exclude or (),
        )
        written = write_starter(path, text, force=force)
    except InitError as exc:
        _stderr(f"error: {exc}")
        raise typer.Exit(EXIT_ERROR) from exc
    for unknown in unknown_regions(clusters):
        _stderr(
            f"warning: {unknown} is not in the region table; stores in that cluster will "
            "have an unknown location"
        )
    _stderr(f"wrote {written}; next: residency-audit scan {path}")


@app.command(epilog="Examples:\n\n  residency-audit version")
def version() -> None:
    """Print the version."""
    print(__version__)


def main(argv: list[str] | None = None) -> None:
    collect_rarely()
    app(args=argv)
