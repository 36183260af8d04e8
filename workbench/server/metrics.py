"""`GET /metrics` of `workbench serve`: Prometheus text exposition (format 0.0.4), written here
(prometheus_client is not a dependency).

    workbench_serve_requests_total{route, status}         requests answered, by route and HTTP status
    workbench_serve_request_duration_seconds{route}       latency histogram (scoring routes)
    workbench_serve_pairs_scored_total                    pairs the model scored (cache hits excluded)
    workbench_serve_batches_total                         micro-batches run
    workbench_serve_cache_hits_total / _misses_total      the server's score cache
    workbench_serve_queue_pairs                           pairs waiting for the next micro-batch
    workbench_serve_requests_admitted                     requests scoring or waiting (bounded by --max-queue)
    workbench_serve_requests_refused_busy_total           503s because the queue was full

`RequestMetrics` is a pure ASGI middleware that counts every HTTP answer; only known routes keep
their path as label (any other path is "other", so scanners cannot blow up the label set).
"""

from __future__ import annotations

import threading
import time

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, routes: set[str]):
        self.routes = set(routes)
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = {}
        self.hist: dict[str, list[int]] = {}        # route -> counts per bucket (+Inf last)
        self.sums: dict[str, float] = {}

    def route(self, path: str) -> str:
        return path if path in self.routes else "other"

    def observe(self, path: str, status: int, seconds: float | None) -> None:
        route = self.route(path)
        with self._lock:
            self.requests[(route, status)] = self.requests.get((route, status), 0) + 1
            if seconds is None:
                return
            counts = self.hist.setdefault(route, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
                    break
            else:
                counts[-1] += 1
            self.sums[route] = self.sums.get(route, 0.0) + seconds

    def render(self, batcher) -> str:
        stats = dict(batcher.stats)
        out: list[str] = []

        def family(name: str, kind: str, help_: str) -> None:
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")

        with self._lock:
            requests = dict(self.requests)
            hist = {k: list(v) for k, v in self.hist.items()}
            sums = dict(self.sums)
        family("workbench_serve_requests_total", "counter", "HTTP requests answered, by route and status.")
        for (route, status), n in sorted(requests.items()):
            out.append(f'workbench_serve_requests_total{{route="{_esc(route)}",status="{status}"}} {n}')
        family("workbench_serve_request_duration_seconds", "histogram",
               "Seconds from the request to its answer (scoring routes).")
        for route, counts in sorted(hist.items()):
            acc = 0
            label = _esc(route)
            for bound, n in zip(BUCKETS, counts):
                acc += n
                out.append(f'workbench_serve_request_duration_seconds_bucket{{route="{label}",le="{bound:g}"}} {acc}')
            acc += counts[-1]
            out.append(f'workbench_serve_request_duration_seconds_bucket{{route="{label}",le="+Inf"}} {acc}')
            out.append(f'workbench_serve_request_duration_seconds_sum{{route="{label}"}} {sums.get(route, 0.0):.6f}')
            out.append(f'workbench_serve_request_duration_seconds_count{{route="{label}"}} {acc}')
        for name, key, kind, help_ in (
                ("workbench_serve_pairs_scored_total", "pairs", "counter", "Pairs scored by the model."),
                ("workbench_serve_batches_total", "batches", "counter", "Micro-batches run by the model."),
                ("workbench_serve_cache_hits_total", "cache_hits", "counter", "Pairs answered from the score cache."),
                ("workbench_serve_cache_misses_total", "cache_misses", "counter",
                 "Pairs not in the score cache (scored or queued)."),
                ("workbench_serve_cancelled_pairs_total", "cancelled_pairs", "counter",
                 "Queued pairs dropped because their client left."),
                ("workbench_serve_requests_refused_busy_total", "refused_busy", "counter",
                 "Requests refused with 503 because --max-queue requests were admitted.")):
            family(name, kind, help_)
            out.append(f"{name} {int(stats.get(key, 0))}")
        family("workbench_serve_queue_pairs", "gauge", "Pairs waiting for the next micro-batch.")
        out.append(f"workbench_serve_queue_pairs {batcher.queued_pairs()}")
        family("workbench_serve_requests_admitted", "gauge", "Requests scoring or waiting for the model.")
        out.append(f"workbench_serve_requests_admitted {batcher.admitted}")
        family("workbench_serve_max_queue", "gauge", "Requests admitted at most (--max-queue).")
        out.append(f"workbench_serve_max_queue {batcher.max_queue or 0}")
        return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class RequestMetrics:
    """ASGI middleware: one count per HTTP answer (route, status), latency for the POST routes."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 0}

        async def watch(message):
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            timed = scope.get("method") == "POST"
            self.metrics.observe(scope.get("path", ""), status["code"] or 499,
                                 time.perf_counter() - start if timed else None)
