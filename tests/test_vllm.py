"""The remote backend against REAL vLLM servers (vLLM's CPU build in .venv-vllm; no mock server).

`./run_workbench.sh test` prepares .venv-vllm once (scripts/setup_vllm_venv.sh); without it
these tests are skipped with the reason. Servers are shared: one generate server (chat
protocol) and one pooling server (/v1/rerank, Lychee template) for the module, a second
generate replica only for the replica-failure test, a Qwen3-VL pooling server only for its
test. Each start takes ~30-60 s and ~3 GB.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import random_image
from tests.servers import LYCHEE_POOLING, QWEN3_POOLING, REPO, free_port, vllm_available, vllm_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.vllm,
    pytest.mark.skipif(not vllm_available(), reason=".venv-vllm is absent: run ./run_workbench.sh test "
                                                    "(or scripts/setup_vllm_venv.sh) to install vLLM's CPU build"),
]

TOL = 1e-5


@pytest.fixture(scope="module")
def servers(tiny_checkpoint, tmp_path_factory):
    """A generate server (chat) and a pooling server (/v1/rerank) on the tiny Lychee checkpoint,
    started together."""
    from workbench.rerank.score_templates import template_path

    logs = tmp_path_factory.mktemp("vllm-logs")
    chat = vllm_server(tiny_checkpoint, logs / "chat.log")
    pool = vllm_server(tiny_checkpoint, logs / "pool.log", "--runner", "pooling", "--hf-overrides",
                       LYCHEE_POOLING, "--chat-template", str(template_path("lychee")))
    try:
        chat.wait()
        pool.wait()
        yield {"chat": chat, "pool": pool, "logs": logs}
    finally:
        chat.stop()
        pool.stop()


@pytest.fixture(scope="module")
def local(tiny_checkpoint):
    from workbench.rerank import get_reranker

    return get_reranker("qwen-vl", model_path=tiny_checkpoint)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    """Text and image documents (sizes that need resizing, and one far above max_pixels),
    a text query and an image+text query."""
    from workbench.model import Document, Query

    folder = tmp_path_factory.mktemp("vllm-images")
    imgs = [random_image(folder / f"{i}.png", w, h, i)
            for i, (w, h) in enumerate([(64, 48), (300, 200), (57, 91), (1400, 1000)])]
    docs = [Document("t1", text="Lightweight red running shoes"), Document("t2", text="无线蓝牙耳机 降噪"),
            Document("t3", text="Stainless steel bottle, 750 ml")]
    docs += [Document(f"i{i}", text=("photo of a product" if i % 2 else ""), image=p) for i, p in enumerate(imgs)]
    queries = [Query("q-text", text="red running shoes"), Query("q-image", text="shoes", image=imgs[1])]
    return queries, docs


def _assert_equal_scores(local, remote, queries, docs, instruction=None):
    for q in queries:
        a = local.rank(q, docs, instruction).scores_in_input_order()
        b = remote.rank(q, docs, instruction).scores_in_input_order()
        assert len(b) == len(docs)
        diff = max(abs(x - y) for x, y in zip(a, b))
        assert diff < TOL, (q.id, diff, a, b)
        assert max(a) - min(a) > 1e-3   # the scores differ between documents: the check can fail


def test_chat_protocol_equals_local_text_and_images(servers, local, pairs):
    from workbench.rerank import get_reranker

    remote = get_reranker(servers["chat"].url)
    try:
        assert remote.backend == "remote" and remote.protocol == "chat"
        assert remote.info.logprob_mode == "token_ids" and remote.info.token_ids_source == "server"
        queries, docs = pairs
        _assert_equal_scores(local, remote, queries, docs)
        _assert_equal_scores(local, remote, queries[:1], docs, "Given a question, retrieve factual passages")
    finally:
        remote.close()


def test_rerank_protocol_equals_local_text_and_images(servers, local, pairs):
    from workbench.rerank.remote import RemoteReranker

    remote = RemoteReranker(servers["pool"].url)
    try:
        assert remote.protocol == "rerank"
        queries, docs = pairs
        _assert_equal_scores(local, remote, queries, docs)
        _assert_equal_scores(local, remote, queries[:1], docs, "Given a question, retrieve factual passages")
    finally:
        remote.close()


def test_probe_lists_models_and_detects_protocol(servers, tiny_checkpoint):
    from workbench.rerank.remote import probe

    assert probe(servers["chat"].url) == ([tiny_checkpoint], "chat")
    assert probe(servers["pool"].root) == ([tiny_checkpoint], "rerank")   # "/v1" is added


def test_cache_key_is_model_format_protocol_not_url(servers, pairs):
    from workbench.rerank.remote import RemoteReranker

    queries, docs = pairs
    a = RemoteReranker(servers["chat"].url)
    b = RemoteReranker(servers["chat"].url.replace("127.0.0.1", "localhost"))
    c = RemoteReranker(servers["pool"].url)
    try:
        key = lambda r: r.cache_key(r.resolve_instruction(""), queries[0], docs[0])  # noqa: E731
        assert key(a) == key(b)              # another URL of the same server: the same cache entries
        assert key(a) != key(c)              # another protocol: its own entries
        assert a.params()["protocol"] == "chat" and a.params()["prompt"] == "lychee"
    finally:
        for r in (a, b, c):
            r.close()


def test_qwen3_vl_pooling_server_equals_local(tiny_qwen3_checkpoint, tmp_path, pairs):
    from workbench.rerank import get_reranker
    from workbench.rerank.remote import RemoteReranker
    from workbench.rerank.score_templates import template_path

    server = vllm_server(tiny_qwen3_checkpoint, tmp_path / "qwen3.log", "--runner", "pooling",
                         "--hf-overrides", QWEN3_POOLING, "--chat-template", str(template_path("qwen3-vl-reranker")))
    try:
        server.wait()
        local = get_reranker("qwen-vl", model_path=tiny_qwen3_checkpoint)
        remote = RemoteReranker(server.url, prompt_format="qwen3-vl-reranker")
        assert remote.protocol == "rerank"
        queries, docs = pairs
        from workbench.model import Document

        # an empty document becomes "NULL" on both sides
        _assert_equal_scores(local, remote, queries, docs + [Document("empty", text="")])
        remote.close()
    finally:
        server.stop()


def test_one_replica_killed_mid_run_loses_no_pair(servers, local, tiny_checkpoint, tmp_path):
    from workbench.model import Document, Query
    from workbench.rerank.remote import RemoteReranker

    second = vllm_server(tiny_checkpoint, tmp_path / "replica2.log").wait()
    try:
        docs = [Document(f"d{i}", text=f"document number {i} about shoes {i * 7}") for i in range(320)]
        query = Query("q", text="red running shoes")
        warm = RemoteReranker(second.url)        # a fresh server's first requests are slow
        warm.rank(query, [Document(f"w{i}", text=f"warm-up {i}") for i in range(4)])
        warm.close()
        remote = RemoteReranker([servers["chat"].url, second.url], max_inflight=2, max_failures=2,
                                timeout=30)
        seen: dict[int, float] = {}
        killed_at: list[int] = []
        replica = next(e for e in remote.endpoints if e.base == second.url)

        def on_scores(new):
            seen.update(new)
            if replica.served >= 1 and not killed_at:   # the replica took part, then it dies
                killed_at.append(len(seen))
                second.kill()

        ranked = remote.rank(query, docs, on_scores=on_scores)
        assert killed_at and killed_at[0] < len(docs)
        assert len(ranked) == len(docs) and len(seen) == len(docs)
        served = {e.base: e.served for e in remote.endpoints}
        assert served[second.url] >= 1 and served[servers["chat"].url] + served[second.url] == len(docs)
        expected = local.rank(query, docs).scores_in_input_order()
        got = ranked.scores_in_input_order()
        assert max(abs(x - y) for x, y in zip(expected, got)) < TOL
        # The dead replica leaves the rotation, named in the warnings: in this run when it failed
        # often enough before the run ended (timing), else in the next one, whose first requests
        # go to it (it has served the fewest) and fail.
        warnings = list(ranked.warnings)
        if not any(second.url in w and "out of rotation" in w for w in warnings):
            more = [Document(f"m{i}", text=f"more shoes {i}") for i in range(24)]
            again = remote.rank(query, more)
            assert len(again) == len(more) and all(r.score is not None for r in again)
            warnings += again.warnings
        assert any(second.url in w and "out of rotation" in w for w in warnings), (
            warnings, killed_at, served, remote.stats)
        assert replica.out
        remote.close()
    finally:
        second.stop()


def _cli(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "workbench", *args], env=env, cwd=str(REPO),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_kill9_client_then_rerun_sends_only_missing_pairs(servers, tmp_path):
    from workbench.rerank.remote import connect
    from workbench.store import Store

    n = 200
    csv = tmp_path / "cands.csv"
    csv.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image\n" + "".join(
        f"q1,red running shoes,,d{i},candidate {i} with words {i * 13} and {i * 7},\n" for i in range(n)),
        encoding="utf-8")
    p = _cli("import", str(csv), "--session", "crash")
    assert p.wait(timeout=120) == 0, p.stderr.read()
    chat = servers["chat"]
    args = ("rerank", "--session", "crash", "--model", chat.url, "--max-inflight", "1")

    client = _cli(*args)
    saved = 0
    deadline = time.monotonic() + 180
    store = Store()
    try:
        while time.monotonic() < deadline and client.poll() is None:
            runs = store.list_runs()
            if runs:
                saved = len(store.load_run(runs[-1].id).scores)
                if saved >= 5:
                    break
            time.sleep(0.05)
        assert client.poll() is None, f"the client finished before it could be killed: {client.stderr.read()}"
        os.kill(client.pid, signal.SIGKILL)
        client.wait(timeout=30)
        cached = store.cache_stats()
    finally:
        store.close()
    assert 5 <= saved < n

    # what one connection check costs on the server (the re-run makes the same check)
    before = chat.metric("vllm:request_success_total")
    connect(chat.url)
    probe_cost = chat.metric("vllm:request_success_total") - before

    before = chat.metric("vllm:request_success_total")
    rerun = _cli(*args)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    m = re.search(r"(\d+) pair\(s\) sent to the server, (\d+) from the score cache", err)
    assert m, err
    sent, from_cache = int(m.group(1)), int(m.group(2))
    print(f"re-run after kill -9: {sent} pair(s) sent, {from_cache} from the cache (cache: {cached})")
    assert sent + from_cache == n
    assert from_cache >= saved and sent >= 1
    assert chat.metric("vllm:request_success_total") - before == sent + probe_cost
    store = Store()
    try:
        final = store.load_run(store.list_runs()[-1].id)
        assert final.status == "done" and len(final.scores) == n
    finally:
        store.close()


def test_cli_rerank_file_and_parity_through_vllm(servers, tiny_checkpoint, tmp_path):
    from tests.helpers import CSV

    csv = tmp_path / "c.csv"
    csv.write_text(CSV, encoding="utf-8")
    out = tmp_path / "ranked.csv"
    p = _cli("rerank", "--input", str(csv), "--model", servers["pool"].url, "--output", str(out))
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert "protocol rerank" in err and out.read_text(encoding="utf-8").count("\n") == 6

    p = _cli("parity", "--model", tiny_checkpoint, "--model", servers["pool"].url, "--input", str(csv))
    report, err = p.communicate(timeout=300)
    assert p.returncode == 0, report + err
    assert "verdict: identical" in report and "Kendall τ" in report
    # the first release's layout (one newline more) on the client, chat protocol: the scores move
    p = _cli("parity", "--model", tiny_checkpoint, "--model", servers["chat"].url, "--prompt-format", "lychee",
             "--prompt-format", "lychee-v1", "--input", str(csv))
    report, err = p.communicate(timeout=300)
    assert p.returncode == 1, report + err
    assert "verdict: identical" not in report and "prompt difference" in report


# ---------------------------------------------------------------- errors, each with what to do
def test_unreachable_server():
    from workbench.rerank.remote import RemoteError, probe

    with pytest.raises(RemoteError) as exc:
        probe(f"http://127.0.0.1:{free_port()}/v1")
    assert "cannot be reached" in str(exc.value) and "vllm" in exc.value.fix


def test_wrong_model_name(servers, tiny_checkpoint):
    from workbench.rerank.remote import RemoteError, RemoteReranker

    with pytest.raises(RemoteError) as exc:
        RemoteReranker(servers["chat"].url, served_model="lychee-rerank-mm").probe()   # probed on first use
    assert tiny_checkpoint in str(exc.value) and "--served-model-name" in exc.value.fix


def test_html_page_instead_of_api():
    from workbench.rerank.remote import RemoteError, probe

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b"<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        with pytest.raises(RemoteError) as exc:
            probe(f"http://127.0.0.1:{httpd.server_address[1]}/v1")
        assert "HTML page" in str(exc.value) and "/v1" in exc.value.fix
    finally:
        httpd.shutdown()


# ---------------------------------------------------------------- a model as first-pass judge
def test_judge_on_real_vllm_chat_server(servers, tiny_checkpoint, store, tmp_path):
    """workbench/judge.py against the real vLLM chat server: one request per document (images as
    data URLs), each answer parsed into a grade or reported for that document, grades stored as
    the model annotator (kind model, never human labels). The tiny model's answers are random
    text; with vLLM's structured outputs (a choice of 0/1/2) every answer is a grade."""
    from workbench import judge
    from workbench.model import CandidateSet, Document, Query

    chat = servers["chat"]
    img = random_image(tmp_path / "p.png", 300, 200, 5)
    docs = [Document("t1", text="Lightweight red running shoes"), Document("t2", text="无线蓝牙耳机 降噪"),
            Document("i1", text="photo of a product", image=img)]
    info = store.create_session("vj")
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q1", "red running shoes", image=img), docs))
    seen = []
    before = chat.metric("vllm:request_success_total")
    res = judge.judge_session(store, "vj", chat.url, max_tokens=6, progress=lambda *a: seen.append(a))
    assert chat.metric("vllm:request_success_total") - before == len(docs)     # one request per document
    assert res.model == tiny_checkpoint and res.annotator == judge.model_annotator(tiny_checkpoint)
    assert len(seen) == len(docs) and not res.cancelled
    assert {d for _, d, _ in res.graded} | {d for _, d, _ in res.failed} == {"t1", "t2", "i1"}
    for _, _, why in res.failed:      # random text: reported per document, naming the server
        assert chat.url in why and "gave no grade" in why
    stored = {d: lab.grade for d, lab in store.get_labels(sid, annotator=res.annotator).items()}
    assert stored == {d: g for _, d, g in res.graded}

    # only a grade allowed (vLLM's structured outputs): every document graded, stored, not human
    res = judge.judge_session(store, "vj", chat.url, regrade=True, max_tokens=2,
                              extra_body={"structured_outputs": {"choice": ["0", "1", "2"]}})
    assert not res.failed and len(res.graded) == len(docs), res.failed
    stored = {d: lab.grade for d, lab in store.get_labels(sid, annotator=res.annotator).items()}
    assert stored == {d: g for _, d, g in res.graded} and set(stored.values()) <= {0, 1, 2}
    assert judge.rubric_of(store.get_labels(sid, annotator=res.annotator)["i1"].note) == judge.DEFAULT_RUBRIC
    assert store.annotator_kinds()[res.annotator] == "model" and store.metric_labels(sid) == {}
