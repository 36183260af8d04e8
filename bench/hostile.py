"""Peak RSS, wall time and disk written by `workbench import` on hostile files, before/after side by side.

    python bench/hostile.py [--before /path/to/old/checkout] [--after .] [--bomb-mb 256] [--line-mb 64]
                            [--sparse-mb 256] [--near-entries 700] [--png16-side 6300] [--quoted-mb 25]

Cases (generated in a temp folder):
  zip-bomb      a small ZIP holding one CSV of --bomb-mb MB of repetitive rows (ratio ~1000:1)
  long-line     a CSV whose second line is one --line-mb MB field (no newline)
  wide-header   a 0.8 MB header with 100k columns
  sparse-png    (issue 21 item 9) a CSV referencing a sparse --sparse-mb MB "PNG": a real signature
                and IHDR, then zeros (takes no disk space); refused as over WORKBENCH_MAX_IMAGE_MB
  sparse-jpg    the same with a JPEG's first segments
  zip-near-1mb  (item 10) a ZIP of --near-entries entries of zeros just under 1 MB each (~1 KB packed),
                all referenced by its CSV: the per-entry ratio check only starts past 1 MB
  png16         (item 11) a --png16-side² 16-bit greyscale PNG (~77 KB at 6300², under the 40 MP guard)
  quoted-field  (item 1) a CSV whose first row holds a --quoted-mb MB quoted field spanning many lines,
                followed by 2 real rows (the docs column says how many were imported)

Each case runs `python -m workbench import FILE` in a fresh subprocess with its own
WORKBENCH_DB/WORKBENCH_HOME; cpu is the child's user + system time (the wall time depends on
how busy the machine is), peak RSS its ru_maxrss, disk written its ru_oublock
(bytes written to files, temporary ones included; resource.getrusage); docs is the number of
documents the import reports.
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
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


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _csv_for(folder: Path, images: list[str]) -> Path:
    path = folder / "cands.csv"
    path.write_text(HEADER + "".join(f"q1,red shoes,,d{i},doc {i},{name}\n" for i, name in enumerate(images)),
                    encoding="utf-8")
    return path


def make_sparse_image(folder: Path, mb: int, kind: str = "png") -> Path:
    """A CSV referencing a sparse file of `mb` MB that starts like a real PNG / JPEG, then zeros."""
    sub = folder / f"sparse-{kind}"
    sub.mkdir()
    image = sub / f"big.{kind}"
    if kind == "png":
        head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4000, 3000, 8, 2, 0, 0, 0))
    else:   # SOI, a JFIF APP0 segment, then (zeros where) the next marker should be
        head = b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    with open(image, "wb") as fh:
        fh.write(head)
        fh.truncate(mb * 2**20)          # sparse: no disk space, reads as zeros
    return _csv_for(sub, [image.name])


def make_zip_near_1mb(folder: Path, entries: int) -> Path:
    """A ZIP of `entries` entries of zeros just under 1 MB each (the per-entry ratio check starts
    past 1 MB), every one referenced by the ZIP's CSV so an import would unpack them all."""
    path = folder / "near1mb.zip"
    names = [f"img/e{i:05d}.png" for i in range(entries)]
    blob = bytes(2**20 - 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("cands.csv", HEADER + "".join(f"q1,red shoes,,d{i},doc {i},{n}\n" for i, n in enumerate(names)))
        for name in names:
            zf.writestr(name, blob)
    return path


def write_png16(path: Path, side: int) -> Path:
    """A side x side 16-bit greyscale PNG, streamed row by row (a gentle gradient, mostly zeros)."""
    comp = zlib.compressobj(9)
    idat = bytearray()
    zero_row = bytes(2 * side)
    for y in range(side):
        row = zero_row if y % 64 else struct.pack(f">{side}H", *([min(y * 10, 65535)] * side))
        idat += comp.compress(b"\x00" + row)
    idat += comp.flush()
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 16, 0, 0, 0, 0)))
        fh.write(_png_chunk(b"IDAT", bytes(idat)) + _png_chunk(b"IEND", b""))
    return path


def make_png16(folder: Path, side: int) -> Path:
    sub = folder / "png16"
    sub.mkdir()
    write_png16(sub / "deep.png", side)
    return _csv_for(sub, ["deep.png"])


