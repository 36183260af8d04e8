"""Serving benchmark: the same job on the local engine, on one vLLM replica and on two.

    python bench/serving.py [--size tiny|small] [--pairs 256] [--protocol chat|rerank] [--inflight 16]
    python bench/serving.py --load [--clients 50] [--requests 20] [--docs 10] [--rounds 3]

--load: `workbench serve` and vLLM's pooling server (/v1/rerank) on the same tiny checkpoint, both
up, hit in alternating rounds by N concurrent clients; prints req/s, pairs/s and p50/p95/p99 side
by side and the serve/vLLM throughput ratio. (The default mode below compares the engines as a
remote backend sees them.)

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


LOAD_WORDS = ("lightweight breathable mesh running shoes red women sport trail comfortable cushioned "
              "durable waterproof grip road track").split()


def _load_request(client: int, n: int, docs: int) -> dict:
    """One /v1/rerank body of the load test: a query and `docs` text documents (all distinct)."""
    w = LOAD_WORDS
    query = f"{w[client % len(w)]} {w[(client + n) % len(w)]} shoes for women {client}"
    documents = [" ".join(w[(client + n + d + k) % len(w)] for k in range(8 + (d * 3) % 16)) + f" {client}.{n}.{d}"
                 for d in range(docs)]
    return {"query": query, "documents": documents}


async def _load_round(url: str, clients: int, requests: int, docs: int, key: str | None) -> dict:
    """`clients` concurrent clients, each sending `requests` rerank requests one after another."""
    import asyncio

    import httpx

    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=300, limits=limits, headers=headers) as http:
        async def client(c: int) -> None:
            nonlocal errors
            for n in range(requests):
                t = time.perf_counter()
                try:
                    r = await http.post(url + "/rerank", json=_load_request(c, n, docs))
                    ok = r.status_code == 200 and len(r.json()["results"]) == docs
                    why = f"HTTP {r.status_code}: {r.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, why = False, f"{type(exc).__name__}: {exc}"
                latencies.append(time.perf_counter() - t)
                if not ok:
                    errors += 1
                    if errors <= 3:
                        print(f"  error ({url}): {why}", flush=True)

        start = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(clients)))
        wall = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))]

    return {"wall": wall, "rps": len(latencies) / wall, "pairs_s": len(latencies) * docs / wall,
            "p50": pct(50), "p95": pct(95), "p99": pct(99), "errors": errors}


def _group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) of every live process in a process group (a server and its
    engine processes): the server's own work, whatever else the machine is running."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:                     # field 5 of stat: the process group
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def load_main(args) -> int:
    """serve vs vLLM under concurrent clients (50 x 20 requests of 10 text documents by default),
    both servers up on the same tiny checkpoint, rounds alternating serve / vLLM."""
    import asyncio
    import statistics

    from tests.servers import workbench_server
    from workbench.rerank.score_templates import template_path
    from workbench.testing.tiny import build_tiny_checkpoint

    tmp = Path(tempfile.mkdtemp(prefix="bench-serving-load-"))
    model = str(build_tiny_checkpoint(tmp / args.size, size=args.size))
    serve_args = ["--no-cache", *args.serve_args.split()]
    servers = {"serve": workbench_server(model, tmp / "serve.log", *serve_args)}
    if vllm_available() and not args.serve_only:
        servers["vllm"] = vllm_server(model, tmp / "vllm.log", "--runner", "pooling", "--hf-overrides",
                                      LYCHEE_POOLING, "--chat-template", str(template_path("lychee")))
    rounds: dict[str, list[dict]] = {k: [] for k in servers}
    batching: dict = {}
    try:
        for s in servers.values():
            s.wait()
        for name, s in servers.items():      # warm-up: connections, first batches, vLLM's compile paths
            asyncio.run(_load_round(s.url, min(args.clients, 8), 2, args.docs, None))
        for r in range(args.rounds):
            for name, s in (servers.items() if r % 2 == 0 else reversed(list(servers.items()))):
                cpu = _group_cpu_s(s.proc.pid)
                rounds[name].append(asyncio.run(_load_round(s.url, args.clients, args.requests, args.docs, None)))
                got = rounds[name][-1]
                got["cpu_ms_req"] = (_group_cpu_s(s.proc.pid) - cpu) * 1000 / (args.clients * args.requests)
                print(f"round {r + 1} {name:6s} {got['rps']:7.1f} req/s  p50 {got['p50'] * 1000:7.1f} ms  "
                      f"p99 {got['p99'] * 1000:7.1f} ms  errors {got['errors']}  "
                      f"server CPU {got['cpu_ms_req']:.1f} ms/request", flush=True)
        import httpx

        batching = httpx.get(servers["serve"].root + "/health", timeout=30).json().get("batching", {})
    finally:
        for s in servers.values():
            s.stop()
    n = args.clients * args.requests
    if batching.get("batches"):
        print(f"serve's micro-batches: {batching['batches']}, {batching['pairs'] / batching['batches']:.1f} pairs "
              f"on average, at most {batching['max_batch_seen']}")
    print(f"\nload benchmark: {args.size} checkpoint, {args.clients} clients x {args.requests} requests of "
          f"{args.docs} text documents ({n} requests, {n * args.docs} pairs per round), {args.rounds} round(s) "
          f"each, alternating; {os.cpu_count()} CPU cores; serve {' '.join(serve_args)}")
    print(f"{'server':8s} {'req/s':>8s} {'pairs/s':>9s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'errors':>7s}"
          f" {'CPU ms/req':>11s}   (medians over rounds; CPU: the server's process group)")
    med = {}
    for name, rs in rounds.items():
        med[name] = {k: statistics.median(x[k] for x in rs)
                     for k in ("rps", "pairs_s", "p50", "p95", "p99", "cpu_ms_req")}
        m = med[name]
        print(f"{name:8s} {m['rps']:8.1f} {m['pairs_s']:9.1f} {m['p50'] * 1000:8.1f} {m['p95'] * 1000:8.1f} "
              f"{m['p99'] * 1000:8.1f} {sum(x['errors'] for x in rs):7d} {m['cpu_ms_req']:11.1f}")
    if "vllm" in rounds:
        ratios = [a["rps"] / b["rps"] for a, b in zip(rounds["serve"], rounds["vllm"])]
        print(f"serve / vLLM throughput: median {statistics.median(ratios):.2f}x (paired rounds "
              f"{min(ratios):.2f}-{max(ratios):.2f}); p99 serve / vLLM "
              f"{med['serve']['p99'] / med['vllm']['p99']:.2f}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=("tiny", "small"), default="small")
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--protocol", choices=("chat", "rerank"), default="chat")
    ap.add_argument("--inflight", type=int, default=16, help="requests in flight per replica")
    ap.add_argument("--load", action="store_true",
                    help="serve vs vLLM under concurrent clients (see --clients/--requests/--docs/--rounds)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=20, help="requests per client, one after another")
    ap.add_argument("--docs", type=int, default=10, help="text documents per request")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per server (alternating)")
    ap.add_argument("--serve-args", default="", help="extra `workbench serve` flags (quoted)")
    ap.add_argument("--serve-only", action="store_true", help="no vLLM (profile serve alone)")
    args = ap.parse_args()
    if args.load:
        if args.size == "small" and "--size" not in sys.argv:
            args.size = "tiny"
        return load_main(args)
    if not vllm_available():
        print("vLLM is not installed: run scripts/setup_vllm_venv.sh first", file=sys.stderr)
        return 2

    from workbench.model import Document, Query
    from workbench.rerank import get_reranker
    from workbench.rerank.remote import RemoteReranker
    from workbench.rerank.score_templates import template_path
    from workbench.testing.tiny import build_tiny_checkpoint

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
