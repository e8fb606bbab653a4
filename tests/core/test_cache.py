"""The content-hash cache: hits, invalidation, corruption and concurrent writers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from residency_audit.cache import MAGIC, FactsCache, content_key
from residency_audit.discovery import discover
from residency_audit.facts import ParseOptions, parse_all

MAIN_TF = 'provider "aws" {\n  region = "eu-west-1"\n}\n\nresource "aws_s3_bucket" "b" {}\n'


def test_key_depends_on_path_kind_and_content() -> None:
    key = content_key("infra/main.tf", "terraform", b"x")
    assert key == content_key("infra/main.tf", "terraform", b"x")
    assert key != content_key("infra/other.tf", "terraform", b"x")
    assert key != content_key("infra/main.tf", "tfvars", b"x")
    assert key != content_key("infra/main.tf", "terraform", b"y")


def test_second_parse_comes_from_the_cache_and_equals_the_first(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "main.tf").write_text(MAIN_TF)
    (repo / "infra" / "broken.tf").write_text('resource "x" "y" {\n')
    files = discover(repo).files
    cache = FactsCache(tmp_path / "cache")
    first = parse_all(repo, files, ParseOptions(cache=cache))
    assert (cache.hits, cache.misses) == (0, 2)
    second = parse_all(repo, files, ParseOptions(cache=cache))
    assert (cache.hits, cache.misses) == (2, 2)
    assert second == first
    assert [e.file for e in second.errors] == ["infra/broken.tf"]  # errors are cached too
    (repo / "infra" / "main.tf").write_text(MAIN_TF.replace("eu-west-1", "eu-north-1"))
    parse_all(repo, files, ParseOptions(cache=cache))
    assert (cache.hits, cache.misses) == (3, 3)


def test_corrupt_and_truncated_entries_are_ignored_and_rewritten(tmp_path: Path) -> None:
    cache = FactsCache(tmp_path)
    key = content_key("a.tf", "terraform", b"data")
    cache.put(key, ("facts", ()))
    entry = tmp_path / key[:2] / key
    blob = entry.read_bytes()
    assert blob.startswith(MAGIC)
    entry.write_bytes(blob[:-3])  # truncated
    assert cache.get(key) is None
    entry.write_bytes(blob[:-1] + bytes([blob[-1] ^ 0xFF]))  # one flipped byte
    assert cache.get(key) is None
    entry.write_bytes(b"garbage")
    assert cache.get(key) is None
    cache.put(key, ("facts", ()))
    assert cache.get(key) == ("facts", ())


def test_concurrent_writers_leave_a_valid_entry(tmp_path: Path) -> None:
    cache = FactsCache(tmp_path)
    key = content_key("a.tf", "terraform", b"data")
    value = ("facts", tuple(range(1000)))
    threads = [threading.Thread(target=cache.put, args=(key, value)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get(key) == value
    assert [p.name for p in (tmp_path / key[:2]).iterdir()] == [key]  # no temporary left


def test_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = FactsCache(blocker / "cache")
    cache.put("ab" + "0" * 62, ("x",))
    assert cache.get("ab" + "0" * 62) is None


def test_a_broken_worker_pool_falls_back_to_parsing_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures.process import BrokenProcessPool

    import residency_audit.facts as facts

    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    for n in range(facts.MIN_FILES_FOR_POOL + 1):
        (repo / "infra" / f"b{n}.tf").write_text(MAIN_TF.replace('"b"', f'"b{n}"'))
    files = discover(repo).files
    expected = parse_all(repo, files, ParseOptions(jobs=1))

    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise BrokenProcessPool("simulated")

    monkeypatch.setattr(facts, "ProcessPoolExecutor", Broken)
    assert parse_all(repo, files, ParseOptions(jobs=2)) == expected


def test_workers_dying_mid_scan_cost_speed_not_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    import residency_audit.facts as facts

    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    for n in range(3 * facts.MIN_FILES_FOR_POOL + 5):
        (repo / "infra" / f"b{n}.tf").write_text(MAIN_TF.replace('"b"', f'"b{n}"'))
    files = discover(repo).files
    expected = parse_all(repo, files, ParseOptions(jobs=1))

    class DiesAfterOneBatch:
        """The first batch is parsed; the worker then dies with every later one."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            self.submitted = 0

        def submit(self, fn: object, jobs: list[object], cache_dir: str | None) -> Future[object]:
            future: Future[object] = Future()
            self.submitted += 1
            if self.submitted == 1:
                future.set_result(facts._parse_batch(jobs, cache_dir))  # type: ignore[arg-type]
            else:
                future.set_exception(BrokenProcessPool("worker killed"))
            return future

        def shutdown(self, **kwargs: object) -> None:
            return None

    monkeypatch.setattr(facts, "ProcessPoolExecutor", DiesAfterOneBatch)
    cache = FactsCache(tmp_path / "cache")
    assert parse_all(repo, files, ParseOptions(jobs=2, cache=cache)) == expected
    assert capsys.readouterr().err.count("parser workers failed (worker killed)") == 1
    # the worker's batch and the batches parsed here instead are all in the cache
    assert parse_all(repo, files, ParseOptions(jobs=2, cache=cache)) == expected
    assert (cache.hits, cache.misses) == (len(files), len(files))
