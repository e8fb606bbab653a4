"""The HTML report in a real browser (headless Chromium, no network): it paints a real
page with the severity colours, its script runs to the end, and the Content Security
Policy stops a script that is not ours."""

from __future__ import annotations

import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

from residency_audit.model import ScanResult
from residency_audit.policy.model import Policy
from residency_audit.report.html import render_html

WIDTH, HEIGHT = 1280, 2000
HIGH_RED = (0xDC, 0x26, 0x26)  # --high in report.css: badges, borders and edges
WASH = (0xF8, 0xFA, 0xFC)  # --wash: the page background
BROWSER_TIMEOUT = 120


def _chromium(binary: str, tmp: Path, *action: str, page: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={tmp / 'profile'}",
            *action,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=False,
    )


def _unfilter(kind: int, line: bytes, previous: bytes, channels: int) -> bytes:
    """Undo one PNG row filter. "Up" rows (most of a page) are added bytewise in one go
    with big-integer arithmetic, the other filters byte by byte."""
    if kind == 0:
        return line
    if kind == 2:
        size = len(line)
        low = int.from_bytes(b"\x7f" * size, "big")
        high = int.from_bytes(b"\x80" * size, "big")
        a, b = int.from_bytes(line, "big"), int.from_bytes(previous, "big")
        return (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(size, "big")
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - channels] if i >= channels else 0
        up = previous[i]
        if kind == 1:
            predictor = left
        elif kind == 3:
            predictor = (left + up) // 2
        else:  # Paeth
            corner = previous[i - channels] if i >= channels else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
        out[i] = (out[i] + predictor) & 0xFF
    return bytes(out)


def _pixels(png: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) to RGB."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0)
    channels = {2: 3, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytes(stride)
    rows: list[bytes] = []
    for row in range(height):
        start = row * (stride + 1)
        previous = _unfilter(raw[start], raw[start + 1 : start + 1 + stride], previous, channels)
        rows.append(previous)
    data = b"".join(rows)
    pixels = list(zip(data[0::channels], data[1::channels], data[2::channels], strict=True))
    return width, height, pixels


def test_screenshot_is_a_painted_page(
    chromium: str, tmp_path: Path, demo_result: ScanResult, ru_policy: Policy
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(demo_result, [ru_policy]), encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = _chromium(
        chromium, tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", page=page
    )
    assert shot.is_file(), done.stderr[-2000:]
    png = shot.read_bytes()
    assert len(png) > 50_000
    width, height, pixels = _pixels(png)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = Counter(pixels)
    _, most = colours.most_common(1)[0]
    assert len(pixels) - most > len(pixels) // 10  # cards, tables, the graph: not blank
    assert colours[WASH] > len(pixels) // 20  # the stylesheet applied (CSP let it in)
    assert colours[HIGH_RED] > 2000  # the high badge, the red store box, its edge to Germany


def test_dom_has_the_summary_and_the_script_ran(
    chromium: str, tmp_path: Path, demo_result: ScanResult, ru_policy: Policy
) -> None:
    page = tmp_path / "report.html"
    html = render_html(demo_result, [ru_policy])
    # A script that is not ours, as if text had slipped through unescaped: CSP blocks it.
    page.write_text(
        html.replace(
            "</body>",
            '<script>document.documentElement.setAttribute("data-injected", "yes")</script></body>',
        ),
        encoding="utf-8",
    )
    done = _chromium(chromium, tmp_path, "--dump-dom", page=page)
    dom = done.stdout
    assert '<html lang="en" data-js="ready">' in dom, done.stderr[-2000:]
    assert "data-injected" not in dom.split("<body>")[0]
    assert (
        '<div id="summary-line">2 finding(s) (1 high, 1 medium), 0 suppressed, 5 store(s), '
        "14 file(s) scanned, 0 error(s)</div>"
    ) in dom
    assert '<input id="inventory-filter" class="filter" type="search"' in dom
    assert 'aria-label="Filter stores">' in dom  # the script un-hid it
