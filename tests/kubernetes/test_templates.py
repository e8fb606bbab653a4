from __future__ import annotations

import io
from collections.abc import Callable

from residency_audit.model import ScanError
from residency_audit.sources.kubernetes.facts import KubernetesFacts
from residency_audit.sources.kubernetes.parse import MAX_MANIFEST_BYTES, parse_manifests
from residency_audit.sources.kubernetes.templates import (
    STDIN_PATH,
    chart_dir,
    parse_stdin,
    read_piped,
    template_hints,
)

Tree = Callable[[str], list[KubernetesFacts]]

TEMPLATE = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
spec:
  replicas: {{ .Values.replicas }}
"""


def test_one_hint_per_chart_however_many_templates(tree: Tree) -> None:
    facts = tree("k8s-helm")
    assert template_hints(facts) == (
        "Helm chart charts/storefront not scanned (2 template file(s)): scan its rendered "
        "output instead, saved in the repository (helm template charts/storefront > "
        "rendered.yaml) or piped in (helm template charts/storefront | residency-audit scan "
        "--k8s-stdin)",
    )


def test_subcharts_and_other_templates_are_hinted_separately() -> None:
    facts = [
        parse_manifests("charts/shop/templates/web.yaml", TEMPLATE),
        parse_manifests("charts/shop/charts/redis/templates/redis.yaml", TEMPLATE),
        parse_manifests("deploy/worker.yaml", TEMPLATE),
        "not kubernetes facts",
    ]
    hints = template_hints(facts)
    assert [hint.split(" not scanned")[0] for hint in hints[:2]] == [
        "Helm chart charts/shop/charts/redis",
        "Helm chart charts/shop",
    ]
    assert hints[2] == (
        "deploy/worker.yaml:4: template syntax ({{ ... }}) makes this file invalid YAML: "
        "skipped. Scan the rendered manifests (helm template, gomplate, ...) to include what "
        "it deploys"
    )
    assert len(hints) == 3


def test_no_templates_no_hints(tree: Tree) -> None:
    assert template_hints(tree("k8s-overlays")) == ()


def test_chart_dir() -> None:
    assert chart_dir("charts/shop/templates/db/statefulset.yaml") == "charts/shop"
    assert chart_dir("templates/deployment.yaml") == "."


def test_piped_manifests_are_the_file_stdin() -> None:
    rendered = b"""\
---
# Source: app/templates/db.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: release-name-app-db
spec:
  template:
    spec:
      containers:
        - name: db
          image: "postgres:16.4"
"""
    facts = parse_stdin(rendered)
    assert (facts.file, facts.errors, facts.notes) == (STDIN_PATH, (), ())
    assert [(o.kind, o.name, o.file, o.line) for o in facts.objects] == [
        ("StatefulSet", "release-name-app-db", STDIN_PATH, 3)
    ]


def test_piped_input_without_objects_is_an_error() -> None:
    assert parse_stdin(b"").errors == (
        ScanError(STDIN_PATH, None, "standard input (--k8s-stdin) holds no Kubernetes objects"),
    )
    assert parse_stdin(b"replicaCount: 2\n").errors[0].message.startswith("standard input")


def test_piped_input_is_read_bounded() -> None:
    stream = io.BytesIO(b"apiVersion: v1\nkind: List\n" + b"#" * MAX_MANIFEST_BYTES)
    data = read_piped(stream)
    assert len(data) == MAX_MANIFEST_BYTES + 1
    assert parse_stdin(data).errors[0].message.startswith("file too large for a manifest")
