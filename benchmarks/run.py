"""`make bench`: scan a generated monorepo cold, warm and with one file changed.

Each scan runs in its own process (as a user runs it) and reports its wall time and peak
memory (the scan process and its parser workers). The parse floor is the summed time of
the bare parser calls (python-hcl2, libcst, libyaml) on exactly the files the scan had to
parse, divided by the number of workers: no scan can be faster than that without a faster
parser. Results are written to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def child(argv: list[str]) -> None:
    """Run one scan in this process and print its peak memory (self + workers) in KiB."""
    from residency_audit.cli import main

    with contextlib.suppress(SystemExit):
        main(argv)  # the console script's own entry point, GC settings included
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"maxrss_kib": max(own, workers)}), file=sys.stderr)


def timed_scan(corpus: Path, *args: str) -> tuple[float, int]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "scan",
        str(corpus),
        "--format",
        "json",
        "-o",
        os.devnull,
        *args,
    ]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    lines = [line for line in completed.stderr.splitlines() if line.startswith("{")]
    if completed.returncode not in (0, 1) or not lines:
        raise SystemExit(f"scan failed: {completed.stderr[-2000:]}")
    return elapsed, int(json.loads(lines[-1])["maxrss_kib"])


def parse_floor(corpus: Path, jobs: int) -> tuple[float, int]:
    """Seconds of bare parser calls over the files the scan parses, per worker."""
    import hcl2
    import libcst
    import yaml

    from residency_audit.discovery import FileKind, discover
    from residency_audit.gc_tuning import collect_rarely
    from residency_audit.sources.kubernetes.parse import looks_like_manifest
    from residency_audit.sources.python import select_for_parsing

    collect_rarely()  # the scan's own processes run with these settings
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parsers = {
        FileKind.TERRAFORM: hcl2.parses_to_tree,
        FileKind.PYTHON: libcst.parse_module,
        FileKind.YAML: lambda text: list(yaml.compose_all(text, Loader=loader)),
    }
    files = discover(corpus).files
    sources = {file.path: (corpus / file.path).read_bytes() for file in files}
    chosen_python = select_for_parsing(
        {f.path: sources[f.path] for f in files if f.kind is FileKind.PYTHON}
    )
    total = 0.0
    parsed = 0
    for file in files:
        data = sources[file.path]
        bare_parse = parsers.get(file.kind)
        skipped = (file.kind is FileKind.PYTHON and file.path not in chosen_python) or (
            file.kind is FileKind.YAML and not looks_like_manifest(data, file.path)
        )
        if bare_parse is None or skipped:
            continue
        text = data.decode("utf-8")
        start = time.perf_counter()
        bare_parse(text)
        total += time.perf_counter() - start
        parsed += 1
    return total / jobs, parsed


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({model}), Python {platform.python_version()}, {platform.system()}"


def run(sizes: list[int], repeats: int) -> str:
    # Installed wheels carry compiled modules; an editable install under
    # PYTHONDONTWRITEBYTECODE (set in some CI images and sandboxes) would recompile all of
    # them at every start (0.2 s of each scan here), so measure what users run.
    compileall.compile_dir(str(REPO / "residency_audit"), quiet=1)
    jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    rows = []
    for size in sizes:
        corpus = HERE / "corpus" / str(size)
        if not corpus.exists():
            subprocess.run(
                [sys.executable, str(HERE / "generate.py"), str(corpus), "--files", str(size)],
                check=True,
            )
        cache = Path(tempfile.mkdtemp(prefix="ra-bench-cache-"))
        try:
            cold = [timed_scan(corpus, "--no-cache") for _ in range(repeats)]
            timed_scan(corpus, "--cache-dir", str(cache))  # fill the cache
            warm = [timed_scan(corpus, "--cache-dir", str(cache)) for _ in range(repeats)]
            changed_file = next((corpus / "platform").rglob("main.tf"))
            original = changed_file.read_text()
            changed = []
            for attempt in range(repeats):
                changed_file.write_text(original + f"\n# touched {attempt} {time.time()}\n")
                changed.append(timed_scan(corpus, "--cache-dir", str(cache)))
            changed_file.write_text(original)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        floor, parsed = parse_floor(corpus, jobs)
        cold_s = statistics.median(t for t, _ in cold)
        rows.append(
            f"| {size:,} | {parsed:,} | {cold_s:.2f} s | {floor:.2f} s | {cold_s / floor:.2f}x | "
            f"{size / cold_s:,.0f} | {statistics.median(t for t, _ in warm):.2f} s | "
            f"{statistics.median(t for t, _ in changed):.2f} s | "
            f"{max(m for _, m in cold + warm + changed) / 1024:.0f} MB |"
        )
        print(rows[-1], flush=True)
    header = (
        "| files | parsed | cold (median) | parse floor | cold / floor | files/s cold | "
        "warm | one file changed | peak memory |\n|---|---|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *rows])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000", help="comma-separated corpus sizes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = parser.parse_args()
    table = run([int(s) for s in args.sizes.split(",")], args.repeats)
    latest = (
        f"Latest `make bench`: {machine()}, {time.strftime('%Y-%m-%d')}; medians of "
        f"{args.repeats} runs; each scan is a fresh process with the default `--jobs` (all "
        "cores).\n\n" + table + "\n"
    )
    print(latest)
    if args.write:
        write_latest(HERE / "RESULTS.md", latest)


START, END = "<!-- make bench: start -->", "<!-- make bench: end -->"


def write_latest(path: Path, latest: str) -> None:
    """Replace the generated section of RESULTS.md, keeping the notes written around it."""
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    section = f"{START}\n{latest}{END}"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
