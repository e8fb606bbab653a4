"""The scan-level memo: reused only when nothing the report depends on changed."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from residency_audit.discovery import discover
from residency_audit.memo import scan_key
from residency_audit.scan import ScanRequest, run_scan

TF = (
    'provider "aws" {\n  region = "eu-west-1"\n}\n\n'
    'resource "aws_s3_bucket" "users" {\n  tags = {\n    pii = "true"\n  }\n}\n'
)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.tf").write_text(TF)
    (repo / ".residency-audit.yaml").write_text("data_subjects: [RU]\n")
    return repo


def _key(repo: Path, today: dt.date = dt.date(2026, 11, 23), options: tuple[str, ...] = ()) -> str:
    return scan_key(repo, discover(repo).files, options, [], b"", today)


def test_key_changes_with_files_options_dates_and_outside_inputs(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    first = _key(repo)
    assert _key(repo) == first
    assert _key(repo, today=dt.date(2026, 11, 24)) != first  # suppressions may expire
    assert _key(repo, options=("variables=('a=b',)",)) != first
    outside = tmp_path / "prod.tfvars"
    outside.write_text('region = "eu-north-1"\n')
    with_file = scan_key(repo, discover(repo).files, (), [outside], b"", dt.date(2026, 11, 23))
    outside.write_text('region = "eu-west-2"\n')
    assert (
        scan_key(repo, discover(repo).files, (), [outside], b"", dt.date(2026, 11, 23)) != with_file
    )
    stat = (repo / "main.tf").stat()
    (repo / "main.tf").write_text(TF.replace("eu-west-1", "eu-west-3"))
    os.utime(repo / "main.tf", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # mtime put back
    assert _key(repo) != first  # size/ctime still differ
    (repo / "notes.txt").write_text("a new file changes the tree")
    assert _key(repo) != first


def test_memo_returns_the_same_result_and_a_change_is_seen(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    request = ScanRequest(repo, cache_dir=tmp_path / "cache")
    first = run_scan(request).result
    assert run_scan(request).result == first
    assert any(p.name.startswith("memo-") for p in (tmp_path / "cache").rglob("*"))
    (repo / "main.tf").write_text(TF.replace("eu-west-1", "us-east-1"))
    changed = run_scan(request).result
    assert changed.stores[0].location.countries == ("US",)
