"""`workbench serve` speaks what clients of vLLM, Jina and Cohere send and read (issue 20,
"Protocol completeness"): vLLM's single-dict documents and data_1/data_2 scoring, Jina's raw
base64 images, a per-document truncation flag, Cohere's `meta`, error bodies the common clients
parse, several served-model aliases, /metrics in Prometheus text, and a bounded queue in front
of the model (503 + Retry-After).

The app runs over the tiny random checkpoint (no mocked model): FastAPI's TestClient for the
shapes, a real `workbench serve` process for the CLI flags, the metrics and the queue bound, and
the real vLLM from .venv-vllm (marked `vllm`) where the point is to answer as vLLM does."""

from __future__ import annotations

import base64
import json
import math
import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import random_image
from tests.servers import LYCHEE_POOLING, vllm_available, vllm_server, workbench_server

KEY = "k3y-for-the-protocol-tests"
AUTH = {"Authorization": f"Bearer {KEY}"}
TOL = 1e-5


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


def b64(path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode()


def scores_by_index(answer: dict) -> dict[int, float]:
    return {x["index"]: x["relevance_score"] for x in answer["results"]}


# --------------------------------------------------------------------------- request shapes

def test_vllm_single_dict_documents_and_jina_raw_base64(reranker, tmp_path):
    img = random_image(tmp_path / "a.png", 56, 42, 7)
    _, client = make_client(reranker, tmp_path)
    with client:
        def post(body, path="/v1/rerank"):
            r = client.post(path, headers=AUTH, json=body)
            assert r.status_code == 200, r.text
            return r.json()

        parts = [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + b64(img)}},
                 {"type": "text", "text": "a photo"}]
        listed = post({"query": "q", "documents": [{"content": parts}]})
        single = post({"query": "q", "documents": {"content": parts}})          # vLLM: one document
        assert [x["index"] for x in single["results"]] == [0]
        assert abs(single["results"][0]["relevance_score"] - listed["results"][0]["relevance_score"]) < TOL
        assert single["results"][0]["document"]["multi_modal"] == parts

        data_url = post({"query": "q", "documents": [{"image": "data:image/png;base64," + b64(img)}, "text"]})
        raw = post({"query": "q", "documents": [{"image": b64(img)}, "text"]})   # Jina: bare base64
        wrapped = base64.encodebytes(Path(img).read_bytes()).decode()                  # with line breaks
        raw_lines = post({"query": "q", "documents": [{"image": wrapped}, "text"]})
        assert scores_by_index(raw) == pytest.approx(scores_by_index(data_url), abs=TOL)
        assert scores_by_index(raw_lines) == pytest.approx(scores_by_index(data_url), abs=TOL)
        jina_query = post({"query": {"image": b64(img)}, "documents": ["text"]})
        assert len(jina_query["results"]) == 1

        for bad, words in (("https://example.com/cat.png", "does not fetch http(s) URLs"),
                           ("/etc/hostname.png", "does not fetch"),
                           ("bm90IGFuIGltYWdl", "could not be decoded"),             # base64 of text
                           ("abc", "base64 is malformed")):
            r = client.post("/v1/rerank", headers=AUTH, json={"query": "q", "documents": ["x", {"image": bad}]})
            assert r.status_code == 400, (bad, r.text)
            assert "documents[1]" in r.json()["detail"] and words in r.json()["detail"], r.text
        r = client.post("/v1/rerank", headers=AUTH, json={"query": "q", "documents": 7})
        assert r.status_code == 422 and "documents" in r.json()["detail"]


