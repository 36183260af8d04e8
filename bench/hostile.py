"""Peak RSS and wall time of `workbench import` on hostile files, before/after side by side.

    python bench/hostile.py [--before /path/to/old/checkout] [--after .] [--bomb-mb 256] [--line-mb 64]

Cases (generated in a temp folder):
  zip-bomb   a small ZIP holding one CSV of --bomb-mb MB of repetitive rows (ratio ~1000:1)
  long-line  a CSV whose second line is one --line-mb MB field (no newline)
  wide-header  a 0.8 MB header with 100k columns

Each case runs `python -m workbench import FILE` in a fresh subprocess with its own
WORKBENCH_DB/WORKBENCH_HOME; peak RSS is the child's ru_maxrss (resource.getrusage).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HEADER = "query_id,query_text,query_image,doc_id,doc_text,doc_image\n"


def make_bomb(folder: Path, mb: int) -> Path:
    path = folder / "bomb.zip"
    row = "q1,red shoes,,d{},a document about red running shoes and other things ok,\n"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("cands.csv", "w", force_zip64=True) as fh:
            fh.write(HEADER.encode())
            chunk = "".join(row.format(i % 10) for i in range(10000)).encode()   # ~1000:1 like the bomb
            written = 0
            while written < mb * 2**20:
                fh.write(chunk)
                written += len(chunk)
    return path


def make_long_line(folder: Path, mb: int) -> Path:
    path = folder / "long.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        fh.write("q1,red shoes,,d1,")
        block = "x" * 2**20
        for _ in range(mb):
            fh.write(block)
        fh.write(",\n")
    return path


def make_wide_header(folder: Path) -> Path:
    path = folder / "wide.csv"
    cols = ["query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image"]
    cols += [f"c{i}" for i in range(100_000 - len(cols))]
    path.write_text(",".join(cols) + "\n" + ",".join(["q", "t", "", "d", "x", ""] + [""] * (len(cols) - 6)) + "\n",
                    encoding="utf-8")
    return path


def run_case(repo: Path, file: Path, timeout: int) -> tuple[float, float, int, str]:
    """(seconds, peak RSS MB, exit code, last stderr line) of one import in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=str(repo), WORKBENCH_DB=f"{tmp}/wb.db", WORKBENCH_HOME=f"{tmp}/home")
        code = ("import resource, subprocess, sys, time\n"
                "t = time.perf_counter()\n"
                "try:\n"
                "    p = subprocess.run([sys.executable, '-m', 'workbench', 'import', sys.argv[1], '--session', 'b'],"
                " capture_output=True, text=True, timeout=int(sys.argv[2]))\n"
                "    rc, err = p.returncode, (p.stderr.strip().splitlines() or [''])[0]\n"
                "except subprocess.TimeoutExpired:\n"
                "    rc, err = 124, 'timed out'\n"
                "dt = time.perf_counter() - t\n"
                "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
                "print(f'{dt:.2f}\\t{rss:.0f}\\t{rc}\\t{err[:150]}')\n")
        out = subprocess.run([sys.executable, "-c", code, str(file), str(timeout)], env=env, cwd=repo,
                             capture_output=True, text=True)
        line = out.stdout.strip("\n")
        dt, rss, rc, err = line.split("\t", 3) if line else ("nan", "nan", "-1", out.stderr[-150:])
        return float(dt), float(rss), int(rc), err


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="checkout of the old code (e.g. a git worktree at 5b74648)")
    ap.add_argument("--after", default=str(Path(__file__).resolve().parent.parent))
    ap.add_argument("--bomb-mb", type=int, default=256)
    ap.add_argument("--line-mb", type=int, default=64)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--cases", default="zip-bomb,long-line,wide-header")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        makers = {"zip-bomb": lambda: make_bomb(folder, args.bomb_mb),
                  "long-line": lambda: make_long_line(folder, args.line_mb),
                  "wide-header": lambda: make_wide_header(folder)}
        repos = [("before", args.before), ("after", args.after)]
        print(f"{'case':<12} {'file MB':>8} {'code':<7} {'time s':>8} {'peak RSS MB':>12} {'rc':>4}  message")
        for case in args.cases.split(","):
            file = makers[case]()
            size = file.stat().st_size / 2**20
            results = {}
            for label, repo in repos:
                if not repo:
                    continue
                dt, rss, rc, err = run_case(Path(repo), file, args.timeout)
                results[label] = (dt, rss)
                print(f"{case:<12} {size:>8.2f} {label:<7} {dt:>8.2f} {rss:>12.0f} {rc:>4}  {err}", flush=True)
            if len(results) == 2:
                (t0, r0), (t1, r1) = results["before"], results["after"]
                print(f"{case:<12} {'':>8} {'ratio':<7} {t0 / max(t1, 1e-9):>7.1f}x {r0 / max(r1, 1e-9):>11.1f}x")
            file.unlink()


if __name__ == "__main__":
    main()
