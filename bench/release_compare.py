"""Whole-process side by side: `workbench rerank` of this tree vs a previous release, one run.

    .venv/bin/python bench/release_compare.py                    # vs 5b74648 (before issue 14)
    .venv/bin/python bench/release_compare.py --commit abc1234 --docs 48 --reps 2

It checks the old commit out with `git worktree add --detach` in a temp folder, writes an
image-heavy candidate set (an image query + N image documents of mixed sizes, a few with
text) as CSV with its images, builds one checkpoint with the real Qwen2.5-VL vision-tower
layout (32 blocks, full attention at 7/15/23/31, 112-px windows) at small width (or uses
--model), then runs

    python -m workbench rerank --input set.csv --model CKPT --output out.csv --no-cache

as a fresh process with PYTHONPATH pointing at each tree (same venv), old and new
(the new tree with `--prompt-format lychee-v1` when the old one has no --prompt-format: the
first release's prompt layout, so both score the same prompts; the default layout changed
since, which moves scores by up to ~0.07 on this set),
interleaved, `--reps` times each. It prints the wall time of each process (imports, model
load, scoring, CSV written: everything the analyst waits for), the best time per tree,
the ratio, and the max |delta score| over all (query, document) rows of the CSVs. The new tree
runs twice: as it is, and without the grouped vision attention (WORKBENCH_GROUPED_VISION=0: the
path of GPUs with flash attention, and of a transformers whose code changed), each against the old.
The worktree is removed at the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_COMMIT = "5b74648"   # the last commit before issue 14 (grouped vision attention, prefetch)
SIZES = [(224, 168), (336, 252), (448, 336), (560, 420), (672, 504), (308, 196), (140, 112), (392, 280)]


def write_set(folder: Path, n_docs: int) -> Path:
    import numpy as np
    from PIL import Image

    (folder / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(14)

    def image(name: str, w: int, h: int) -> str:
        Image.fromarray((rng.rand(h, w, 3) * 255).astype("uint8")).save(folder / "images" / name, quality=90)
        return f"images/{name}"

    q = image("q.jpg", 336, 252)
    path = folder / "set.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image"])
        for i in range(n_docs):
            dw, dh = SIZES[i % len(SIZES)]
            text = "red running shoes, breathable mesh" if i % 3 == 0 else ""
            w.writerow(["q1", "red running shoes", q, f"d{i}", text, image(f"d{i}.jpg", dw, dh)])
    return path


def supports_prompt_format(tree: Path) -> bool:
    cmd = tree / "workbench" / "cli" / "rerank_cmd.py"
    return cmd.is_file() and "--prompt-format" in cmd.read_text(encoding="utf-8")


def run_cli(tree: Path, csv_path: Path, model: str, out: Path, home: Path, extra: list[str],
            env_extra: dict[str, str] | None = None) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree), WORKBENCH_HOME=str(home), TRANSFORMERS_VERBOSITY="error",
               HF_HUB_OFFLINE="1", **(env_extra or {}))
    env.pop("WORKBENCH_MODEL", None)
    cmd = [sys.executable, "-m", "workbench", "rerank", "--input", str(csv_path), "--model", model,
           "--output", str(out), "--no-cache", *extra]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=str(tree), env=env, capture_output=True, text=True)
    took = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"`workbench rerank` failed in {tree} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return took


def read_scores(path: Path) -> dict[tuple[str, str], float]:
    with path.open(encoding="utf-8-sig") as f:
        return {(r["query_id"], r["doc_id"]): float(r["score"]) for r in csv.DictReader(f)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commit", default=DEFAULT_COMMIT, help=f"the previous release (default {DEFAULT_COMMIT})")
    ap.add_argument("--docs", type=int, default=48, help="image documents in the set (default 48)")
    ap.add_argument("--reps", type=int, default=2, help="processes per tree, interleaved (default 2)")
    ap.add_argument("--model", default=None, help="checkpoint folder (default: a real-tower-layout small one)")
    args = ap.parse_args(argv)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        old = tmp / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(old), args.commit],
                       check=True)
        try:
            commit = subprocess.run(["git", "-C", str(old), "log", "-1", "--format=%h %s"],
                                    capture_output=True, text=True, check=True).stdout.strip()
            head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            model = args.model
            if model is None:
                from workbench.testing.tiny import REAL_TOWER, build_tiny_checkpoint

                model = str(build_tiny_checkpoint(tmp / "ckpt", size="small", **REAL_TOWER))
            csv_path = write_set(tmp / "set", args.docs)
            print(f"old: {commit}\nnew: {head} (working tree {ROOT})")
            print(f"set: 1 image query + {args.docs} image docs ({SIZES[0][0]}x{SIZES[0][1]} .. 672x504), "
                  f"model {'real-tower-layout small checkpoint' if args.model is None else model}, "
                  f"{os.cpu_count()} cores")
            extra = {"old": [], "new": []}
            if supports_prompt_format(ROOT) and not supports_prompt_format(old):
                extra["new"] = ["--prompt-format", "lychee-v1"]   # the old release's prompt layout
            print(f"new tree runs with: {' '.join(extra['new']) or '(defaults)'}")
            # (name, tree, CLI extras, environment): the new tree also WITHOUT the grouped vision
            # attention, the path GPUs with flash attention and a changed transformers take
            variants = [("old", old, [], {}), ("new", ROOT, extra["new"], {}),
                        ("new, no grouping", ROOT, extra["new"], {"WORKBENCH_GROUPED_VISION": "0"})]
            times: dict[str, list[float]] = {v[0]: [] for v in variants}
            outs = {}
            for rep in range(max(1, args.reps)):
                for name, tree, cli_extra, env_extra in variants:
                    out = tmp / f"{name.replace(' ', '_').replace(',', '')}{rep}.csv"
                    took = run_cli(tree, csv_path, model, out, tmp / f"home-{rep}-{len(outs)}", cli_extra, env_extra)
                    times[name].append(took)
                    outs[name] = out
                    print(f"  {name} process {rep + 1}: {took:.2f}s", flush=True)
            a = read_scores(outs["old"])
            diff = 0.0
            for name in times:
                b = read_scores(outs[name])
                if set(a) != set(b):
                    raise SystemExit(f"{name}: the CSVs rank different rows: {sorted(set(a) ^ set(b))[:5]}")
                diff = max(diff, max(abs(a[k] - b[k]) for k in a))
            t_old = min(times["old"])
            print(f"\n| tree | best of {len(times['old'])} (s) | all (s) | old / this |\n|---|---:|---|---:|")
            for name, ts in times.items():
                label = f"old {args.commit}" if name == "old" else name
                print(f"| {label} | {min(ts):.2f} | {', '.join(f'{t:.2f}' for t in ts)} | {t_old / min(ts):.2f}x |")
            print(f"\nmax |delta score| over {len(a)} rows, every variant vs old: {diff:.1e}")
            return 0 if diff <= 1e-6 else 1
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)


if __name__ == "__main__":
    raise SystemExit(main())