def test_score_data_1_data_2_and_the_other_names(reranker, tmp_path):
    _, client = make_client(reranker, tmp_path)
    with client:
        def score(body):
            r = client.post("/v1/score", headers=AUTH, json=body)
            assert r.status_code == 200, r.text
            out = r.json()
            assert out["object"] == "list" and isinstance(out["created"], int)
            return [d["score"] for d in sorted(out["data"], key=lambda d: d["index"])]

        one_n = score({"data_1": "red shoes", "data_2": ["red running shoes", "a blue sky"]})
        assert len(one_n) == 2
        assert score({"data_1": ["red shoes"], "data_2": ["red running shoes", "a blue sky"]}) == \
            pytest.approx(one_n, abs=TOL)
        assert score({"text_1": "red shoes", "text_2": ["red running shoes", "a blue sky"]}) == \
            pytest.approx(one_n, abs=TOL)
        assert score({"queries": "red shoes", "items": ["red running shoes", "a blue sky"]}) == \
            pytest.approx(one_n, abs=TOL)
        assert score({"data_1": "red shoes", "data_2": "a blue sky"}) == pytest.approx(one_n[1:], abs=TOL)
        n_n = score({"data_1": ["red shoes", "sky"], "data_2": ["red running shoes", "a blue sky"]})
        assert n_n[0] == pytest.approx(one_n[0], abs=TOL) and len(n_n) == 2
        single = score({"data_1": "q", "data_2": {"content": [{"type": "text", "text": "a "},
                                                              {"type": "text", "text": "b"}]}})
        assert single == pytest.approx(score({"data_1": "q", "data_2": "a b"}), abs=TOL)   # one item

        r = client.post("/score", headers=AUTH, json={"data_1": ["a", "b", "c"], "data_2": ["x", "y"]})
        assert r.status_code == 400 and "'data_1' holds 3 items and 'data_2' 2" in r.json()["detail"]
        r = client.post("/score", headers=AUTH, json={"data_1": "a"})
        assert r.status_code == 422 and "data_2" in r.json()["detail"]
        r = client.post("/score", headers=AUTH, json={"data_1": "a", "data_2": []})
        assert r.status_code == 400 and "at least one item" in r.json()["detail"]


# --------------------------------------------------------------------------- what the answer carries

def test_truncation_flag_and_warning(tiny_checkpoint, tmp_path):
    from workbench.rerank import get_reranker

    short = get_reranker("qwen-vl", model_path=tiny_checkpoint, max_length=160)
    _, client = make_client(short, tmp_path, cache_pairs=0)
    long_doc = "blue " * 400
    with client:
        r = client.post("/v1/rerank", headers=AUTH, json={"query": "red", "documents": ["red shoe", long_doc]}).json()
        flags = {x["index"]: x.get("truncated") for x in r["results"]}
        assert flags == {0: None, 1: True}                        # only the cut document says so
        assert r["warnings"] == r["meta"]["warnings"] and "documents[1]" in r["warnings"][0]
        assert "160 tokens" in r["warnings"][0]
        s = client.post("/v1/score", headers=AUTH, json={"data_1": "red", "data_2": [long_doc, "red shoe"]}).json()
        assert [d.get("truncated") for d in s["data"]] == [True, None]
        assert "data_2[0]" in s["warnings"][0]
        plain = client.post("/v1/rerank", headers=AUTH, json={"query": "red", "documents": ["red shoe"]}).json()
        assert "warnings" not in plain and "truncated" not in plain["results"][0]


def test_cohere_meta_on_every_rerank_route(reranker, tmp_path):
    _, client = make_client(reranker, tmp_path)
    with client:
        for path, version in (("/v1/rerank", "1"), ("/rerank", "1"), ("/v2/rerank", "2")):
            r = client.post(path, headers=AUTH, json={"query": "q", "documents": ["a", "b", "c"]}).json()
            assert r["meta"]["api_version"] == {"version": version}
            assert r["meta"]["billed_units"] == {"search_units": 1, "input_tokens": r["usage"]["prompt_tokens"]}
        many = client.post("/v2/rerank", headers=AUTH, json={"query": "q", "documents": ["d"] * 150}).json()
        assert many["meta"]["billed_units"]["search_units"] == 2          # Cohere: one unit per 100 documents


