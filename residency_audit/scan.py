"""The pipeline, in one readable function: discover, parse, link, classify, evaluate,
suppress. Rendering is the caller's business (see ``cli.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from residency_audit import __version__
from residency_audit.baseline import Baseline, load_baseline
from residency_audit.cache import FactsCache
from residency_audit.classify import classify
from residency_audit.config import CONFIG_FILE_NAME, Config, ConfigError, load_config
from residency_audit.discovery import DiscoveredFile, discover
from residency_audit.facts import ParseOptions, parse_all, parse_plans
from residency_audit.hints import scan_hints, unresolved_writes_hint
from residency_audit.link import link
from residency_audit.memo import scan_key
from residency_audit.model import Finding, PolicyRef, ScanError, ScanResult
from residency_audit.policy.evaluate import evaluate
from residency_audit.policy.load import DEFAULT_POLICY, load_policy
from residency_audit.policy.model import Policy
from residency_audit.progress import NoProgress, ScanProgress
from residency_audit.sources.kubernetes.personal import apply_workload_labels
from residency_audit.sources.kubernetes.templates import parse_stdin, template_hints
from residency_audit.sources.terraform.instance import RootValue
from residency_audit.sources.terraform.plan import PlanFacts
from residency_audit.sources.terraform.variables import cli_var_values, var_file_values
from residency_audit.suppress import apply_suppressions


@dataclass(frozen=True)
class ScanRequest:
    root: Path
    config_file: Path | None = None
    policies: tuple[str, ...] = ()  # from --policy; empty means "the config's, else default"
    plans: tuple[Path, ...] = ()  # from --plan: saved `terraform show -json` plans
    var_files: tuple[Path, ...] = ()  # from --var-file, in command-line order
    variables: tuple[str, ...] = ()  # from --var NAME=VALUE, in command-line order
    baseline: Path | None = None  # from --baseline: findings it lists are suppressed
    jobs: int = 1  # worker processes for the per-file parse stage
    cache_dir: Path | None = None  # None: no cache (--no-cache)
    k8s_stdin: bytes | None = None  # from --k8s-stdin: rendered manifests, read as "<stdin>"


def load_policies(request: ScanRequest, config: Config) -> tuple[Policy, ...]:
    if request.policies:
        return tuple(load_policy(p, Path.cwd()) for p in request.policies)
    if config.model.policies:
        return tuple(load_policy(p, config.base_dir) for p in config.model.policies)
    return (load_policy(DEFAULT_POLICY),)


@dataclass(frozen=True)
class Scan:
    result: ScanResult
    config: Config
    policies: tuple[Policy, ...]


def run_scan(request: ScanRequest, progress: ScanProgress | None = None) -> Scan:
    progress = progress or NoProgress()
    root = request.root
    if not root.is_dir():
        raise ConfigError(str(root), None, "PATH is not a readable directory")
    config = load_config(root, request.config_file)
    policies = load_policies(request, config)
    baseline = _baseline(request)

    progress.stage("discovering files")
    discovered = discover(root, config.model.exclude)
    cache = FactsCache(request.cache_dir) if request.cache_dir is not None else None
    memo_key = _memo_key(request, discovered.files) if cache is not None else None
    if cache is not None and memo_key is not None:
        remembered = cache.get(memo_key)
        if isinstance(remembered, ScanResult):
            return Scan(remembered, config, policies)
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
    if cache is not None and memo_key is not None:
        cache.put(memo_key, result)
    return Scan(result, config, policies)


def _memo_key(request: ScanRequest, files: Sequence[DiscoveredFile]) -> str:
    """Everything the report depends on besides the tree's files (see ``memo.py``)."""
    root = request.root
    named = [
        *([request.config_file] if request.config_file else []),
        root / CONFIG_FILE_NAME,
        root / "pyproject.toml",
        *(Path(p) for p in request.policies if Path(p).is_file()),
        *request.plans,
        *request.var_files,
        *([request.baseline] if request.baseline else []),
    ]
    options = [
        f"config={request.config_file}",
        f"policies={request.policies!r}",
        f"plans={request.plans!r}",
        f"var_files={request.var_files!r}",
        f"variables={request.variables!r}",
        f"baseline={request.baseline}",
    ]
    return scan_key(root, files, options, named, request.k8s_stdin or b"")


def _baseline(request: ScanRequest) -> Baseline | None:
    if request.baseline is None:
        return None
    return load_baseline(request.baseline, _display_path(request.baseline, request.root))


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
        file_values, error = var_file_values(path, _display_path(path, root))
        values.update(file_values)
        if error is not None:
            errors.append(error)
    values.update(cli_var_values(request.variables))
    return values, errors


def _display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _finding_order(finding: Finding) -> tuple[int, str, str]:
    return (-finding.severity.rank, finding.store_id, finding.rule_id)


def _display_root(root: Path) -> str:
    """The root as the user named it when relative to the working directory."""
    try:
        return root.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return root.as_posix()
