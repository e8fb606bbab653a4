"""Report renderers, one module per format, imported only when that format is asked for
(jinja2 and the SARIF tables are not worth loading for a JSON run in a pre-commit hook)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from residency_audit.model import ScanResult
    from residency_audit.policy.model import Policy

Renderer = Callable[["ScanResult", "Sequence[Policy]"], str]

# format -> (module, function); every function takes (result, policies) except json/table.
_RENDERERS = {
    "json": ("residency_audit.report.json_report", "render_json"),
    "sarif": ("residency_audit.report.sarif", "render_sarif"),
    "junit": ("residency_audit.report.junit", "render_junit"),
    "markdown": ("residency_audit.report.markdown", "render_markdown"),
    "html": ("residency_audit.report.html", "render_html"),
}


def renderer(fmt: str) -> Renderer:
    module_name, function_name = _RENDERERS[fmt]
    function = getattr(import_module(module_name), function_name)
    if fmt == "json":
        return lambda result, _policies: str(function(result))
    return function  # type: ignore[no-any-return]


def formats() -> tuple[str, ...]:
    return tuple(_RENDERERS)
