"""Shared inputs for the renderer tests: the demo shop's real result, the built-in policy,
a synthetic result with every feature a renderer must show (copies, code sites, several
countries, suppressions, parse errors, hostile text), and a headless Chromium.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from residency_audit.model import (
    Edge,
    EdgeKind,
    Finding,
    Location,
    LocationStatus,
    PersonalData,
    PersonalDataStatus,
    PolicyRef,
    ScanError,
    ScanResult,
    Severity,
    SourceRef,
    Store,
    SuppressedFinding,
)
from residency_audit.policy.evaluate import fingerprint
from residency_audit.policy.load import load_policy
from residency_audit.policy.model import Policy
from residency_audit.scan import ScanRequest, run_scan

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"

# A store name a hostile repository could declare: markup, a Markdown table breaker and
# a code-span breaker in one.
HOSTILE_NAME = "<script>alert('x')</script>|`rm -rf /`"


@pytest.fixture(scope="session")
def hostile_name() -> str:
    return HOSTILE_NAME


@pytest.fixture(scope="session")
def demo_result() -> ScanResult:
    """The demo shop scanned from the repository root, as ``residency-audit scan`` would."""
    with contextlib.chdir(REPO):
        return run_scan(ScanRequest(Path("fixtures/demo-shop"))).result


@pytest.fixture(scope="session")
def ru_policy() -> Policy:
    return load_policy("ru-152fz")


def _ref(file: str, line: int | None, note: str) -> SourceRef:
    return SourceRef(file, line, note)


_CONFIG_SUBJECTS = _ref(
    ".residency-audit.yaml", 2, "config declares the project's data subjects: RU"
)


def _store(
    store_id: str,
    kind: str,
    file: str,
    line: int,
    location: Location,
    *,
    name: str | None,
    personal: PersonalData,
    source: str = "terraform",
) -> Store:
    return Store(
        id=store_id,
        kind=kind,
        source=source,
        file=file,
        line=line,
        location=location,
        name=name,
        personal_data=personal,
    )


def _finding(
    rule_id: str,
    category: str,
    severity: Severity,
    store: Store,
    message: str,
    evidence: tuple[SourceRef, ...],
) -> Finding:
    return Finding(
        rule_id=rule_id,
        category=category,
        severity=severity,
        store_id=store.id,
        file=store.file,
        line=store.line,
        message=message,
        evidence=evidence,
        fingerprint=fingerprint(rule_id, store.id),
        policy_id="ru-152fz",
    )


def _sample() -> ScanResult:
    pii = PersonalData(PersonalDataStatus.YES, ("contact",), ("RU",), (_CONFIG_SUBJECTS,))
    eu_chain = (
        _ref("infra/variables.tf", 3, 'variable "region" default = "eu-west-1"'),
        _ref("infra/providers.tf", 1, 'provider "aws" region = var.region (eu-west-1)'),
    )
    customers = _store(
        "terraform:aws_db_instance.customers",
        "relational_db",
        "infra/rds.tf",
        12,
        Location(LocationStatus.RESOLVED, "aws", "eu-west-1", ("IE",), eu_chain),
        name="customers",
        personal=pii,
    )
    orders = _store(
        "terraform:yandex_mdb_postgresql_cluster.orders",
        "relational_db",
        "infra/yandex.tf",
        4,
        Location(
            LocationStatus.RESOLVED,
            "yandex",
            "ru-central1",
            ("RU",),
            (_ref("infra/yandex.tf", 19, 'host[*].zone = "ru-central1-a"'),),
        ),
        name="orders",
        personal=pii,
    )
    backup = _store(
        "terraform:aws_s3_bucket.orders_backup",
        "object_storage",
        "infra/backup.tf",
        1,
        Location(LocationStatus.RESOLVED, "aws", "us-east-1", ("US",), eu_chain[:1]),
        name="orders-backup",
        personal=PersonalData(PersonalDataStatus.YES, (), ("RU",), (), copied_from=(orders.id,)),
    )
    sessions = _store(
        "k8s:StatefulSet/shop/sessions",
        "key_value",
        "deploy/sessions.yaml",
        1,
        Location.unknown(_ref("deploy/sessions.yaml", 1, "no cluster placement is known")),
        name="sessions",
        personal=pii,
        source="kubernetes",
    )
    hostile = _store(
        "terraform:aws_s3_bucket.uploads",
        "object_storage",
        "infra/s3 | uploads.tf",
        7,
        Location(LocationStatus.MULTI, "aws", None, ("DE", "NL"), ()),
        name=HOSTILE_NAME,
        personal=PersonalData(
            PersonalDataStatus.LIKELY,
            (),
            ("RU",),
            (_ref("infra/s3 | uploads.tf", 7, "bucket name " + HOSTILE_NAME),),
        ),
    )
    assets = _store(
        "terraform:aws_s3_bucket.assets",
        "object_storage",
        "infra/backup.tf",
        20,
        Location(LocationStatus.RESOLVED, "aws", "us-east-1", ("US",), ()),
        name="assets",
        personal=PersonalData(PersonalDataStatus.NO),
    )
    findings = (
        _finding(
            "RU-152FZ-LOCALIZATION",
            "foreign_storage",
            Severity.HIGH,
            customers,
            "Personal data of Russian users is stored in eu-west-1 (IE), outside Russia",
            (*eu_chain, _ref("infra/rds.tf", 14, 'tag pii = "true"'), _CONFIG_SUBJECTS),
        ),
        _finding(
            "RU-152FZ-LOCALIZATION",
            "foreign_storage",
            Severity.MEDIUM,
            hostile,
            "Personal data of Russian users is stored in (DE, NL), outside Russia",
            (*hostile.personal_data.evidence, _ref("", None, "the scan could not place it")),
        ),
        _finding(
            "RU-152FZ-UNKNOWN-LOCATION",
            "unknown_location",
            Severity.MEDIUM,
            sessions,
            "Personal data of Russian users is stored where the scan cannot tell: "
            "no cluster placement is known",
            sessions.location.evidence,
        ),
    )
    suppressed = (
        SuppressedFinding(
            _finding(
                "RU-152FZ-CROSS-BORDER",
                "cross_border_transfer",
                Severity.MEDIUM,
                backup,
                "A copy of Russian users' personal data (from orders) is kept in us-east-1 "
                "(US), outside Russia",
                (_ref("infra/backup.tf", 9, "replicates yandex_mdb_postgresql_cluster.orders"),),
            ),
            "PRIV-231: bucket emptied, deletion scheduled",
        ),
    )
    edges = (
        Edge(
            "python:app/repo.py:42",
            customers.id,
            EdgeKind.WRITES,
            "app/repo.py",
            42,
            "session.add(Customer(...))",
        ),
        Edge(orders.id, backup.id, EdgeKind.BACKUP, "infra/backup.tf", 9, "nightly pg_dump"),
    )
    return ScanResult(
        root="shop",
        tool_version="0.1.0",
        policies=(PolicyRef("ru-152fz", "Russia 152-FZ art. 18(5)"),),
        stores=tuple(sorted((customers, orders, backup, sessions, hostile, assets), key=_id)),
        edges=edges,
        findings=findings,
        suppressed=suppressed,
        errors=(ScanError("infra/broken.tf", 3, "unexpected token '}'\x00 \x1b[31m"),),
        files_scanned=9,
        hints=("1 personal-data store(s) have an unknown location.",),
    )


def _id(store: Store) -> str:
    return store.id


@pytest.fixture(scope="session")
def sample_result() -> ScanResult:
    return _sample()


@pytest.fixture(scope="session")
def clean_result() -> ScanResult:
    sample = _sample()
    return ScanResult(
        root="shop",
        tool_version="0.1.0",
        policies=sample.policies,
        stores=tuple(s for s in sample.stores if s.location.countries == ("RU",)),
        edges=(),
        findings=(),
        suppressed=(),
        errors=(),
        files_scanned=3,
    )


# --- headless Chromium, installed once per machine --------------------------------------

_LOCK = Path("/tmp/residency-audit-chromium-install.lock")
_INSTALL_TIMEOUT = 1200


def _chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def ensure_chromium() -> str:
    """The path of a Chromium binary, installing Debian's package the first time.

    A lock file serialises concurrent test sessions so apt runs once; when installing is
    impossible (not root, no apt, no network) the caller is told why.
    """
    found = _chromium_binary()
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise RuntimeError("chromium is not installed and apt-get is not available")
    if os.geteuid() != 0:
        raise RuntimeError("chromium is not installed and installing it needs root")
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _chromium_binary()
        if found:
            return found
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        ):
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env=env,
                timeout=_INSTALL_TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                raise RuntimeError(f"{' '.join(command)} failed: {' | '.join(tail)}")
    found = _chromium_binary()
    if not found:
        raise RuntimeError("apt-get installed chromium but no chromium binary is on PATH")
    return found


@pytest.fixture(scope="session")
def chromium() -> Iterator[str]:
    try:
        binary = ensure_chromium()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"headless Chromium unavailable: {exc}")
    yield binary
