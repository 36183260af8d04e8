"""`workbench serve`: a real server process (uvicorn) on the tiny checkpoint, called the way a
gateway calls it (curl-shaped JSON over httpx), compared with the local engine."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers import random_image
from tests.servers import REPO, workbench_server

TOL = 1e-5
KEY = "s3cret-test-key"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-home")
    env = {"WORKBENCH_HOME": str(folder / "home"), "WORKBENCH_DB": str(folder / "wb.db")}
    return folder, env


@pytest.fixture(scope="module")
def served(tiny_checkpoint, home):
    folder, env = home
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        plain = workbench_server(tiny_checkpoint, folder / "serve.log")
        keyed = workbench_server(tiny_checkpoint, folder / "serve-key.log", "--api-key", KEY)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        plain.wait(300)
        keyed.wait(300)
        yield plain, keyed
    finally:
        plain.stop()
        keyed.stop()


@pytest.fixture(scope="module")
def local(tiny_checkpoint):
    from workbench.rerank import get_reranker

    return get_reranker("qwen-vl", model_path=tiny_checkpoint)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-images")
    return [random_image(folder / f"{i}.png", w, h, 40 + i) for i, (w, h) in enumerate([(90, 60), (640, 480)])]


def data_url(path) -> str:
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode()


def test_curl_rerank_equals_local(served, local, images):
    from workbench.model import Document, Query

    plain, _ = served
    body = {
        "model": httpx.get(plain.url + "/models").json()["data"][0]["id"],
        "query": "red running shoes",
        "documents": ["Lightweight red running shoes", "保温杯 750 ml",
                      {"content": [{"type": "image_url", "image_url": {"url": data_url(images[0])}},
                                   {"type": "text", "text": "a photo"}]},
                      {"content": [{"type": "image_url", "image_url": {"url": data_url(images[1])}}]}],
        "instruction": "Given a web search query, retrieve relevant passages that answer the query",
        "top_n": 3, "return_documents": True,
    }
    r = httpx.post(plain.url + "/rerank", json=body, timeout=120)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == 3                                     # top_n
    got = {x["index"]: x["relevance_score"] for x in results}
    assert [x["relevance_score"] for x in results] == sorted(got.values(), reverse=True)
    assert results[0]["document"]["text"] in ("Lightweight red running shoes", "保温杯 750 ml", "a photo", "")
    docs = [Document("0", text="Lightweight red running shoes"), Document("1", text="保温杯 750 ml"),
            Document("2", text="a photo", image=images[0]), Document("3", image=images[1])]
    expected = local.rank(Query("q", text="red running shoes"), docs, body["instruction"]).scores_in_input_order()
    for i, s in got.items():
        assert abs(s - expected[i]) < TOL, (i, s, expected[i])
    assert set(got) == set(sorted(range(4), key=lambda i: -expected[i])[:3])

    # /v1/score, 1:N, vLLM's shape
    r = httpx.post(plain.url + "/score", json={"text_1": "red running shoes",
                                              "text_2": ["Lightweight red running shoes", "保温杯 750 ml"]})
    data = r.json()["data"]
    assert [d["index"] for d in data] == [0, 1]
    default = local.rank(Query("q", text="red running shoes"), docs[:2]).scores_in_input_order()
    assert max(abs(d["score"] - e) for d, e in zip(data, default)) < TOL


def test_concurrent_requests_share_batches_and_equal_local(served, local):
    from workbench.model import Document, Query

    plain, _ = served
    queries = [f"query {i} about shoes" for i in range(8)]
    docs = [f"document {j} red shoes {j * 3}" for j in range(3)]

    def call(q):
        return httpx.post(plain.url + "/rerank", json={"query": q, "documents": docs,
                                                       "instruction": f"instruction {q}"}, timeout=120).json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, queries))
    for q, ans in zip(queries, answers):
        got = {x["index"]: x["relevance_score"] for x in ans["results"]}
        exp = local.rank(Query("q", text=q), [Document(str(j), text=d) for j, d in enumerate(docs)],
                         f"instruction {q}").scores_in_input_order()
        assert max(abs(got[j] - exp[j]) for j in range(3)) < TOL
    stats = httpx.get(plain.root + "/health").json()["batching"]
    assert stats["max_batch_seen"] > 3   # pairs of different requests went through one forward pass


def test_models_health_and_errors(served):
    plain, _ = served
    models = httpx.get(plain.url + "/models").json()
    assert models["object"] == "list" and models["data"][0]["id"].startswith("tiny@")
    assert httpx.get(plain.root + "/health").status_code == 200
    r = httpx.post(plain.url + "/rerank", json={"model": "nope", "query": "a", "documents": ["b"]})
    assert r.status_code == 404 and "does not exist" in r.json()["error"]["message"]
    r = httpx.post(plain.url + "/rerank", json={"query": "a", "documents": [
        {"content": [{"type": "image_url", "image_url": {"url": "http://example.com/a.png"}}]}]})
    assert r.status_code == 400 and "data URL" in r.json()["error"]["message"]
    r = httpx.post(plain.url + "/rerank", json={"query": "a", "documents": []})
    assert r.status_code == 400


def test_api_key_and_remote_backend_on_workbench_serve(served, local, monkeypatch):
    from workbench.model import Document, Query
    from workbench.rerank.remote import RemoteError, RemoteReranker, probe

    _, keyed = served
    r = httpx.post(keyed.url + "/rerank", json={"query": "a", "documents": ["b"]})
    assert r.status_code == 401
    monkeypatch.delenv("WORKBENCH_API_KEY", raising=False)
    with pytest.raises(RemoteError) as exc:
        probe(keyed.url)
    assert "WORKBENCH_API_KEY" in exc.value.fix
    monkeypatch.setenv("WORKBENCH_API_KEY", KEY)
    models, protocol = probe(keyed.url)
    assert protocol == "rerank" and models[0].startswith("tiny@")
    remote = RemoteReranker(keyed.url)
    docs = [Document(f"d{i}", text=f"candidate {i} shoes") for i in range(20)]
    q = Query("q", text="red running shoes")
    got = remote.rank(q, docs).scores_in_input_order()
    exp = local.rank(q, docs).scores_in_input_order()
    assert max(abs(a - b) for a, b in zip(got, exp)) < TOL
    remote.close()


def test_binding_beyond_localhost_needs_api_key(tiny_checkpoint):
    p = subprocess.run([sys.executable, "-m", "workbench", "serve", "--model", tiny_checkpoint,
                        "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=str(REPO))
    assert p.returncode == 2
    assert "--api-key" in p.stderr and "0.0.0.0" in p.stderr


def test_template_path_prints_shipped_templates():
    p = subprocess.run([sys.executable, "-m", "workbench", "serve", "--template-path", "lychee"],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)},
                       cwd=str(REPO))
    assert p.returncode == 0 and p.stdout.strip().endswith("lychee_rerank_mm.jinja")
    assert os.path.isfile(p.stdout.strip())


def test_remote_run_progress_and_cancel_keep_what_is_done(served, monkeypatch):
    import threading

    from workbench.errors import Cancelled
    from workbench.model import Document, Query
    from workbench.rerank.remote import RemoteReranker

    _, keyed = served
    monkeypatch.setenv("WORKBENCH_API_KEY", KEY)
    remote = RemoteReranker(keyed.url, max_inflight=1, docs_per_request=1)
    docs = [Document(f"c{i}", text=f"cancel test document {i}") for i in range(200)]
    cancel = threading.Event()
    saved: dict[int, float] = {}
    progress: list[tuple[int, int]] = []

    def on_scores(new):
        saved.update(new)
        if len(saved) >= 5:
            cancel.set()

    with pytest.raises(Cancelled) as exc:
        remote.rank(Query("q", text="cancel"), docs, cancel=cancel, on_scores=on_scores,
                    progress=lambda d, t: progress.append((d, t)))
    assert 5 <= exc.value.done < 200 and exc.value.done == len(saved)
    assert progress[-1] == (exc.value.done, 200)
    sent = remote.stats["pairs_sent"]
    assert sent < 200 and sent <= len(saved) + 1          # in-flight work stopped with the run
    remote.close()


def test_api_key_guards_every_route_of_the_real_server(served):
    """Issue 20: with --api-key, the Cohere (/rerank, /v2/rerank) and vLLM (/score) routes refuse a
    missing or wrong key like /v1/* does; only /health is open; the docs are off by default."""
    _, keyed = served
    body = {"query": "a", "documents": ["b"], "text_1": "a", "text_2": ["b"]}
    for path in ("/rerank", "/v2/rerank", "/v1/rerank", "/score", "/v1/score"):
        for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": f"bearer {KEY}-"}):
            r = httpx.post(keyed.root + path, json=body, headers=headers, timeout=60)
            assert r.status_code == 401, (path, headers, r.text)
            assert "API key" in r.json()["message"] and r.json()["detail"] == r.json()["message"]
        r = httpx.post(keyed.root + path, json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
        assert r.status_code == 200, (path, r.text)
        usage = r.json()["usage"]
        assert usage["prompt_tokens"] == usage["total_tokens"] > 0
    assert httpx.get(keyed.url + "/models").status_code == 401
    assert httpx.get(keyed.root + "/health").json() == {"status": "ok"}
    assert httpx.get(keyed.root + "/docs").status_code == 404
    assert httpx.get(keyed.root + "/openapi.json", headers={"Authorization": f"Bearer {KEY}"}).status_code == 404


def test_null_documents_are_refused_not_scored(served):
    plain, _ = served
    r = httpx.post(plain.url + "/rerank", json={"query": "a", "documents": [None, "b"]}, timeout=60)
    assert r.status_code == 422 and "documents[0]" in r.json()["detail"]
    r = httpx.post(plain.url + "/rerank", json={"query": "a", "documents": ["b"], "top_n": "Infinity"}, timeout=60)
    assert r.status_code == 422 and "top_n" in r.json()["detail"]
