"""Helm charts scanned by the real CLI: templates are skipped with a hint; rendered output
is scanned as plain manifests, saved in the repository or piped in with ``--k8s-stdin``.

``fixtures/k8s-helm`` holds the chart and its EU rendering (``helm template`` output with
``# Source:`` comments); ``fixtures/k8s-helm-rendered/storefront-ru.yaml`` is the Moscow
rendering a deploy job would pipe in. The config maps ``<stdin>`` to the Moscow cluster.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from typing import Any

from tests.e2e.conftest import FIXTURES, REPO, Run, run_cli

DB = "k8s:StatefulSet/default/storefront-storefront-postgresql"
EU_FILE = "rendered/storefront-eu.yaml"
HINT = (
    "Helm chart charts/storefront not scanned (2 template file(s)): scan its rendered output "
    "instead, saved in the repository (helm template charts/storefront > rendered.yaml) or "
    "piped in (helm template charts/storefront | residency-audit scan --k8s-stdin)"
)


def run_piped(stdin: bytes | int, *args: str) -> Run:
    completed = subprocess.run(
        [sys.executable, "-m", "residency_audit", *args],
        cwd=REPO,
        input=stdin if isinstance(stdin, bytes) else None,
        stdin=stdin if isinstance(stdin, int) else None,
        capture_output=True,
        timeout=300,
        check=False,
    )
    return Run(
        completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")
    )


def where(store: dict[str, Any]) -> tuple[str, str | None, str | None, list[str]]:
    loc = store["location"]
    return loc["status"], loc["provider"], loc["region"], loc["countries"]


def test_saved_rendering_is_scanned_and_the_chart_is_a_hint() -> None:
    run = run_cli("scan", "fixtures/k8s-helm", "--format", "json")
    assert run.exit_code == 1, run.stderr
    report = run.json()
    (store,) = report["stores"]
    # The StatefulSet is the second document, after the `# Source:` comment of the first.
    assert (store["id"], store["kind"], store["file"], store["line"]) == (
        DB,
        "relational_db",
        EU_FILE,
        29,
    )
    assert where(store) == ("resolved", "aws", "eu-central-1", ["DE"])
    assert store["location"]["evidence"][-1] == {
        "file": EU_FILE,
        "line": 51,
        "note": "StatefulSet storefront-storefront-postgresql: nodeSelector "
        "topology.kubernetes.io/zone In [eu-central-1a]",
    }
    assert [(f["rule_id"], f["store_id"], f["file"], f["line"]) for f in report["findings"]] == [
        ("RU-152FZ-LOCALIZATION", DB, EU_FILE, 29)
    ]
    assert report["hints"] == [HINT]
    assert report["errors"] == []


def test_piped_rendering_is_scanned_as_the_file_stdin() -> None:
    rendered = (FIXTURES / "k8s-helm-rendered" / "storefront-ru.yaml").read_bytes()
    run = run_piped(rendered, "scan", "fixtures/k8s-helm", "--format", "json", "--k8s-stdin")
    assert run.exit_code == 1, run.stderr
    report = run.json()  # stdout is the report and nothing else
    # One release per cluster: the same natural id twice, told apart by file.
    assert [(s["id"], s["file"], s["line"], *where(s)) for s in report["stores"]] == [
        (f"{DB}@<stdin>", "<stdin>", 29, "resolved", "yandex", "ru-central1", ["RU"]),
        (f"{DB}@{EU_FILE}", EU_FILE, 29, "resolved", "aws", "eu-central-1", ["DE"]),
    ]
    piped = report["stores"][0]
    assert piped["location"]["evidence"] == [
        {
            "file": ".residency-audit.yaml",
            "line": 10,
            "note": "kubernetes.clusters maps <stdin> (<stdin>) to yandex ru-central1",
        }
    ]
    assert piped["personal_data"]["evidence"][0] == {
        "file": "<stdin>",
        "line": 29,
        "note": 'label residency-audit/personal-data = "true"',
    }
    assert [(f["rule_id"], f["store_id"]) for f in report["findings"]] == [
        ("RU-152FZ-LOCALIZATION", f"{DB}@{EU_FILE}")
    ]
    assert report["summary"]["files_scanned"] == 7


def test_piped_garbage_is_an_error_record_not_a_crash() -> None:
    run = run_piped(b"\xff\xfe not yaml: [", "scan", "fixtures/k8s-helm", "--k8s-stdin")
    assert run.exit_code == 1, run.stderr
    report = run.json()  # json by default when stdout is not a terminal
    assert report["errors"] == [
        {
            "file": "<stdin>",
            "line": None,
            "message": "standard input (--k8s-stdin) holds no Kubernetes objects",
        }
    ]


def test_piped_broken_manifest_reports_its_line() -> None:
    broken = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: {}\n"
    run = run_piped(broken, "scan", "fixtures/k8s-helm", "--format", "json", "--k8s-stdin")
    report = run.json()
    assert [(e["file"], e["line"]) for e in report["errors"]] == [("<stdin>", 5)]
    assert report["errors"][0]["message"].startswith("YAML syntax error: ")


def test_a_terminal_on_stdin_is_a_usage_error() -> None:
    primary, secondary = pty.openpty()
    try:
        run = run_piped(secondary, "scan", "fixtures/k8s-helm", "--k8s-stdin")
    finally:
        os.close(primary)
        os.close(secondary)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr == "error: --k8s-stdin: nothing is piped into standard input\n"