def make_quoted_field(folder: Path, mb: int) -> Path:
    """A CSV whose first row holds one quoted field of `mb` MB spanning many lines, then 2 real rows."""
    path = folder / "quoted.csv"
    line = "a line of a very long quoted document, it goes on and on\n"
    block = line * (2**20 // len(line))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        fh.write('q1,red shoes,,d0,"')
        fh.writelines(block for _ in range(mb))
        fh.write('",\n')
        fh.write("q1,red shoes,,d1,red running shoes,\nq1,red shoes,,d2,blue sandals,\n")
    return path


@dataclass
class Outcome:
    seconds: float
    cpu_s: float       # user + system CPU of the import (load-independent, unlike the wall time)
    rss_mb: float
    disk_mb: float
    rc: int
    docs: str          # documents the import reports ("-" when it reported none)
    message: str


def run_case(repo: Path, file: Path, timeout: int) -> Outcome:
    """Time, peak RSS, disk written, exit code, documents imported and first stderr line of one
    import in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=str(repo), WORKBENCH_DB=f"{tmp}/wb.db", WORKBENCH_HOME=f"{tmp}/home")
        code = ("import re, resource, subprocess, sys, time\n"
                "t = time.perf_counter()\n"
                "try:\n"
                "    p = subprocess.run([sys.executable, '-m', 'workbench', 'import', sys.argv[1], '--session', 'b'],"
                " capture_output=True, text=True, timeout=int(sys.argv[2]))\n"
                "    rc, err, out = p.returncode, (p.stderr.strip().splitlines() or [''])[0], p.stdout\n"
                "except subprocess.TimeoutExpired:\n"
                "    rc, err, out = 124, 'timed out', ''\n"
                "dt = time.perf_counter() - t\n"
                "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                "m = re.search(r'with (\\d+) document', out)\n"
                "docs = m.group(1) if m else '-'\n"
                "print(f'{dt:.2f}\\t{ru.ru_utime + ru.ru_stime:.2f}\\t{ru.ru_maxrss / 1024:.0f}\\t{ru.ru_oublock * 512 / 2**20:.1f}\\t{rc}\\t{docs}\\t'"
                " + err[:150].replace('\\t', ' '))\n")
        out = subprocess.run([sys.executable, "-c", code, str(file), str(timeout)], env=env, cwd=repo,
                             capture_output=True, text=True)
        line = out.stdout.strip("\n")
        if not line:
            return Outcome(float("nan"), float("nan"), float("nan"), float("nan"), -1, "-", out.stderr[-150:])
        dt, cpu, rss, disk, rc, docs, err = line.split("\t", 6)
        return Outcome(float(dt), float(cpu), float(rss), float(disk), int(rc), docs, err)


CASES = "zip-bomb,long-line,wide-header,sparse-png,sparse-jpg,zip-near-1mb,png16,quoted-field"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="checkout of the old code (e.g. a git worktree at 5b74648)")
    ap.add_argument("--after", default=str(Path(__file__).resolve().parent.parent))
    ap.add_argument("--bomb-mb", type=int, default=256)
    ap.add_argument("--line-mb", type=int, default=64)
    ap.add_argument("--sparse-mb", type=int, default=256)
    ap.add_argument("--near-entries", type=int, default=700)
    ap.add_argument("--png16-side", type=int, default=6300)
    ap.add_argument("--quoted-mb", type=int, default=25)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--cases", default=CASES)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        makers = {"zip-bomb": lambda: make_bomb(folder, args.bomb_mb),
                  "long-line": lambda: make_long_line(folder, args.line_mb),
                  "wide-header": lambda: make_wide_header(folder),
                  "sparse-png": lambda: make_sparse_image(folder, args.sparse_mb, "png"),
                  "sparse-jpg": lambda: make_sparse_image(folder, args.sparse_mb, "jpg"),
                  "zip-near-1mb": lambda: make_zip_near_1mb(folder, args.near_entries),
                  "png16": lambda: make_png16(folder, args.png16_side),
                  "quoted-field": lambda: make_quoted_field(folder, args.quoted_mb)}
        repos = [("before", args.before), ("after", args.after)]
        print(f"{'case':<13} {'file MB':>8} {'code':<7} {'time s':>8} {'cpu s':>7} {'peak RSS MB':>12} {'disk MB':>8} "
              f"{'docs':>5} {'rc':>4}  message")
        for case in args.cases.split(","):
            file = makers[case]()
            size = sum(p.stat().st_size for p in file.parent.iterdir() if p.is_file()) / 2**20 \
                if file.suffix == ".csv" and file.parent != folder else file.stat().st_size / 2**20
            results = {}
            for label, repo in repos:
                if not repo:
                    continue
                o = run_case(Path(repo), file, args.timeout)
                results[label] = o
                print(f"{case:<13} {size:>8.2f} {label:<7} {o.seconds:>8.2f} {o.cpu_s:>7.2f} {o.rss_mb:>12.0f} {o.disk_mb:>8.1f} "
                      f"{o.docs:>5} {o.rc:>4}  {o.message}", flush=True)
            if len(results) == 2:
                b, a = results["before"], results["after"]
                print(f"{case:<13} {'':>8} {'ratio':<7} {b.seconds / max(a.seconds, 1e-9):>7.1f}x "
                      f"{b.cpu_s / max(a.cpu_s, 1e-9):>6.1f}x {b.rss_mb / max(a.rss_mb, 1e-9):>11.1f}x "
                      f"{b.disk_mb / max(a.disk_mb, 0.1):>7.1f}x")
            if file.parent != folder:
                for p in file.parent.iterdir():
                    p.unlink()
                file.parent.rmdir()
            else:
                file.unlink()


if __name__ == "__main__":
    main()