def test_error_bodies_parse_in_the_common_clients(reranker, tmp_path):
    """What the clients read, from their source: openai/vLLM clients `body["error"]["message"]`
    (vLLM's ErrorResponse: message, type, param, code); LangChain's JinaRerank raises
    `RuntimeError(resp["detail"])` when "results" is missing; Cohere's SDK keeps the body and
    shows `message`."""
    _, client = make_client(reranker, tmp_path)
    with client:
        cases = [
            (client.post("/v1/rerank", headers=AUTH, json={"query": "q", "documents": [{"content": 5}]}), 422),
            (client.post("/v1/rerank", headers=AUTH, json={"model": "nope", "query": "q", "documents": ["a"]}), 404),
            (client.post("/v1/rerank", json={"query": "q", "documents": ["a"]}), 401),
            (client.post("/v1/rerank", headers=AUTH, content=b"{not json"), 422),
            (client.get("/v1/nothing", headers=AUTH), 404),
        ]
        for r, status in cases:
            assert r.status_code == status, r.text
            body = r.json()
            assert set(body["error"]) == {"message", "type", "param", "code"} and body["error"]["code"] == status
            assert body["detail"] == body["message"] == body["error"]["message"] and body["detail"]
            assert "results" not in body                                    # JinaRerank's test
        wrong = cases[0][0].json()
        assert wrong["error"]["param"] == "documents[0].content" and wrong["error"]["type"] == "invalid_request_error"


def test_concurrent_requests_through_the_pipelined_batcher(reranker, tmp_path):
    """Two micro-batches in the engine at once (one tokenized while the other runs): concurrent
    requests of different lengths all answer 200, each with the scores it gets alone (the bench
    found the fast tokenizer's shared padding state racing here)."""
    from concurrent.futures import ThreadPoolExecutor

    def body(c: int) -> dict:
        return {"query": f"query {c} red shoes", "documents": [("word " * (1 + (c * 7 + d * 5) % 40)) + str(d)
                                                               for d in range(6)]}

    app, client = make_client(reranker, tmp_path, api_key=None, cache_pairs=0)
    with client:
        alone = {c: scores_by_index(client.post("/v1/rerank", json=body(c)).json()) for c in range(4)}
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda c: client.post("/v1/rerank", json=body(c % 4)), range(48)))
        assert [r.status_code for r in answers] == [200] * 48, [r.text for r in answers if r.status_code != 200][:2]
        for c, r in enumerate(answers):
            assert scores_by_index(r.json()) == pytest.approx(alone[c % 4], abs=TOL)
        assert app.state.batcher.stats["max_batch_seen"] > 1                 # requests shared passes


# --------------------------------------------------------------------------- the real server: aliases, metrics, queue

