"""Benchmark smoke tests: each bench script runs end to end on a small input and prints its table.

Marked `slow` (CI runs them; nothing deselects `slow` by default). They check that the scripts
work and report every row, never the timings: the numbers belong to bench/README.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str) -> str:
    res = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True,
                         text=True, cwd=ROOT, timeout=600)
    assert res.returncode in (0, 1), res.stderr[-3000:]    # 1 = a timing target missed: not our concern
    return res.stdout


def test_bench_compare_runs_and_prints_every_part():
    out = _run("compare.py", "--queries", "4", "--docs", "6", "--runs", "3", "--repeat", "1")
    for part in ("rank tables", "correlations + overlap", "discrimination", "metrics (ours)", "metrics (ranx, warm)",
                 "significance (all pairs)", "win/loss", "score distribution", "compare_session"):
        assert part in out
    assert "session: 4 queries x 6 docs x 3 runs" in out


def test_bench_foundation_runs_and_prints_both_rows():
    out = _run("foundation.py", "--rows", "300", "--docs-per-query", "50", "--run-docs", "40", "--runs", "2",
               "--repeat", "1")
    assert "import 300-row CSV (6 sets, 300 docs)" in out
    assert "save 40 docs x 2 runs" in out


def test_bench_ocr_runs_and_prints_every_row():
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (sudo apt-get install -y tesseract-ocr)")
    out = _run("ocr.py", "--limit", "3", "--repeat", "1", "--langs", "eng")
    assert "3 images, langs=eng" in out
    for row in ("raw pytesseract (serial)", "our pipeline, cold cache (serial)",
                "our pipeline, cached re-run (ocr_many)", "our pipeline, parallel (info)"):
        assert row in out


def test_bench_ocr_confidence_prints_every_threshold_row():
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (sudo apt-get install -y tesseract-ocr)")
    pytest.importorskip("skimage")
    out = _run("ocr_confidence.py", "--limit", "1")
    assert "(no filtering)" in out and "<- default" in out
    rows = [line for line in out.splitlines() if line.strip()[:1].isdigit() and "photos" not in line]
    assert len(rows) == 6 * 4                        # every line x word threshold pair



def test_bench_scale_prints_every_step_with_its_growth_ratio():
    out = _run("scale.py", "--sizes", "6,12", "--docs", "4", "--runs", "3", "--no-tiny", "--pages", "label,matrix")
    assert "| step | 6 q (s) | 12 q (s) | 2x size: ratio |" in out
    for step in ("import", "bm25", "save runs (3)", "compare", "export long", "export tidy",
                 "export tidy (MB, peak RSS growth)", "page label", "page matrix", "bm25 pairs/s", "tidy rows"):
        assert f"| {step} |" in out, step
    assert "(failed)" not in out                                   # every page loaded
    rows = next(line for line in out.splitlines() if line.startswith("| tidy rows |"))
    assert "| 72 | 144 |" in rows                                  # 3 runs x 6 (12) queries x 4 documents
