"""The analysis of a scan that the memo could not answer: parse, link, classify,
evaluate, suppress, in one readable function. Rendering is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from residency_audit import __version__
from residency_audit.baseline import Baseline
from residency_audit.cache import FactsCache
from residency_audit.classify import classify
from residency_audit.config import Config
from residency_audit.discovery import Discovery
from residency_audit.facts import ParseOptions, parse_all, parse_plans
from residency_audit.hints import scan_hints, unresolved_writes_hint
from residency_audit.link import link
from residency_audit.model import Finding, PolicyRef, ScanError, ScanResult
from residency_audit.policy.evaluate import evaluate
from residency_audit.policy.model import Policy
from residency_audit.progress import ScanProgress
from residency_audit.scan import ScanRequest, display_path
from residency_audit.sources.kubernetes.personal import apply_workload_labels
from residency_audit.sources.kubernetes.templates import parse_stdin, template_hints
from residency_audit.sources.terraform.instance import RootValue
from residency_audit.sources.terraform.plan import PlanFacts
from residency_audit.sources.terraform.variables import cli_var_values, var_file_values
from residency_audit.suppress import apply_suppressions


def analyse(
    request: ScanRequest,
    config: Config,
    policies: tuple[Policy, ...],
    baseline: Baseline | None,
    discovered: Discovery,
    cache: FactsCache | None,
    progress: ScanProgress,
) -> ScanResult:
    root = request.root
    progress.stage(f"parsing {len(discovered.files)} files")
    parsed = parse_all(root, discovered.files, ParseOptions(jobs=request.jobs, cache=cache))
    known = {f.path for f in parsed.facts if isinstance(f, PlanFacts)}
    given = parse_plans(root, request.plans, known)
    piped = () if request.k8s_stdin is None else (parse_stdin(request.k8s_stdin),)
    overrides, var_file_errors = command_line_variables(request, root)
    progress.stage("linking")
    linked = link((*parsed.facts, *given.facts, *piped), config, overrides)
    progress.stage("classifying personal data")
    graph = classify(
        (*linked.stores, *linked.connection_stores),
        linked.edges,
        config,
        linked.code.evidence_for,
    )
    graph = apply_workload_labels(graph, linked.workload_writes, config)
    progress.stage("evaluating policies")
    findings = evaluate(graph, policies)
    progress.stage("applying suppressions")
    outcome = apply_suppressions(
        findings, config, read_source=source_reader(root), baseline=baseline
    )

    stores = tuple(sorted(graph.stores.values(), key=lambda s: s.id))
    errors = tuple(
        sorted(
            {*discovered.errors, *parsed.errors, *given.errors, *var_file_errors, *linked.errors}
            | {error for facts in piped for error in facts.errors}
        )
    )
    result = ScanResult(
        root=_display_root(root),
        tool_version=__version__,
        policies=tuple(PolicyRef(p.id, p.title) for p in policies),
        stores=stores,
        edges=graph.edges,
        findings=tuple(sorted(outcome.findings, key=_finding_order)),
        suppressed=outcome.suppressed,
        errors=errors,
        files_scanned=parsed.files_scanned + given.files_scanned + len(piped),
        hints=(
            *outcome.hints,
            *scan_hints(stores, config, policies),
            *unresolved_writes_hint(linked.code.unresolved),
            *template_hints((*parsed.facts, *piped)),
        ),
    )
    return result


def source_reader(root: Path) -> Callable[[str], str | None]:
    """Reads a scanned file again by its report path, for inline suppression comments.

    Only files with findings are read (a handful), so this costs less than carrying every
    file's comments through the parse stage.
    """

    def read(path: str) -> str | None:
        try:
            return (root / path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, ValueError):
            return None

    return read


def command_line_variables(
    request: ScanRequest, root: Path
) -> tuple[dict[str, RootValue], list[ScanError]]:
    """``--var-file`` values, then ``--var`` values (later wins, as in Terraform)."""
    values: dict[str, RootValue] = {}
    errors: list[ScanError] = []
    for path in request.var_files:
        file_values, error = var_file_values(path, display_path(path, root))
        values.update(file_values)
        if error is not None:
            errors.append(error)
    values.update(cli_var_values(request.variables))
    return values, errors


def _finding_order(finding: Finding) -> tuple[int, str, str]:
    return (-finding.severity.rank, finding.store_id, finding.rule_id)


def _display_root(root: Path) -> str:
    """The root as the user named it when relative to the working directory."""
    try:
        return root.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return root.as_posix()
