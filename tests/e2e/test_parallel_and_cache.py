"""Worker count and cache never change the report."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import run_cli


def test_jobs_and_cache_give_byte_identical_reports(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    reports = [
        run_cli("scan", "fixtures/tf-modules", "--format", "json", *args).stdout
        for args in (
            ("--no-cache", "--jobs", "1"),
            ("--no-cache", "--jobs", "2"),
            ("--cache-dir", str(cache), "--jobs", "2"),  # cold: fills the cache
            ("--cache-dir", str(cache), "--jobs", "1"),  # warm: every file from the cache
        )
    ]
    assert reports[0]
    assert all(report == reports[0] for report in reports)
    assert any(cache.rglob("*"))
