"""The remote backend against small fake servers that answer wrongly: every answer must cover
each requested document exactly once with a finite score, a short burst of 503s on a single
replica is retried, and a hung server fails soon with the setting that helps."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workbench import get_reranker

from workbench.rerank.remote import RemoteError, parse_rerank_scores

DOCS = [f"document number {i}" for i in range(12)]


class Fake:
    """A /v1/rerank server on 127.0.0.1 whose answers `mode` spoils (the probe is answered well)."""

    def __init__(self, mode: str, *, fail_first: int = 0, hang_s: float = 0.0):
        self.mode, self.fail_first, self.hang_s = mode, fail_first, hang_s
        self.requests = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, body) -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/v1/models":
                    self._send(200, {"data": [{"id": "fake-reranker"}]})
                else:
                    self._send(404, {"detail": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not self.path.endswith("/rerank"):
                    self._send(404, {"detail": "not found"})
                    return
                n = len(body["documents"])
                if body["query"] == "test":          # the probe
                    self._send(200, {"results": [{"index": 0, "relevance_score": 0.5}]})
                    return
                with fake.lock:
                    fake.requests += 1
                    k = fake.requests
                if k <= fake.fail_first:
                    self._send(503, {"detail": "busy"})
                    return
                if fake.hang_s:
                    time.sleep(fake.hang_s)
                good = [{"index": i, "relevance_score": 1.0 / (i + 1)} for i in range(n)]
                spoil = {
                    "good": lambda: good,
                    "duplicate": lambda: good[:-1] + [{"index": 0, "relevance_score": 0.99}],
                    "out_of_range": lambda: good[:-1] + [{"index": n + 5, "relevance_score": 0.2}],
                    "strings": lambda: ["yes"] * n,
                    "no_index": lambda: [{"relevance_score": 0.1}] * n,
                }
                if fake.mode in ("nan", "inf"):
                    value = "NaN" if fake.mode == "nan" else "Infinity"
                    items = ",".join(f'{{"index": {i}, "relevance_score": {value if i == 1 else 0.5}}}'
                                     for i in range(n))
                    self._send(200, '{"results": [' + items + "]}")
                    return
                self._send(200, {"results": spoil[fake.mode]()})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake(request):
    servers = []

    def make(mode: str, **kw) -> Fake:
        s = Fake(mode, **kw)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def _reranker(url: str, **kw):
    return get_reranker("remote", urls=url, protocol="rerank", docs_per_request=4, **kw)


def test_a_good_server_scores_every_document(fake):
    res = _reranker(fake("good").url).rank("q", DOCS)
    assert len(res) == len(DOCS) and res[0].doc_id == "0"


@pytest.mark.parametrize("mode, words", [
    ("duplicate", "scored twice"),
    ("out_of_range", "index 9"),
    ("strings", "not an object"),
    ("no_index", "no whole-number index"),
])
def test_a_malformed_answer_is_an_error_that_names_the_server(fake, mode, words):
    server = fake(mode)
    with pytest.raises(RemoteError) as err:
        _reranker(server.url).rank("q", DOCS)
    text = str(err.value)
    assert server.url in text and words in text, text
    assert "bug" not in text.lower()


@pytest.mark.parametrize("mode", ["nan", "inf"])
def test_a_score_that_is_not_a_number_names_the_server_not_the_cache(fake, mode):
    server = fake(mode)
    with pytest.raises(RemoteError) as err:
        _reranker(server.url).rank("q", DOCS)
    text = str(err.value)
    assert server.url in text and "not a number" in text
    assert "cache" not in text.lower() and "imported file" not in text


def test_parse_rerank_scores_is_exact():
    assert parse_rerank_scores({"results": [{"index": 1, "relevance_score": 0.2},
                                            {"index": 0, "score": 0.7}]}, 2) == [0.7, 0.2]
    with pytest.raises(RemoteError):
        parse_rerank_scores({"results": [{"index": 0, "relevance_score": 0.2}]}, 2)       # a gap
    with pytest.raises(RemoteError):
        parse_rerank_scores({"results": [{"index": True, "relevance_score": 0.2}]}, 1)    # bool is no index


def test_a_short_burst_of_503s_on_one_replica_is_retried_not_fatal(fake):
    server = fake("good", fail_first=3)
    rr = _reranker(server.url, max_failures=3, retries=4)
    res = rr.rank("q", DOCS)            # 3 chunks in flight get 503 at once, then all succeed
    assert len(res) == len(DOCS)
    assert server.requests >= 3 + 3


def test_a_replica_is_taken_out_only_while_another_is_healthy(fake):
    bad, good = fake("good", fail_first=10_000), fake("good")
    rr = get_reranker("remote", urls=[bad.url, good.url], protocol="rerank", docs_per_request=2,
                      max_failures=2, retries=6)
    res = rr.rank("q", DOCS)
    assert len(res) == len(DOCS)
    assert any("out of rotation" in w for w in res.warnings)


def test_a_hung_server_fails_soon_and_names_the_timeout_and_the_server(fake):
    server = fake("good", hang_s=30)
    rr = _reranker(server.url, timeout=1.0)
    t0 = time.perf_counter()
    with pytest.raises(RemoteError) as err:
        rr.rank("q", DOCS[:4])
    took = time.perf_counter() - t0
    text = str(err.value)
    assert took < 15, took
    assert server.url in text and "within 1 s" in text and "--timeout" in text
    assert "ReadTimeout" not in text


def test_the_constructor_does_not_touch_the_network_and_first_use_names_the_server(fake):
    import socket

    with socket.socket() as s:                       # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    rr = get_reranker("remote", urls=dead, timeout=2)     # no error yet: nothing was sent
    assert not rr.probed and "not probed yet" in repr(rr)
    with pytest.raises(RemoteError) as err:
        rr.rank("q", DOCS[:2])
    assert dead in str(err.value)
    with pytest.raises(RemoteError):
        rr.probe()
    # a live server: probed once, on first use (or .probe()), then known
    server = fake("good")
    rr = _reranker(server.url)
    assert not rr.probed and server.requests == 0
    info = rr.probe()
    assert rr.probed and info.protocol == "rerank" and rr.model_id == "fake-reranker"
    assert "fake-reranker" in repr(rr) and rr.probe() is info
    assert len(rr.score_pairs([("q", d) for d in DOCS[:5]])) == 5
