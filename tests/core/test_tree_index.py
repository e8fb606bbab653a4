"""The tree index: unchanged files are neither read nor prefiltered again, changed ones are,
and a file written moments before the index is saved is never vouched for."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_audit import facts, tree_index
from residency_audit.cache import FactsCache
from residency_audit.discovery import DiscoveredFile, discover
from residency_audit.facts import ParseOptions, parse_all
from residency_audit.sources.python import PythonFacts

WRITER = "import boto3\n\ntable = boto3.resource('dynamodb').Table('orders')\n"
DATA_CLASS = "from dataclasses import dataclass\n\n\n@dataclass\nclass Person:\n    inn: str\n"
MAIN_TF = 'provider "aws" {\n  region = "eu-west-1"\n}\n\nresource "aws_s3_bucket" "b" {}\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "infra").mkdir()
    (root / "app" / "writer.py").write_text(WRITER)
    (root / "app" / "people.py").write_text(DATA_CLASS)
    (root / "infra" / "main.tf").write_text(MAIN_TF)
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths the parse stage reads, in order."""
    seen: list[str] = []
    real = facts._read

    def counting(root: str, file: DiscoveredFile) -> object:
        seen.append(file.path)
        return real(root, file)

    monkeypatch.setattr(facts, "_read", counting)
    return seen


@pytest.fixture
def trust_fresh_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test a moment ago may be vouched for."""
    monkeypatch.setattr(tree_index, "RACY_SECONDS", 0.0)


def _scan(repo: Path, cache: FactsCache) -> facts.ParsedFacts:
    return parse_all(repo, discover(repo).files, ParseOptions(cache=cache))


def _python_paths(parsed: facts.ParsedFacts) -> list[str]:
    return [f.path for f in parsed.facts if isinstance(f, PythonFacts)]


@pytest.mark.usefixtures("trust_fresh_files")
def test_unchanged_files_are_not_read_again(repo: Path, tmp_path: Path, reads: list[str]) -> None:
    cache = FactsCache(tmp_path / "cache")
    first = _scan(repo, cache)
    assert sorted(reads) == ["app/people.py", "app/writer.py", "infra/main.tf"]
    assert _python_paths(first) == ["app/writer.py"]  # nobody names people.py
    reads.clear()
    second = _scan(repo, cache)
    assert second == first
    # only the words of the files to parse are read again, to see whether they now name
    # the waiting data-class file; nothing else
    assert reads == ["app/writer.py"]
    (repo / "app" / "people.py").unlink()
    reads.clear()
    assert _scan(repo, cache).facts == first.facts
    assert reads == []  # no data-class file waits: no file is read at all


@pytest.mark.usefixtures("trust_fresh_files")
def test_a_changed_file_is_read_and_its_new_verdict_used(
    repo: Path, tmp_path: Path, reads: list[str]
) -> None:
    cache = FactsCache(tmp_path / "cache")
    _scan(repo, cache)
    reads.clear()
    # the writer now names the data-class module: people.py, unchanged, is read and parsed
    (repo / "app" / "writer.py").write_text(WRITER + "from app.people import Person\n")
    third = _scan(repo, cache)
    assert reads == ["app/writer.py", "app/people.py"]
    assert _python_paths(third) == ["app/people.py", "app/writer.py"]


def test_files_written_moments_ago_are_not_vouched_for(
    repo: Path, tmp_path: Path, reads: list[str]
) -> None:
    cache = FactsCache(tmp_path / "cache")
    _scan(repo, cache)
    reads.clear()
    _scan(repo, cache)
    assert sorted(reads) == ["app/people.py", "app/writer.py", "infra/main.tf"]


@pytest.mark.usefixtures("trust_fresh_files")
def test_an_index_of_another_shape_is_ignored(repo: Path, tmp_path: Path, reads: list[str]) -> None:
    cache = FactsCache(tmp_path / "cache")
    first = _scan(repo, cache)
    index = tree_index.TreeIndex(cache, repo)
    assert set(index.previous) == {"app/people.py", "app/writer.py", "infra/main.tf"}
    cache.put(index._key, ["not", "an", "index"])
    reads.clear()
    assert _scan(repo, cache) == first
    assert len(reads) == 3
