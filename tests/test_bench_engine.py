"""The image benchmarks cannot rot: bench/engine.py's P6 and bench/release_compare.py run end to
end on a few documents (slow: they build the real-tower-layout checkpoint and start processes)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_p6_runs_exact_and_counts_calls(tmp_path):
    engine = _module("engine")
    speedup, diff, (calls, calls_ok), details = engine.p6_images(tmp_path, n_docs=4, reps=1)
    assert diff <= 1e-6
    assert calls_ok, calls                       # grouped: one per distinct length, stock: one per window
    before, after = (int(x) for x in re.match(r"(\d+) -> (\d+) per tower forward", calls).groups())
    assert after < before
    assert speedup > 0 and "4 image docs" in details


@pytest.mark.slow
def test_release_compare_runs(tmp_path):
    have = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", "5b74648^{commit}"],
                          capture_output=True).returncode == 0
    if not have:
        pytest.skip("the previous release commit is not in this clone")
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "release_compare.py"), "--docs", "3",
                           "--reps", "1"], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    for variant in ("new", "new, no grouping"):          # each measured against the old release
        assert re.search(rf"^\| {re.escape(variant)} \| [\d.]+ \| .* \| [\d.]+x \|$", proc.stdout, re.M), proc.stdout
    m = re.search(r"max \|delta score\| over 3 rows, every variant vs old: ([\d.e+-]+)", proc.stdout)
    assert m and float(m.group(1)) <= 1e-6, proc.stdout
    worktrees = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True,
                               text=True).stdout
    assert "/old " not in worktrees              # the temporary worktree was removed
