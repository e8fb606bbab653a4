"""``residency-audit init``: a starter config, written without asking anything.

Questions block scripts and CI bootstrap jobs, so every choice is a flag and the rest are
commented examples the reader can switch on. The file is checked against the config model
before it is written: ``init`` can never produce a config that ``scan`` rejects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from residency_audit.config import CONFIG_FILE_NAME, ConfigModel
from residency_audit.geo.regions import lookup_region

_SUBJECT = re.compile(r"^[A-Z]{2}$")
_CLUSTER = re.compile(r"^(?P<paths>[^=]+)=(?P<provider>[a-z0-9_-]+):(?P<region>[A-Za-z0-9_.-]+)$")


class InitError(ValueError):
    """A flag value init cannot turn into a config; the message says which and why."""


@dataclass(frozen=True)
class ClusterChoice:
    paths: str
    provider: str
    region: str


def parse_subjects(text: str) -> tuple[str, ...]:
    """``RU`` or ``RU,KZ``; empty (or ``none``) declares no subjects."""
    if text.strip().lower() in ("", "none"):
        return ()
    codes = tuple(dict.fromkeys(code.strip().upper() for code in text.split(",") if code.strip()))
    bad = [code for code in codes if not _SUBJECT.match(code)]
    if bad:
        raise InitError(
            f"--subjects: {', '.join(bad)} is not a two-letter code (ISO 3166-1, or EU)"
        )
    return codes


def parse_cluster(text: str) -> ClusterChoice:
    """``deploy/k8s/**=yandex:ru-central1``: manifests under the glob run in that region."""
    match = _CLUSTER.match(text.strip())
    if match is None:
        raise InitError(
            f"--cluster {text!r}: expected PATH_GLOB=PROVIDER:REGION, "
            "e.g. deploy/k8s/**=yandex:ru-central1"
        )
    return ClusterChoice(match["paths"].strip(), match["provider"], match["region"])


def unknown_regions(clusters: Sequence[ClusterChoice]) -> tuple[str, ...]:
    """Clusters whose region the region table does not know: the scan would call their
    stores' location unknown, which the user should hear now rather than later."""
    return tuple(
        f"{c.provider}:{c.region}" for c in clusters if lookup_region(c.provider, c.region) is None
    )


def _q(value: str) -> str:
    """A YAML scalar that means exactly ``value`` (a JSON string is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _flow(values: Sequence[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def starter_config(
    *,
    subjects: Sequence[str] = ("RU",),
    fail_on: str = "high",
    clusters: Sequence[ClusterChoice] = (),
    exclude: Sequence[str] = (),
) -> str:
    lines = [
        "# residency-audit configuration, written by `residency-audit init`.",
        "# Every key is optional; an unknown key stops the scan, so typos cannot hide.",
        "",
        "# Whose personal data this repository handles. Stores with personal data of these",
        "# subjects are checked against the policies (RU: Russian users, 152-FZ art. 18(5)).",
    ]
    if subjects:
        lines.append(f"data_subjects: {_flow(subjects)}")
    else:
        lines.append("# data_subjects: [RU]")
    lines += [
        "",
        "# The lowest severity that fails `residency-audit scan` (exit 1):",
        "# critical, high, medium, low or none.",
        f"fail_on: {fail_on}",
        "",
        "# Paths not to scan, gitignore-style, on top of .gitignore.",
        f"exclude: {_flow(exclude)}",
        "",
        "# Where the Kubernetes manifests under these paths are deployed.",
    ]
    if clusters:
        lines += ["kubernetes:", "  clusters:"]
        for cluster in clusters:
            lines += [
                f"    - paths: [{_q(cluster.paths)}]",
                f"      provider: {_q(cluster.provider)}",
                f"      region: {_q(cluster.region)}",
            ]
    else:
        lines += [
            "# kubernetes:",
            "#   clusters:",
            '#     - paths: ["deploy/k8s/**"]',
            "#       provider: yandex",
            "#       region: ru-central1",
        ]
    lines += [
        "",
        "# Values for Terraform variables without a default, as `terraform -var` gives them.",
        "# variables:",
        "#   region: eu-central-1",
        "",
        "# Stores the code cannot prove personal: a store id, a glob on ids, or a store name.",
        "# stores:",
        '#   - match: "terraform:aws_db_instance.customers"',
        "#     personal_data: true",
        "",
        "# Findings accepted on purpose, with a reason and an end date. For one declaration,",
        "# a comment above it does the same: # residency-audit: ignore[RULE-ID] reason",
        "# suppress:",
        "#   - rule: RU-152FZ-LOCALIZATION",
        '#     store: "terraform:aws_s3_bucket.legacy"',
        '#     reason: "migration ticket 123"',
        "#     until: 2027-01-01",
    ]
    text = "\n".join(lines) + "\n"
    _check(text)
    return text


def _check(text: str) -> None:
    try:
        ConfigModel.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:  # a bug here, never the user's input
        raise InitError(f"the starter config would not load: {exc}") from exc


def write_starter(directory: Path, text: str, *, force: bool) -> Path:
    """Write ``.residency-audit.yaml`` into ``directory``; never over an existing one
    unless ``force``, since it may hold suppressions someone wrote by hand."""
    if not directory.is_dir():
        raise InitError(f"{directory}: not a directory")
    target = directory / CONFIG_FILE_NAME
    if target.exists() and not force:
        raise InitError(f"{target} already exists; use --force to overwrite it")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InitError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
