"""A model as a first-pass judge (workbench/judge.py, `workbench judge`) against a fake
OpenAI-compatible chat server (http.server in a thread): the answers' parsing (bare digit,
"Grade: 2", JSON), malformed answers, refusals and HTTP errors reported per document (never a
grade, the others go on), storage as a model annotator, skipping, cancel, the CLI. The real
vLLM test is in tests/test_vllm.py (test_judge_on_real_vllm_chat_server)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import random_image
from workbench import judge
from workbench.cli import main
from workbench.errors import InputError
from workbench.model import CandidateSet, Document, Label, Query

MODEL = "fake-vl-judge"

# what the fake server answers for a document whose text holds "CASE=<name>"
CASES = {
    "bare": (200, {"content": "2"}),
    "labelled": (200, {"content": "The document is on topic.\nGrade: 1"}),
    "json": (200, {"content": '```json\n{"grade": 0, "why": "off topic"}\n```'}),
    "think": (200, {"content": "<think>maybe 0? no</think>\n**2**"}),
    "prose": (200, {"content": "This looks quite relevant to me, I would say so."}),
    "outofrange": (200, {"content": "Grade: 7"}),
    "refusal": (200, {"content": None, "refusal": "I cannot help with that request."}),
    "empty": (200, {"content": ""}),
    "http400": (400, {"error": {"message": "image too large for this model"}}),
    "http500": (500, {"error": {"message": "engine crashed"}}),
}


class FakeChat(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def log_message(self, *a):  # quiet
        pass

    def _send(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        if self.path != "/v1/chat/completions":
            self._send(404, {"error": "not found"})
            return
        text = " ".join(p.get("text", "") for m in body["messages"] for p in m["content"] if p["type"] == "text")
        case = re.search(r"CASE=(\w+)", text).group(1)
        status, msg = CASES[case]
        if status != 200:
            self._send(status, msg)
            return
        self._send(200, {"id": "x", "object": "chat.completion", "model": MODEL, "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", **msg}}]})


@pytest.fixture
def fake_server():
    FakeChat.requests = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def session(store, tmp_path):
    """Session 'judged': query q1 with one document per case (one with an image), query q2 with two."""
    info = store.create_session("judged")
    img = random_image(tmp_path / "d.png", 64, 48, 3)
    docs = [Document(name, text=f"product CASE={name}", image=img if name == "bare" else None) for name in CASES]
    s1 = store.save_candidate_set(info.id, CandidateSet(Query("q1", "red shoes"), docs))
    s2 = store.save_candidate_set(info.id, CandidateSet(
        Query("q2", "hat"), [Document("h1", text="a hat CASE=bare"), Document("h2", text="a cap CASE=json")]))
    return info, s1, s2


GOOD = {"bare": 2, "labelled": 1, "json": 0, "think": 2}


@pytest.mark.parametrize("answer, grade", [
    ("2", 2), (" 0\n", 0), ("**1**", 1), ("2.", 2), ('"1"', 1), ("2/2", 2),
    ("Grade: 2", 2), ("Grade: 2.", 2), ("I'd say grade 1, since it is close.", 1), ("grade 1", 1), ("Relevance: 0", 0), ("Score = 2", 2), ("Grade: **1**", 1),
    ("First I thought Grade: 0, but Grade: 2", 2),
    ('{"grade": 2}', 2), ('{"grade": "1"}', 1), ('```json\n{"grade": 0}\n```', 0), ('Answer: {"score": 1}', 1),
    ("<think>the grade: 0 seems wrong</think>1", 1),
    ("", None), (None, None), ("relevant", None), ("3", None), ("Grade: 7", None), ("12", None),
    ('{"grade": 5}', None), ('{"grade": true}', None), ("Grade: 1.5", None), ("I'm sorry, I can't do that.", None),
])
def test_parse_grade(answer, grade):
    assert judge.parse_grade(answer) == grade


def test_rubric_is_checked_and_filled():
    assert judge.check_rubric(None) == judge.DEFAULT_RUBRIC == judge.check_rubric("  ")
    with pytest.raises(InputError) as err:
        judge.check_rubric("Grade this: {query}")
    assert "{document}" in str(err.value) and "How to fix" in str(err.value)
    with pytest.raises(InputError):
        judge.check_rubric("{query} {document}" + "x" * judge.MAX_RUBRIC)
    text = judge.fill_rubric("Q={query} D={document} {other}", Query("q", "shoes {x}"), Document("d", text="red"))
    assert text == "Q=shoes {x} D=red {other}"
    assert judge.model_annotator("Qwen/Qwen2.5-VL-7B-Instruct") == "model:Qwen/Qwen2.5-VL-7B-Instruct"
    long = "/tmp/" + "x" * 150 + "/tiny"
    assert judge.model_annotator(long) == "model:tiny"


def test_judge_grades_reports_failures_and_stores_model_annotator(store, session, fake_server):
    info, s1, s2 = session
    seen = []
    rubric = "Query: {query}\nDocument: {document}\nGive 0, 1 or 2."
    res = judge.judge_session(store, "judged", fake_server, rubric=rubric, retries=1,
                              progress=lambda *a: seen.append(a))
    assert res.model == MODEL and res.annotator == "model:" + MODEL and not res.cancelled
    assert len(seen) == len(CASES) + 2 and seen[-1][:2] == (len(CASES) + 2, len(CASES) + 2)
    assert sorted((q, d, g) for q, d, g in res.graded) == sorted(
        [("q1", d, g) for d, g in GOOD.items()] + [("q2", "h1", 2), ("q2", "h2", 0)])
    failed = {d: why for _, d, why in res.failed}
    assert set(failed) == set(CASES) - set(GOOD)
    # each failure names the server and shows the answer's start (or the HTTP error)
    assert "127.0.0.1" in failed["prose"] and "This looks quite relevant" in failed["prose"]
    assert "'Grade: 7'" in failed["outofrange"]
    assert "refused" in failed["refusal"] and "I cannot help" in failed["refusal"]
    assert "''" in failed["empty"]
    assert "400" in failed["http400"] and "image too large" in failed["http400"]
    assert "500" in failed["http500"] and "engine crashed" in failed["http500"]
    # the requests: the model, temperature 0, the filled rubric, the image as a data URL part
    bodies = {}                       # each case's first request of this run
    for b in FakeChat.requests:
        bodies.setdefault(re.search(r"CASE=(\w+)", b["messages"][0]["content"][-1]["text"]).group(1), b)
    assert all(b["model"] == MODEL and b["temperature"] == 0 for b in FakeChat.requests)
    parts = bodies["bare"]["messages"][0]["content"]
    assert parts[0]["type"] == "image_url" and parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[-1]["text"].startswith("Query: red shoes\nDocument: product CASE=bare")
    assert len([b for b in FakeChat.requests if "CASE=http500" in json.dumps(b)]) == 2   # retried once
    # stored: the model's own labels, kind model, rubric kept; never human labels
    mine = store.get_labels(s1, annotator=res.annotator)
    assert {d: lab.grade for d, lab in mine.items()} == GOOD
    assert judge.rubric_of(mine["bare"].note) == rubric and "'2'" in mine["bare"].note
    assert store.annotator_kinds()[res.annotator] == "model"
    assert store.get_labels(s1) == {}                       # the default (person) annotator: nothing
    assert store.metric_labels(s1) == {}                    # suggestions do not count as labels
    assert store.metric_labels(s1, f"annotator:{res.annotator}") == GOOD

    # again: the graded ones are skipped, only the failed ones are sent
    FakeChat.requests = []
    again = judge.judge_session(store, "judged", fake_server, rubric=rubric, retries=0)
    assert again.skipped_graded == len(GOOD) + 2 and not again.graded
    assert {d for _, d, _ in again.failed} == set(CASES) - set(GOOD)
    assert len(FakeChat.requests) == len(CASES) - len(GOOD)


@pytest.mark.usefixtures("db_backend")     # SQLite and a real PostgreSQL (tests/pg.py)
def test_people_labelled_documents_are_skipped_unless_asked(store, session, fake_server):
    info, s1, s2 = session
    store.set_labels(s2, [Label("q2", "h1", 1)], annotator="alice")
    store.register_annotator("model:other", "model")            # another model's suggestion is no label
    store.set_labels(s2, [Label("q2", "h2", 2)], annotator="model:other")
    res = judge.judge_session(store, "judged", fake_server, query_id="q2")
    assert res.graded == [("q2", "h2", 0)] and res.skipped_labelled == 1
    assert store.get_labels(s2, annotator="alice")["h1"].grade == 1
    res = judge.judge_session(store, "judged", fake_server, query_id="q2", include_labelled=True)
    assert res.graded == [("q2", "h1", 2)] and res.skipped_graded == 1
    assert store.all_grades(s2)["h1"] == {"alice": 1, "model:" + MODEL: 2}
    store.adjudicate(s1, "bare", 1, "carol")                     # an adjudicated document is labelled too
    assert judge.plan(store, "judged", "model:" + MODEL)[1:] == (2, 1)
    assert store.metric_labels(s2) == {"h1": 1}             # only alice counts
    res = judge.judge_session(store, "judged", fake_server, query_id="q2", regrade=True, include_labelled=True)
    assert len(res.graded) == 2 and res.skipped_graded == 0
    with pytest.raises(Exception) as err:
        judge.judge_session(store, "judged", fake_server, query_id="nope")
    assert "nope" in str(err.value)


def test_cancel_and_limit_keep_what_was_finished(store, session, fake_server):
    info, s1, s2 = session
    seen = []
    res = judge.judge_session(store, "judged", fake_server, max_inflight=1, query_id="q1",
                              progress=lambda *a: seen.append(a), should_stop=lambda: len(seen) >= 2)
    assert res.cancelled and len(seen) == 2
    assert res.not_sent == len(CASES) - 2
    graded = {d for _, d, _ in res.graded}
    assert {d for d, lab in store.get_labels(s1, annotator=res.annotator).items()} == graded
    # the next judging sends only what is still ungraded
    res = judge.judge_session(store, "judged", fake_server, query_id="q1", limit=3, retries=0)
    assert len(res.graded) + len(res.failed) == 3 and res.skipped_graded == len(graded)
    with pytest.raises(InputError):
        judge.judge_session(store, "judged", fake_server, limit=0)


def test_ctrl_c_keeps_the_grades_given(store, session, fake_server):
    info, s1, s2 = session

    def progress(done, *rest):
        if done == 2:
            raise KeyboardInterrupt

    res = judge.judge_session(store, "judged", fake_server, query_id="q1", max_inflight=1, progress=progress)
    assert res.cancelled and isinstance(res.interrupted, KeyboardInterrupt)
    assert res.not_sent == len(CASES) - 2
    assert {d: lab.grade for d, lab in store.get_labels(s1, annotator=res.annotator).items()} == {
        d: g for _, d, g in res.graded} and len(res.graded) == 2


def test_cli_judge(store, session, fake_server, tmp_path, capsys):
    rubric = tmp_path / "rubric.txt"
    rubric.write_text("Is {document} relevant to {query}? Answer 0, 1 or 2.", encoding="utf-8")
    code = main(["judge", "--session", "judged", "--url", fake_server, "--rubric", str(rubric),
                 "--query", "q2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "[2/2] query q2" in out and f"annotator 'model:{MODEL}'" in out and "graded: 2  failed: 0" in out
    code = main(["judge", "--session", "judged", "--url", fake_server, "--query", "q1", "--limit", "5"])
    cap = capsys.readouterr()
    assert code == 1 and "graded: 4  failed: 1" in cap.out and "not sent: 5" in cap.out
    assert "gave no grade for document 'prose'" in cap.err
    bad = tmp_path / "bad.txt"
    bad.write_text("Grade it.", encoding="utf-8")
    code = main(["judge", "--session", "judged", "--url", fake_server, "--rubric", str(bad)])
    cap = capsys.readouterr()
    assert code == 2 and "{query}" in cap.err and "How to fix" in cap.err
    assert main(["judge", "--show-rubric"]) == 0 and "{document}" in capsys.readouterr().out
    assert main(["judge", "--session", "judged", "--url", fake_server, "--extra-body", "[1]"]) == 2
    assert "--extra-body is not a JSON object" in capsys.readouterr().err
    assert main(["judge", "--session", "judged"]) == 2 and "needs --url" in capsys.readouterr().err
