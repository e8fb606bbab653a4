"""The progress bar: drawn on a watched terminal, silent everywhere else, never on stdout."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from residency_audit.progress import BarProgress, NoProgress, progress_for
from residency_audit.scan import ScanRequest, run_scan
from tests.e2e.conftest import FIXTURES, REPO, run_cli, validate_report


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_bar_shows_each_stage_and_erases_itself() -> None:
    screen = io.StringIO()
    bar = BarProgress(Console(file=screen, force_terminal=True, width=100), delay=0)
    scan = run_scan(ScanRequest(FIXTURES / "demo-shop"), bar)
    bar.close()
    bar.close()  # closing twice (error path, then finally) is harmless
    drawn = screen.getvalue()
    assert bar.shown
    assert "starting" in drawn
    assert "applying suppressions" in drawn
    assert "6/6" in drawn
    assert drawn.endswith("\x1b[2K")  # transient: the last thing written erases the bar
    assert len(scan.result.findings) == 2


def test_bar_stays_hidden_for_a_scan_faster_than_the_delay() -> None:
    screen = io.StringIO()
    bar = BarProgress(Console(file=screen, force_terminal=True), delay=30)
    for stage in ("discovering files", "parsing 3 files", "linking"):
        bar.stage(stage)
    bar.close()
    assert not bar.shown
    assert screen.getvalue() == ""


def test_bar_only_for_a_terminal_and_never_when_quiet() -> None:
    assert isinstance(progress_for(quiet=False, stream=_Stream(tty=False)), NoProgress)
    assert isinstance(progress_for(quiet=True, stream=_Stream(tty=True)), NoProgress)
    watched = progress_for(quiet=False, stream=_Stream(tty=True), delay=30)
    assert isinstance(watched, BarProgress)
    watched.close()


def test_piped_run_writes_nothing_but_the_report() -> None:
    run = run_cli("scan", "fixtures/demo-shop", "--format", "json")
    assert run.exit_code == 1
    assert run.stderr == ""
    validate_report(json.loads(run.stdout))


def test_quiet_silences_the_written_to_message(tmp_path: Path) -> None:
    loud = run_cli("scan", "fixtures/demo-shop", "-o", str(tmp_path / "a.json"))
    assert loud.stderr == f"report written to {tmp_path / 'a.json'}\n"
    quiet = run_cli("scan", "fixtures/demo-shop", "-o", str(tmp_path / "b.json"), "--quiet")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (1, "", "")
    validate_report(json.loads((tmp_path / "b.json").read_text()))


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side of the terminal is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_terminal_stderr_with_quiet_stays_empty_and_stdout_is_json() -> None:
    controller, terminal = pty.openpty()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "residency_audit", "scan", "fixtures/demo-shop", "--quiet"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=300,
            check=False,
        )
        os.close(terminal)
        terminal = -1
        on_terminal = _read_all(controller)
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert completed.returncode == 1
    assert on_terminal == b""
    validate_report(json.loads(completed.stdout))


def test_timings_on_request_name_every_stage_on_stderr_only() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "residency_audit",
            "scan",
            "fixtures/demo-shop",
            "--format",
            "json",
            "--no-cache",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "RESIDENCY_AUDIT_TIMINGS": "1"},
    )
    assert completed.returncode == 1
    validate_report(json.loads(completed.stdout))
    (line,) = completed.stderr.splitlines()
    assert line.startswith("timings: starting ")
    stages = [part.rsplit(" ", 2)[0] for part in line.removeprefix("timings: ").split("; ")]
    assert stages == [
        "starting",
        "discovering files",
        "parsing 16 files",
        "linking",
        "classifying personal data",
        "evaluating policies",
        "applying suppressions",
        "total",
    ]
