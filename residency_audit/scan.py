"""A scan request, answered from the scan memo when no input changed, else by the
analysis (``pipeline.py``). Rendering is the caller's business (see ``cli.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from residency_audit.baseline import Baseline, load_baseline
from residency_audit.cache import FactsCache
from residency_audit.config import CONFIG_FILE_NAME, Config, ConfigError, load_config
from residency_audit.discovery import DiscoveredFile, discover
from residency_audit.memo import scan_key
from residency_audit.model import ScanResult
from residency_audit.policy.load import DEFAULT_POLICY, load_policy
from residency_audit.policy.model import Policy
from residency_audit.progress import NoProgress, ScanProgress


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
    # Imported only now: a scan answered from the memo never needs the analysis modules
    # (a fifth of a warm scan's time was importing them).
    from residency_audit.pipeline import analyse

    result = analyse(request, config, policies, baseline, discovered, cache, progress)
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
    return load_baseline(request.baseline, display_path(request.baseline, request.root))


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
