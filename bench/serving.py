"""Serving benchmark: the same job on the local engine, on one vLLM replica and on two.

    python bench/serving.py [--size tiny|small] [--pairs 256] [--protocol chat|rerank] [--inflight 16]

Builds a random checkpoint (`workbench tiny-checkpoint`), starts vLLM's CPU build from
.venv-vllm (scripts/setup_vllm_venv.sh) twice on 127.0.0.1, then scores one job (one query,
N text documents, no score cache) three ways and prints the figures side by side:

    local engine (transformers, this process)  |  vLLM x1  |  vLLM x2 (replicas, least outstanding work)

plus the throughput ratios (2 replicas / 1, vLLM / local) and the max |Δscore| vs local.
On one machine the two replicas share its cores: the ratio shows the client's spread over
replicas, not a GPU cluster's scaling (on separate GPUs each replica brings its own compute).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import LYCHEE_POOLING, vllm_available, vllm_server  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=("tiny", "small"), default="small")
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--protocol", choices=("chat", "rerank"), default="chat")
    ap.add_argument("--inflight", type=int, default=16, help="requests in flight per replica")
    args = ap.parse_args()
    if not vllm_available():
        print("vLLM is not installed: run scripts/setup_vllm_venv.sh first", file=sys.stderr)
        return 2

    from workbench.model import Document, Query
    from workbench.rerank import get_reranker
    from workbench.rerank.remote import RemoteReranker
    from workbench.rerank.score_templates import template_path
    from workbench.rerank.tiny import build_tiny_checkpoint

    tmp = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    model = str(build_tiny_checkpoint(tmp / args.size, size=args.size))
    extra: tuple[str, ...] = ()
    if args.protocol == "rerank":
        extra = ("--runner", "pooling", "--hf-overrides", LYCHEE_POOLING, "--chat-template",
                 str(template_path("lychee")))
    query = Query("q", text="red running shoes for women")
    words = "lightweight breathable mesh running shoes red women sport trail comfortable cushioned".split()
    docs = [Document(f"d{i}", text=" ".join(words[(i + k) % len(words)] for k in range(8 + i % 24)) + f" {i}")
            for i in range(args.pairs)]

    # the local engine first, alone on the machine (idle vLLM servers still hold CPU threads)
    local = get_reranker("qwen-vl", model_path=model)
    local.rank(query, docs[:8])                          # warm-up
    t = time.perf_counter()
    ref = local.rank(query, docs).scores_in_input_order()
    local_s = time.perf_counter() - t
    del local

    servers = []
    try:
        t = time.perf_counter()
        servers = [vllm_server(model, tmp / f"vllm{i}.log", *extra) for i in range(2)]
        for s in servers:
            s.wait()
        start_s = time.perf_counter() - t

        rows = [("local engine (transformers, CPU)", local_s, 0.0)]
        for n in (1, 2):
            remote = RemoteReranker([s.url for s in servers[:n]], max_inflight=args.inflight,
                                    protocol=args.protocol)
            remote.rank(query, docs[:8])                 # warm-up (connections, first batch)
            t = time.perf_counter()
            got = remote.rank(query, docs).scores_in_input_order()
            secs = time.perf_counter() - t
            diff = max(abs(a - b) for a, b in zip(ref, got))
            rows.append((f"vLLM CPU x{n} ({args.protocol}, {args.inflight} in flight each)", secs, diff))
            remote.close()
    finally:
        for s in servers:
            s.stop()

    n = len(docs)
    print(f"\nserving benchmark: {args.size} checkpoint, {n} text pairs, 1 query, no score cache, "
          f"{os.cpu_count()} CPU cores; vLLM servers started in {start_s:.0f} s (both)")
    print(f"{'backend':48s} {'seconds':>8s} {'pairs/s':>9s} {'max|Δ| vs local':>16s}")
    for name, secs, diff in rows:
        print(f"{name:48s} {secs:8.2f} {n / secs:9.1f} {diff:16.2e}")
    one, two = rows[1][1], rows[2][1]
    print(f"ratio 2 replicas / 1 replica (throughput): {one / two:.2f}x")
    print(f"ratio vLLM x1 / local engine (throughput): {local_s / one:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
