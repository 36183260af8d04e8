"""`workbench serve` under hostile or careless clients (issue 20): the API key on every route,
limits checked before parsing, cancelled work when the client leaves, one client's bad image
failing only its own request, 4xx (never 500) for wrong types, real usage, per-request image
cleanup, a bounded score cache of the server's own, and a clean SIGTERM.

Two ways in, both over the real app and the tiny random checkpoint (no mocked model):
FastAPI's TestClient over `create_app` (and the ASGI app called directly for a streamed body),
and a real `workbench serve` process (raw sockets for the body limits, httpx for the rest)."""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import socket
import struct
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers import random_image
from tests.servers import workbench_server

KEY = "k3y-for-the-security-tests"
AUTH = {"Authorization": f"Bearer {KEY}"}
TOL = 1e-5


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def reranker(tiny_checkpoint):
    from workbench.rerank import get_reranker

    return get_reranker("qwen-vl", model_path=tiny_checkpoint)


def make_client(reranker, tmp_path, **kw):
    from fastapi.testclient import TestClient

    from workbench.server import create_app

    kw.setdefault("api_key", KEY)
    app = create_app(reranker, image_dir=tmp_path / "serve-images", **kw)
    return app, TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def proc(tiny_checkpoint, tmp_path_factory):
    """A real `workbench serve` with a 2 MB body limit, no score cache, its own TMPDIR (to see
    its image files) and its own WORKBENCH_DB (to see that it writes none)."""
    folder = tmp_path_factory.mktemp("serve-security")
    (folder / "tmp").mkdir()
    env = {"TMPDIR": str(folder / "tmp"), "WORKBENCH_DB": str(folder / "wb.db"),
           "WORKBENCH_HOME": str(folder / "home")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        server = workbench_server(tiny_checkpoint, folder / "serve.log", "--api-key", KEY, "--max-body-mb", "2",
                                  "--cache-pairs", "0")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        server.wait(300)
        server.folder = folder
        yield server
    finally:
        server.stop()


def stats(server) -> dict:
    return httpx.get(server.root + "/health", headers=AUTH, timeout=30).json()["batching"]


def data_url(path) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


def corrupt_png(src: Path, dst: Path) -> Path:
    """A PNG whose chunks and CRCs are valid (PIL's verify() passes) but whose pixel data does
    not inflate: it fails only when the engine decodes it, inside a micro-batch."""
    raw = Path(src).read_bytes()
    out, pos = bytearray(raw[:8]), 8
    while pos < len(raw):
        (n,) = struct.unpack(">I", raw[pos:pos + 4])
        kind, data = raw[pos + 4:pos + 8], bytearray(raw[pos + 8:pos + 8 + n])
        if kind == b"IDAT":
            for i in range(2, len(data), 3):
                data[i] ^= 0x5A
        out += struct.pack(">I", n) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        pos += 12 + n
    dst.write_bytes(bytes(out))
    from PIL import Image

    with Image.open(dst) as im:
        im.verify()                           # passes: only decoding finds the damage
    return dst


def raw_request(port: int, head: str, timeout: float = 30) -> tuple[int, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode())
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + _length(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, json.loads(data.split(b"\r\n\r\n", 1)[1] or b"{}")


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --------------------------------------------------------------------------- 1. the API key

def _probe(client, method: str, path: str, headers: dict | None = None):
    body = {"query": "a", "documents": ["b"], "text_1": "a", "text_2": ["b"]}
    return client.request(method, path, headers=headers or {}, json=body if method in ("POST", "PUT", "PATCH") else None)


@pytest.mark.parametrize("docs", [False, True])
def test_every_registered_route_asks_for_the_key(reranker, tmp_path, docs):
    """Every route the app registers (app.routes, so a new route cannot be forgotten) answers 401
    without the key, with a wrong one, with a right key in the wrong scheme; only /health (and,
    with --docs, the docs) are open."""
    app, client = make_client(reranker, tmp_path, docs=docs)
    open_paths = {"/health"} | ({"/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"} if docs else set())
    seen = set()
    with client:
        for route in app.routes:
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                if method == "HEAD":
                    continue
                seen.add(route.path)
                for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"},
                                {"Authorization": f"Bearer {KEY}x"}, {"Authorization": KEY}):
                    r = _probe(client, method, route.path, headers)
                    if route.path in open_paths:
                        assert r.status_code == 200, (method, route.path, r.text)
                    else:
                        assert r.status_code == 401, (method, route.path, headers, r.status_code)
                        body = r.json()
                        assert "API key" in body["detail"] and body["message"] == body["detail"]
                        assert body["error"]["type"] == "authentication_error"
                r = _probe(client, method, route.path, AUTH)
                assert r.status_code == 200, (method, route.path, r.text)
        assert {"/rerank", "/v2/rerank", "/v1/rerank", "/score", "/v1/score", "/v1/models", "/health"} <= seen
        assert ("/docs" in seen) == docs and ("/openapi.json" in seen) == docs
        if not docs:
            assert client.get("/docs").status_code == 404 and client.get("/openapi.json", headers=AUTH).status_code == 404
        health = client.get("/health").json()
        assert health == {"status": "ok"}                     # nothing about the model without the key
        assert client.get("/health", headers=AUTH).json()["model"].startswith("tiny@")


def test_unauthenticated_body_is_not_read(reranker, tmp_path):
    """A POST without the key is refused before its body is read (a large body costs nothing)."""
    from workbench.server import create_app

    app = create_app(reranker, api_key=KEY, image_dir=tmp_path / "img")
    reads = []

    async def receive():
        reads.append(1)
        return {"type": "http.request", "body": b"{" * 1000, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/rerank", "raw_path": b"/rerank", "query_string": b"",
             "headers": [(b"content-type", b"application/json")], "http_version": "1.1", "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": "", "app": app}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 401 and not reads


# --------------------------------------------------------------------------- 2. limits

def test_content_length_over_the_limit_is_refused_before_reading(proc):
    """200 MB announced, nothing sent: 413 at once, naming the flag and the setting; RSS flat."""
    before = rss_mb(proc.proc.pid)
    t0 = time.monotonic()
    status, body = raw_request(proc.port, "POST /v1/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                          f"Authorization: Bearer {KEY}\r\nContent-Length: {200 * 2**20}\r\n\r\n")
    assert status == 413 and time.monotonic() - t0 < 10
    assert "--max-body-mb" in body["detail"] and "WORKBENCH_SERVE_MAX_BODY_MB" in body["message"]
    assert rss_mb(proc.proc.pid) - before < 50


def _content_length(answer: bytes) -> int:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    for line in head.split("\r\n"):
        if line.startswith("content-length:"):
            return int(line.split(":", 1)[1])
    return 0


def test_streamed_body_stops_at_the_limit(proc):
    """A chunked upload (no Content-Length) of a would-be 200 MB body: refused with 413 once it
    passes the 2 MB limit, long before the client is done."""
    s = socket.create_connection(("127.0.0.1", proc.port), timeout=30)
    s.sendall(("POST /v1/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Authorization: Bearer {KEY}\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
    chunk = b'{"query": "' + b"x" * 65000
    sent, answer = 0, b""
    try:
        while sent < 200 * 2**20:
            s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
            chunk = b"y" * 65000
            if select.select([s], [], [], 0)[0]:
                break
        answer = s.recv(65536)
    except (BrokenPipeError, ConnectionResetError):
        answer = answer or s.recv(65536)
    try:                                   # the body may come in a later packet than the headers
        s.settimeout(10)
        while b"\r\n\r\n" in answer and len(answer.split(b"\r\n\r\n", 1)[1]) < _content_length(answer):
            more = s.recv(65536)
            if not more:
                break
            answer += more
    except OSError:
        pass
    finally:
        s.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 32 * 2**20                               # stopped early, not after 200 MB
    assert b"WORKBENCH_SERVE_MAX_BODY_MB" in answer


def test_streamed_body_reads_stop_at_the_limit_asgi(reranker, tmp_path):
    """The same at the ASGI level: the guard pulls no more chunks once the limit is passed."""
    from workbench.server import ServeLimits, create_app

    app = create_app(reranker, api_key=None, image_dir=tmp_path / "img", limits=ServeLimits(max_body_mb=0.25))
    pulled, sent = [], []

    async def receive():
        pulled.append(1)
        return {"type": "http.request", "body": b" " * 16384, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/rerank", "raw_path": b"/v1/rerank", "query_string": b"",
             "headers": [(b"content-type", b"application/json")], "http_version": "1.1", "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": "", "app": app}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert len(pulled) == 0.25 * 2**20 // 16384 + 1          # 17 chunks: 16 fit, the 17th passes the limit


def test_documents_and_characters_limits(reranker, tmp_path):
    from workbench.server import ServeLimits

    limits = ServeLimits(max_body_mb=1, max_documents=5, max_document_chars=100)
    _, client = make_client(reranker, tmp_path, limits=limits)
    with client:
        r = client.post("/v1/rerank", headers=AUTH, json={"query": "q", "documents": ["d"] * 6})
        assert r.status_code == 413
        assert "--max-documents" in r.json()["detail"] and "WORKBENCH_SERVE_MAX_DOCUMENTS" in r.json()["message"]
        r = client.post("/v1/score", headers=AUTH, json={"text_1": "q", "text_2": ["d"] * 6})
        assert r.status_code == 413 and "text_2" in r.json()["detail"]
        r = client.post("/v1/rerank", headers=AUTH, json={"query": "q", "documents": ["ok", "x" * 101]})
        assert r.status_code == 413
        msg = r.json()["detail"]
        assert "documents[1]" in msg and "--max-document-chars" in msg and "WORKBENCH_SERVE_MAX_DOCUMENT_CHARS" in msg
        r = client.post("/v1/rerank", headers=AUTH, json={"query": "q" * 101, "documents": ["d"]})
        assert r.status_code == 413 and "query" in r.json()["detail"]
        r = client.post("/v1/rerank", headers=AUTH, json={
            "query": "q", "documents": [{"content": [{"type": "text", "text": "x" * 60}, "y" * 41]}]})
        assert r.status_code == 413 and "documents[0]" in r.json()["detail"]      # parts add up
        r = client.post("/v1/rerank", headers=AUTH, json={"query": "q", "documents": ["d" * 100] * 5})
        assert r.status_code == 200 and len(r.json()["results"]) == 5            # at the limits: fine
        r = client.post("/v1/rerank", headers=AUTH, content=b'{"query": "' + b"q" * (2**20) + b'"}')
        assert r.status_code == 413 and "--max-body-mb" in r.json()["detail"]


def test_client_that_leaves_stops_the_scoring(proc):
    """1000 long documents, the client gives up after 1 s: the server stops scoring them (checked
    between micro-batches) instead of finishing the request for nobody."""
    before = stats(proc)
    docs = [f"document {i}: " + "red running shoes with a breathable mesh upper, " * 30 for i in range(1000)]
    with pytest.raises(httpx.TimeoutException):
        httpx.post(proc.url + "/rerank", headers=AUTH, json={"query": "shoes", "documents": docs}, timeout=1.0)
    time.sleep(2.0)
    first = stats(proc)
    time.sleep(2.0)
    second = stats(proc)
    assert second["pairs"] == first["pairs"], (first, second)        # nothing scored any more
    assert second["pairs"] - before["pairs"] < 1000
    assert second["cancelled_pairs"] - before["cancelled_pairs"] > 0


# --------------------------------------------------------------------------- 3. isolation, paths, cleanup

def test_one_clients_bad_image_fails_only_its_request(proc, local_scores, tmp_path):
    good_img = random_image(tmp_path / "good.png", 64, 48, 7)
    bad = corrupt_png(random_image(tmp_path / "src.png", 64, 48, 8), tmp_path / "bad.png")
    good_body = lambda i: {"query": f"query {i}", "documents": [
        f"red shoes {i}", {"content": [{"type": "image_url", "image_url": {"url": data_url(good_img)}}]}]}
    bad_body = {"query": "bad", "documents": ["fine text", {"content": [
        {"type": "text", "text": "a photo"}, {"type": "image_url", "image_url": {"url": data_url(bad)}}]}]}
    shared = 0
    for _round in range(3):                       # until the bad request shared a micro-batch
        before = stats(proc)["isolated_retries"]
        bodies = [good_body(i) for i in range(25)]
        for k in (3, 9, 14, 20, 24):
            bodies.insert(k, bad_body)

        def call(body):
            return httpx.post(proc.url + "/rerank", headers=AUTH, json=body, timeout=300)

        with ThreadPoolExecutor(30) as pool:
            answers = list(pool.map(call, bodies))
        for body, r in zip(bodies, answers):
            if body is bad_body:
                assert r.status_code == 400, r.text
                msg = r.json()["detail"]
                assert "documents[1]'s image" in msg, msg
                assert "/tmp" not in msg and "workbench-serve" not in msg and str(proc.folder) not in msg
                assert ".img" not in msg
            else:
                assert r.status_code == 200, r.text      # innocent requests are scored
                got = {x["index"]: x["relevance_score"] for x in r.json()["results"]}
                exp = local_scores(body["query"], body["documents"][0], good_img)
                assert max(abs(got[j] - exp[j]) for j in range(2)) < TOL
        shared += stats(proc)["isolated_retries"] - before
        if shared:
            break
    assert shared > 0, "the bad request never shared a micro-batch with others"
    # every request's images are gone once it was answered
    leftovers = [p for p in (proc.folder / "tmp").rglob("*") if p.is_file()]
    assert not leftovers, leftovers


@pytest.fixture(scope="module")
def local_scores(reranker):
    from workbench.model import Document, Query

    def score(query: str, text: str, image) -> list[float]:
        docs = [Document("0", text=text), Document("1", image=str(image))]
        return reranker.rank(Query("q", text=query), docs).scores_in_input_order()

    return score


def test_image_files_are_removed_per_request(reranker, tmp_path):
    img = random_image(tmp_path / "a.png", 40, 30, 3)
    app, client = make_client(reranker, tmp_path)
    with client:
        for i in range(5):
            r = client.post("/v1/rerank", headers=AUTH, json={"query": f"q{i}", "documents": [
                {"content": [{"type": "image_url", "image_url": {"url": data_url(img)}}]}, {"text": "t", "image": data_url(img)}]})
            assert r.status_code == 200, r.text
            assert app.state.images.files() == []
        r = client.post("/v1/rerank", headers=AUTH, json={"query": "q", "documents": [
            {"image": "data:image/png;base64,aGVsbG8="}]})
        assert r.status_code == 400 and "documents[0]" in r.json()["detail"] and "/" not in r.json()["detail"].split(":")[0]
        assert app.state.images.files() == []


def test_messages_never_show_server_paths():
    from workbench.server.request_images import RequestImages, scrub

    req = RequestImages(Path("/tmp/workbench-serve-abc/req-1"))
    req.labels["deadbeef"] = "documents[3]'s image"
    msg = "cannot decode '/tmp/workbench-serve-abc/req-1/deadbeef.img': broken; see /var/lib/x/y.log"
    out = req.scrub(msg)
    assert out == "cannot decode 'documents[3]'s image': broken; see <server path>"
    assert scrub("C:\\Users\\a\\b.png failed") == "<server path> failed"


# --------------------------------------------------------------------------- 4. wrong types: 4xx naming the field

BAD_BODIES = [
    ({"query": "a", "documents": ["b"], "chat_template_kwargs": "x"}, "chat_template_kwargs"),
    ({"query": "a", "documents": ["b"], "chat_template_kwargs": ["instruction"]}, "chat_template_kwargs"),
    ({"query": "a", "documents": ["b"], "chat_template_kwargs": {"instruction": 5}}, "chat_template_kwargs"),
    ('{"query": "a", "documents": ["b"], "top_n": 1e400}', "top_n"),
    ('{"query": "a", "documents": ["b"], "top_n": Infinity}', "top_n"),
    ('{"query": "a", "documents": ["b"], "top_n": NaN}', "top_n"),
    ({"query": "a", "documents": ["b"], "top_n": "three"}, "top_n"),
    ({"query": "a", "documents": [None]}, "documents[0]"),
    ({"query": "a", "documents": ["b", None]}, "documents[1]"),
    ({"query": None, "documents": ["b"]}, "query"),
    ({"documents": ["b"]}, "query"),
    ({"query": "a"}, "documents"),
    ({"query": "a", "documents": "b"}, "documents"),
    ({"query": "a", "documents": [5]}, "documents[0]"),
    ({"query": "a", "documents": [{}]}, "documents[0]"),
    ({"query": "a", "documents": [{"text": 5}]}, "documents[0].text"),
    ({"query": "a", "documents": [{"content": [{"type": "video"}]}]}, "documents[0].content[0]"),
    ({"query": "a", "documents": [{"content": [{"type": "image_url"}]}]}, "documents[0].content[0]"),
    ({"query": "a", "documents": [{"content": 5}]}, "documents[0].content"),
    ({"query": "a", "documents": ["b"], "return_documents": "maybe"}, "return_documents"),
    ({"query": "a", "documents": ["b"], "instruction": ["x"]}, "instruction"),
    ({"query": "a", "documents": ["b"], "model": 7}, "model"),
    ("[" * 100_000 + "]" * 100_000, "WORKBENCH_MAX_JSON_DEPTH"),
    ('{"query": "a", "documents": ["b"], "chat_template_kwargs": {"x": ' + "[" * 70 + "]" * 70 + "}}",
     "WORKBENCH_MAX_JSON_DEPTH"),
    ('{"query": "a", "documents": ["b"', "JSON"),
    ("[1, 2]", "body"),
    ("", "body"),
]


def test_wrong_types_are_4xx_naming_the_field(reranker, tmp_path):
    _, client = make_client(reranker, tmp_path)
    with client:
        for body, field in BAD_BODIES:
            for path in ("/v1/rerank", "/rerank", "/v2/rerank"):
                kw = {"content": body.encode()} if isinstance(body, str) else {"json": body}
                r = client.post(path, headers={**AUTH, "Content-Type": "application/json"}, **kw)
                assert 400 <= r.status_code < 500, (body if len(str(body)) < 200 else field, r.status_code, r.text[:300])
                got = r.json()
                assert got["detail"] == got["message"] == got["error"]["message"]
                assert field in got["detail"], (field, got["detail"])
        for body, field in [({"text_1": None, "text_2": ["b"]}, "text_1"), ({"text_1": "a", "text_2": [None]}, "text_2[0]"),
                            ({"text_1": "a"}, "text_2"), ({"text_1": "a", "text_2": [[{"type": "x"}]]}, "text_2[0][0]"),
                            ('{"text_1": "a", "text_2": "b", "instruction": Infinity}', "instruction")]:
            kw = {"content": body.encode()} if isinstance(body, str) else {"json": body}
            r = client.post("/v1/score", headers={**AUTH, "Content-Type": "application/json"}, **kw)
            assert r.status_code == 422 and field in r.json()["detail"], (body, r.text)


def test_accepted_shapes_still_work(reranker, tmp_path):
    """Cohere v1/v2, Jina, vLLM rerank and score shapes, extra options ignored, any Content-Type."""
    img = random_image(tmp_path / "a.png", 40, 30, 3)
    _, client = make_client(reranker, tmp_path)
    with client:
        def ok(path, body, **kw):
            r = client.post(path, headers={**AUTH, **kw.pop("headers", {})}, json=body, **kw)
            assert r.status_code == 200, (path, body, r.text)
            return r.json()

        cohere_v2 = ok("/v2/rerank", {"model": None, "query": "q", "documents": ["a", "b", "c"], "top_n": 2,
                                      "max_tokens_per_doc": 4096})
        assert len(cohere_v2["results"]) == 2
        cohere_v1 = ok("/rerank", {"query": "q", "documents": [{"text": "a", "title": "t"}, {"text": "b"}],
                                   "return_documents": False, "max_chunks_per_doc": 10, "rank_fields": ["text"]})
        assert all("document" not in x for x in cohere_v1["results"])
        jina = ok("/v1/rerank", {"model": "", "query": "q", "documents": ["a", {"text": "b"}, {"image": data_url(img)}],
                                 "top_n": 0, "return_documents": True})
        assert len(jina["results"]) == 3 and {x["document"]["text"] for x in jina["results"]} == {"a", "b", ""}
        vllm = ok("/v1/rerank", {"query": {"content": [{"type": "text", "text": "q"}]},
                                 "documents": [{"content": [{"type": "image_url", "image_url": {"url": data_url(img)}},
                                                            {"type": "text", "text": "photo"}]},
                                               {"content": "plain"}, ["part one ", {"type": "text", "text": "two"}],
                                               {"content": [{"type": "image", "image": data_url(img)}]}],
                                 "chat_template_kwargs": {"instruction": "find it", "enable_thinking": False},
                                 "truncate_prompt_tokens": -1})
        by_index = {x["index"]: x for x in vllm["results"]}
        assert by_index[0]["document"]["multi_modal"][1] == {"type": "text", "text": "photo"}
        assert by_index[2]["document"]["text"] == "part one two"
        same = ok("/v1/rerank", {"query": "q", "documents": ["plain"], "instruction": "find it"})
        assert abs(same["results"][0]["relevance_score"] - by_index[1]["relevance_score"]) < TOL
        form = client.post("/v1/rerank", headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
                           content=json.dumps({"query": "q", "documents": ["plain"], "instruction": "find it"}))
        assert form.status_code == 200                                  # curl -d without -H: read as JSON
        score = ok("/score", {"text_1": "q", "text_2": ["a", "b"]})
        assert [d["index"] for d in score["data"]] == [0, 1]
        nn = ok("/v1/score", {"queries": ["q1", "q2"], "documents": ["a", {"content": [{"type": "text", "text": "b"}]}]})
        assert len(nn["data"]) == 2
        one = ok("/v1/score", {"text_1": "q1", "text_2": "a"})
        assert abs(one["data"][0]["score"] - nn["data"][0]["score"]) < TOL


# --------------------------------------------------------------------------- usage, cache

def test_usage_counts_the_real_prompt_tokens(reranker, tmp_path):
    from workbench.model import Document, Query

    _, client = make_client(reranker, tmp_path, cache_pairs=0)
    docs = ["short", "a much longer document about red running shoes with a breathable mesh upper"]
    instruction = "Given a web search query, retrieve relevant passages that answer the query"
    tok = reranker.processor.tokenizer
    expected = []
    for d in docs:
        text = reranker.processor.apply_chat_template(
            reranker.messages_for(instruction, Query("q", text="red shoes"), Document("d", text=d)),
            tokenize=False, add_generation_prompt=True)
        expected.append(len(tok(text, add_special_tokens=False)["input_ids"]))
    with client:
        r = client.post("/v1/rerank", headers=AUTH, json={"query": "red shoes", "documents": docs,
                                                          "instruction": instruction}).json()
        assert r["usage"] == {"prompt_tokens": sum(expected), "total_tokens": sum(expected), "documents": 2}
        s = client.post("/v1/score", headers=AUTH, json={"text_1": "red shoes", "text_2": docs,
                                                         "instruction": instruction}).json()
        assert s["usage"] == {"prompt_tokens": sum(expected), "total_tokens": sum(expected)}


def test_server_cache_is_its_own_and_bounded(reranker, tmp_path):
    from workbench import config
    from workbench.server import ServeCache

    cache = ServeCache(3)
    cache.put_many({i: (0.5, 1) for i in range(5)})
    assert len(cache) == 3 and cache.get_many([0, 1, 2, 3, 4]) == {2: (0.5, 1), 3: (0.5, 1), 4: (0.5, 1)}

    app, client = make_client(reranker, tmp_path, cache_pairs=2)
    with client:
        body = {"query": "q", "documents": ["a", "b"]}
        first = client.post("/v1/rerank", headers=AUTH, json=body).json()
        again = client.post("/v1/rerank", headers=AUTH, json=body).json()
        assert app.state.batcher.stats["cache_hits"] == 2
        assert again["results"] == first["results"] and again["usage"] == first["usage"]
        client.post("/v1/rerank", headers=AUTH, json={"query": "q", "documents": ["c", "d"]})
        assert len(app.state.cache) == 2                                  # bounded: a and b evicted
        client.post("/v1/rerank", headers=AUTH, json=body)
        assert app.state.batcher.stats["cache_hits"] == 2
    assert not config.db_path().exists()                                 # the analysts' database untouched


# --------------------------------------------------------------------------- 6. SIGTERM (last: stops the server)

def test_sigterm_stops_the_server_cleanly(proc):
    assert not (proc.folder / "wb.db").exists()                  # it never wrote the analysts' database
    tmp_roots = list((proc.folder / "tmp").glob("workbench-serve-*"))
    assert tmp_roots
    os.kill(proc.proc.pid, signal.SIGTERM)
    assert proc.proc.wait(60) == 0
    log = proc.tail()
    assert "server stopped (SIGTERM)" in log, log
    assert "interrupted" not in log and "Traceback" not in log
    assert not any(p.exists() for p in tmp_roots)                 # its temporary images folder is gone