@pytest.fixture(scope="module")
def proc(tiny_checkpoint, tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-protocol")
    env = {"WORKBENCH_DB": str(folder / "wb.db"), "WORKBENCH_HOME": str(folder / "home")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        server = workbench_server(tiny_checkpoint, folder / "serve.log", "--api-key", KEY, "--served-model-name",
                                  "lychee-rerank-mm", "Lychee/lychee-rerank-mm", "--max-queue", "1",
                                  "--cache-pairs", "0")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        server.wait(300)
        yield server
    finally:
        server.stop()


def metric(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, value = line.rsplit(" ", 1)
        if head.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def test_served_model_aliases(proc):
    models = httpx.get(proc.url + "/models", headers=AUTH, timeout=30).json()
    assert [m["id"] for m in models["data"]] == ["lychee-rerank-mm", "Lychee/lychee-rerank-mm"]
    for name, answered in ((None, "lychee-rerank-mm"), ("lychee-rerank-mm", "lychee-rerank-mm"),
                           ("Lychee/lychee-rerank-mm", "Lychee/lychee-rerank-mm")):
        r = httpx.post(proc.url + "/rerank", headers=AUTH, timeout=60,
                       json={"model": name, "query": "q", "documents": ["a"]})
        assert r.status_code == 200 and r.json()["model"] == answered
        s = httpx.post(proc.url + "/score", headers=AUTH, timeout=60, json={"model": name, "data_1": "q", "data_2": "a"})
        assert s.status_code == 200 and s.json()["model"] == answered
    r = httpx.post(proc.url + "/rerank", headers=AUTH, timeout=60, json={"model": "tiny", "query": "q", "documents": ["a"]})
    assert r.status_code == 404
    assert "'lychee-rerank-mm', 'Lychee/lychee-rerank-mm'" in r.json()["error"]["message"]


def test_metrics_in_prometheus_text_behind_the_key(proc):
    assert httpx.get(proc.root + "/metrics", timeout=30).status_code == 401
    before = httpx.get(proc.root + "/metrics", headers=AUTH, timeout=30).text
    r = httpx.post(proc.url + "/rerank", headers=AUTH, timeout=60, json={"query": "q", "documents": ["a", "b", "c"]})
    assert r.status_code == 200
    httpx.post(proc.url + "/rerank", headers=AUTH, timeout=60, json={"query": 5, "documents": ["a"]})
    after = httpx.get(proc.root + "/metrics", headers=AUTH, timeout=30)
    assert after.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = after.text
    assert "# TYPE workbench_serve_requests_total counter" in text
    assert "# TYPE workbench_serve_request_duration_seconds histogram" in text

    def grew(name: str, by: float, **labels) -> None:
        assert metric(text, name, **labels) - metric(before, name, **labels) == pytest.approx(by), name

    grew("workbench_serve_requests_total", 1, route="/v1/rerank", status="200")
    grew("workbench_serve_requests_total", 1, route="/v1/rerank", status="422")
    grew("workbench_serve_request_duration_seconds_count", 2, route="/v1/rerank")
    grew("workbench_serve_pairs_scored_total", 3)
    grew("workbench_serve_cache_misses_total", 0)                          # --cache-pairs 0: no cache at all
    assert metric(text, "workbench_serve_request_duration_seconds_bucket", route="/v1/rerank", le="+Inf") == \
        metric(text, "workbench_serve_request_duration_seconds_count", route="/v1/rerank")
    assert metric(text, "workbench_serve_requests_total", route="/metrics", status="401") >= 1
    assert metric(text, "workbench_serve_queue_pairs") == 0 and metric(text, "workbench_serve_max_queue") == 1
    httpx.get(proc.root + "/wp-login.php", headers=AUTH, timeout=30)      # unknown paths share one label
    text = httpx.get(proc.root + "/metrics", headers=AUTH, timeout=30).text
    assert "wp-login" not in text and metric(text, "workbench_serve_requests_total", route="other") >= 1


def test_metrics_open_with_the_flag(reranker, tmp_path):
    _, client = make_client(reranker, tmp_path, open_metrics=True)
    with client:
        r = client.get("/metrics")
        assert r.status_code == 200 and "workbench_serve_cache_hits_total" in r.text
        assert client.post("/v1/rerank", json={"query": "q", "documents": ["a"]}).status_code == 401


def test_full_queue_answers_503_with_retry_after(proc):
    """--max-queue 1: while one request is being scored, the next one is refused at once."""
    slow = {"query": "red running shoes", "documents": [f"document number {i} about shoes " * 6 for i in range(400)]}
    done: dict = {}

    def first():
        done["r"] = httpx.post(proc.url + "/rerank", headers=AUTH, json=slow, timeout=300)

    t = threading.Thread(target=first)
    t.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = httpx.get(proc.root + "/metrics", headers=AUTH, timeout=30).text
            if metric(text, "workbench_serve_requests_admitted") == 1:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the first request was never admitted")
        r = httpx.post(proc.url + "/rerank", headers=AUTH, json={"query": "q", "documents": ["a"]}, timeout=60)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "1"
        msg = r.json()["error"]["message"]
        assert r.json()["error"]["type"] == "overloaded_error"
        assert "--max-queue 4" in msg and "WORKBENCH_SERVE_MAX_QUEUE=4" in msg
    finally:
        t.join(300)
    assert done["r"].status_code == 200 and len(done["r"].json()["results"]) == 400    # the first one is whole
    ok = httpx.post(proc.url + "/rerank", headers=AUTH, json={"query": "q", "documents": ["a"]}, timeout=60)
    assert ok.status_code == 200                                                      # the place was given back
    text = httpx.get(proc.root + "/metrics", headers=AUTH, timeout=30).text
    assert metric(text, "workbench_serve_requests_refused_busy_total") >= 1
    assert metric(text, "workbench_serve_requests_total", route="/v1/rerank", status="503") >= 1


def test_queue_setting_and_flag(monkeypatch):
    from workbench.errors import InputError
    from workbench.server import ServeLimits

    assert ServeLimits.from_settings().max_queue == 256                     # the documented default
    monkeypatch.setenv("WORKBENCH_SERVE_MAX_QUEUE", "12")
    assert ServeLimits.from_settings().max_queue == 12
    assert ServeLimits.from_settings(max_queue=3).max_queue == 3            # the flag wins
    with pytest.raises(InputError, match="--max-queue"):
        ServeLimits.from_settings(max_queue=0)
    monkeypatch.setenv("WORKBENCH_SERVE_MAX_QUEUE", "many")
    with pytest.raises(InputError, match="WORKBENCH_SERVE_MAX_QUEUE"):
        ServeLimits.from_settings()


# --------------------------------------------------------------------------- the same answers as vLLM

@pytest.fixture(scope="module")
def vllm_pool(tiny_checkpoint, tmp_path_factory):
    if not vllm_available():
        pytest.skip(".venv-vllm is absent: run scripts/setup_vllm_venv.sh .venv-vllm")
    from workbench.rerank.score_templates import template_path

    logs = tmp_path_factory.mktemp("vllm-protocol")
    server = vllm_server(tiny_checkpoint, logs / "pool.log", "--runner", "pooling", "--hf-overrides", LYCHEE_POOLING,
                         "--chat-template", str(template_path("lychee")))
    try:
        server.wait()
        yield server
    finally:
        server.stop()


@pytest.mark.vllm
@pytest.mark.slow
def test_shapes_answer_as_vllm_does(vllm_pool, reranker, tmp_path):
    """The same bodies to vLLM's pooling server and to serve: same items, same order, same scores."""
    _, client = make_client(reranker, tmp_path, api_key=None)
    with client:
        bodies = [
            ("/v1/rerank", {"query": "red shoes", "documents": {"content": [{"type": "text", "text": "red shoes"}]}}),
            ("/v1/rerank", {"query": "red shoes", "documents": ["red running shoes", "a blue sky", "red"]}),
            ("/v1/score", {"data_1": "red shoes", "data_2": ["red running shoes", "a blue sky"]}),
            ("/v1/score", {"data_1": ["red shoes", "sky"], "data_2": ["red running shoes", "a blue sky"]}),
            ("/v1/score", {"data_1": "red shoes", "data_2": "a blue sky"}),
            ("/v1/score", {"text_1": "red shoes", "text_2": ["red running shoes", "a blue sky"]}),
            ("/v1/score", {"queries": "red shoes", "documents": ["red running shoes", "a blue sky"]}),
        ]
        for path, body in bodies:
            theirs = httpx.post(vllm_pool.root + path, json=body, timeout=120)
            ours = client.post(path, json=body)
            assert theirs.status_code == ours.status_code == 200, (path, body, theirs.text, ours.text)
            t, o = theirs.json(), ours.json()
            if "results" in t:
                assert [x["index"] for x in o["results"]] == [x["index"] for x in t["results"]]
                pairs = zip(o["results"], t["results"])
                assert all(abs(a["relevance_score"] - b["relevance_score"]) < TOL for a, b in pairs), (body, t, o)
                assert o["usage"]["prompt_tokens"] == t["usage"]["prompt_tokens"], (body, t["usage"], o["usage"])
            else:
                assert [x["index"] for x in o["data"]] == [x["index"] for x in t["data"]]
                assert all(abs(a["score"] - b["score"]) < TOL for a, b in zip(o["data"], t["data"])), (body, t, o)
                assert set(t) <= set(o) | {"usage"}
        bad = {"data_1": ["a", "b", "c"], "data_2": ["x", "y"]}
        theirs = httpx.post(vllm_pool.root + "/v1/score", json=bad, timeout=60)
        ours = client.post("/v1/score", json=bad)
        assert theirs.status_code == ours.status_code == 400
        assert set(theirs.json()["error"]) <= set(ours.json()["error"])      # vLLM's ErrorResponse fields
        assert math.isfinite(ours.json()["error"]["code"]) and json.dumps(ours.json())
