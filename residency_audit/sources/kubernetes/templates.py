"""What the scan left out because it is a template, said once per chart in the report hints.

A Helm chart's ``templates/`` are Go templates, not YAML; what they deploy is only known
after ``helm template``. Skipping them is right, but silent skipping would read as "no
stores here", so each skipped chart (and each other templated file) gets one hint naming
the way to include it: scan the rendered output, saved to a file in the repository or
piped in with ``scan --k8s-stdin``. They are hints, not errors: nothing is broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from residency_audit.model import ScanError
from residency_audit.sources.kubernetes.facts import KubernetesFacts
from residency_audit.sources.kubernetes.parse import HELM_NOTE, MAX_MANIFEST_BYTES, parse_manifests

__all__ = ["STDIN_PATH", "parse_stdin", "read_piped", "template_hints"]

STDIN_PATH = "<stdin>"
"""The path piped manifests are reported under (and matched by in ``kubernetes.clusters``)."""

_TEMPLATES_DIR = "templates"


def parse_stdin(data: bytes) -> KubernetesFacts:
    """Rendered manifests from standard input (``helm template ... | scan --k8s-stdin``),
    read as if they were a file named ``<stdin>``; input without any Kubernetes object is an
    error record, since the user asked for it to be scanned."""
    facts = parse_manifests(STDIN_PATH, data)
    if facts.objects or facts.errors or facts.notes:
        return facts
    message = "standard input (--k8s-stdin) holds no Kubernetes objects"
    return KubernetesFacts(STDIN_PATH, errors=(ScanError(STDIN_PATH, None, message),))


def template_hints(facts: Iterable[object]) -> tuple[str, ...]:
    """One line per skipped Helm chart, then one per other skipped template or object.

    ``facts`` may hold any source's facts; only Kubernetes ones are read.
    """
    charts: dict[str, int] = {}
    others: list[str] = []
    for item in sorted((f for f in facts if isinstance(f, KubernetesFacts)), key=lambda f: f.file):
        for note in item.notes:
            if note.note == HELM_NOTE:
                chart = chart_dir(note.file)
                charts[chart] = charts.get(chart, 0) + 1
            else:
                where = f"{note.file}:{note.line}" if note.line else note.file
                others.append(f"{where}: {note.note}")
    hints = [
        f"Helm chart {chart} not scanned ({count} template file(s)): scan its rendered "
        f"output instead, saved in the repository (helm template {chart} > rendered.yaml) "
        f"or piped in (helm template {chart} | residency-audit scan --k8s-stdin)"
        for chart, count in charts.items()
    ]
    return (*hints, *others)


def chart_dir(template: str) -> str:
    """``charts/shop/templates/db/statefulset.yaml`` -> ``charts/shop`` (``.`` at the root)."""
    parts = template.split("/")[:-1]
    if _TEMPLATES_DIR in parts:
        parts = parts[: parts.index(_TEMPLATES_DIR)]
    return "/".join(parts) or "."


def read_piped(stream: BinaryIO) -> bytes:
    """Standard input, bounded: a byte past the manifest limit is enough for
    :func:`parse_manifests` to refuse it with an error record, so no more is held."""
    return stream.read(MAX_MANIFEST_BYTES + 1)
