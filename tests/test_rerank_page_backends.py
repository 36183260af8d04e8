"""Rerank page: the prompt-format option, the "Prompt sent to the model" expander, and a
serving-engine URL as the backend ("Test connection", then a run) against a real
`workbench serve` process on the tiny checkpoint. AppTest, no mocks."""

from __future__ import annotations

import time

import pytest

from tests.servers import workbench_server
from tests.test_pages import app, button, ok, settle
from workbench.samples import seed_samples
from workbench.store import Store


def _rerank_page(tiny_checkpoint):
    seed_samples(Store())
    store = Store()
    info = next(s for s in store.list_candidate_sets())
    at = app()
    at.session_state["session_id"] = info.session_id
    at.session_state["set_id"] = info.id
    at.switch_page("pages/rerank_page.py")
    ok(at.run())
    at.radio(key="rr_backend").set_value("qwen-vl").run()
    at.text_input(key="rr_model").set_value(tiny_checkpoint).run()
    return ok(at), store, info


def _prompt_code(at) -> str:
    codes = [c.value for c in at.code if "<|im_start|>system" in c.value]
    assert len(codes) == 1, "the prompt expander shows one prompt"
    return codes[0]


def test_prompt_expander_follows_the_prompt_format_and_runs_store_it(tiny_checkpoint):
    at, store, info = _rerank_page(tiny_checkpoint)
    text = _prompt_code(at)
    assert "<Instruct>: " in text and "<Query>:" in text and "\n<Query>:" not in text   # lychee (auto)
    assert any("tokens" in c.value and "lychee" in c.value for c in at.caption)
    at.selectbox(key="rr_format").set_value("lychee-v1").run()
    assert "\n<Query>:" in _prompt_code(ok(at))
    button(at, "rr_go").click().run()
    ok(settle(at))
    run = store.load_run(at.session_state.run_ids[-1])
    assert run.status == "done" and run.prompt_format == "lychee-v1"
    at.selectbox(key="rr_format").set_value("qwen3-vl-reranker").run()
    button(at, "rr_go").click().run()                   # refused before any work starts, with the fix
    assert at.error and "made for qwen3-vl" in at.error[0].value
    assert "lychee" in at.error[0].value


@pytest.fixture(scope="module")
def served(tiny_checkpoint, tmp_path_factory):
    server = workbench_server(tiny_checkpoint, tmp_path_factory.mktemp("serve") / "serve.log")
    try:
        server.wait(300)
        yield server
    finally:
        server.stop()


def test_server_url_test_connection_and_a_remote_run(served, tiny_checkpoint):
    at, store, info = _rerank_page(tiny_checkpoint)
    at.radio(key="rr_backend").set_value("remote").run()
    button(at, "rr_probe").click().run()                               # no URL yet: explained
    assert at.error and "Server URL" in at.error[0].value
    at.text_input(key="rr_url").set_value("http://127.0.0.1:9/v1").run()
    button(at, "rr_probe").click().run()
    assert at.error and "How to fix" in at.error[0].value                # unreachable: explained
    at.text_input(key="rr_url").set_value(served.url).run()
    button(at, "rr_probe").click().run()
    ok(at)
    assert any("Connected" in s.value and "Protocol" in s.value for s in at.success)
    button(at, "rr_go").click().run()
    ok(settle(at))
    run = store.load_run(at.session_state.run_ids[-1])
    assert run.backend == "remote" and run.status == "done"
    assert run.score_kind == "probability" and len(run.scores) == info.n_docs


def _two_sets_of_one_session():
    seed_samples(Store())
    store = Store()
    by_session = {}
    for s in store.list_candidate_sets():
        by_session.setdefault(s.session_id, []).append(s)
    return store, next(v for v in by_session.values() if len(v) >= 2)


def test_a_link_to_another_set_is_not_hijacked_by_a_finished_job():
    # fresh-eyes walkthrough: a second tab (or a deep link) opened the set of the session's
    # latest run instead of the linked one, and Run then scored the wrong set
    store, (a, b, *_) = _two_sets_of_one_session()
    tab1 = app()
    tab1.session_state["session_id"], tab1.session_state["set_id"] = a.session_id, a.id
    ok(tab1.switch_page("pages/rerank_page.py").run())
    tab1.radio(key="rr_backend").set_value("lexical").run()
    button(tab1, "rr_go").click().run()
    ok(settle(tab1))
    assert store.load_run(tab1.session_state.run_ids[-1]).set_id == a.id
    tab2 = app()                                           # the link: ?session=…&set=b
    tab2.session_state["session_id"], tab2.session_state["set_id"] = b.session_id, b.id
    ok(tab2.switch_page("pages/rerank_page.py").run())
    assert tab2.session_state["set_id"] == b.id and tab2.selectbox(key="rr_set").value == b.id
    tab2.radio(key="rr_backend").set_value("lexical").run()
    button(tab2, "rr_go").click().run()
    ok(settle(tab2))
    assert store.load_run(tab2.session_state.run_ids[-1]).set_id == b.id


def test_model_panel_says_when_transformers_changed_the_vision_attention(tiny_checkpoint, monkeypatch):
    from ui import widgets
    from workbench.rerank.qwen_vl import vision_attention as va

    at, _store, _info = _rerank_page(tiny_checkpoint)
    assert not [w for w in at.warning if "vision attention" in w.value]      # the locked code: nothing to say
    monkeypatch.setattr(va, "KNOWN_FORWARDS", {})
    widgets._vision_attention_check.clear()
    try:
        at.run()
        warned = [w.value for w in ok(at).warning if "vision attention" in w.value]
        assert len(warned) == 1 and "slower path" in warned[0] and "./run_workbench.sh setup" in warned[0]
    finally:
        widgets._vision_attention_check.clear()


# issue 23 --------------------------------------------------------------------------------------
def _long_docs(n: int, chars: int):
    from workbench.model import Document

    zh = "报销流程发票酒店差旅审批部门财务系统提交签字行程单海外出差标准住宿餐饮交通费用预算合同"
    return [Document(id=f"d{i:03d}", text="".join(zh[(i * 7 + j * 13) % len(zh)] + ("，" if j % 9 == 0 else "")
                                                  for j in range(chars))) for i in range(n)]


def test_the_rerank_form_comes_back_from_the_url_and_from_leaving_the_page():
    """Template, instruction, suffix, backend, model path and prompt format: kept when leaving the page,
    and read back from the URL by a fresh tab (a reload). (AppTest does not see what the script writes
    into the URL; tests/test_browser_rerank_form.py checks the address bar in a real browser.)"""
    seed_samples(Store())
    at = app()
    ok(at.switch_page("pages/rerank_page.py").run())
    at.selectbox(key="rr_template").set_value("QA").run()
    at.text_area(key="rr_instruction_QA").set_value("Answer travel questions").run()
    at.toggle(key="rr_precise").set_value(True).run()
    at.radio(key="rr_backend").set_value("qwen-vl").run()
    at.text_input(key="rr_model").set_value("/models/lychee-walkthrough").run()
    at.selectbox(key="rr_format").set_value("lychee-v1").run()
    ok(at.switch_page("pages/home_page.py").run())
    ok(at.switch_page("pages/rerank_page.py").run())
    for tab in (at, _reloaded({"tpl": "QA", "instr": "Answer travel questions", "precise": "1", "backend": "qwen-vl",
                               "model": "/models/lychee-walkthrough", "fmt": "lychee-v1"})):
        assert tab.selectbox(key="rr_template").value == "QA"
        assert tab.text_area(key="rr_instruction_QA").value == "Answer travel questions"
        assert tab.toggle(key="rr_precise").value is True
        assert tab.radio(key="rr_backend").value == "qwen-vl"
        assert tab.text_input(key="rr_model").value == "/models/lychee-walkthrough"
        assert tab.selectbox(key="rr_format").value == "lychee-v1"
    remote = _reloaded({"backend": "remote", "server": "http://10.0.0.5:8000/v1"})
    assert remote.text_input(key="rr_url").value == "http://10.0.0.5:8000/v1"
    odd = _reloaded({"backend": "gpt", "tpl": "nope", "fmt": "x"})       # a hand-edited URL: ignored
    assert odd.selectbox(key="rr_template").value == "e-commerce" and odd.radio(key="rr_backend").value == "lexical"


def _reloaded(params: dict):
    tab = app()
    tab.query_params.update(**params)
    return ok(tab.switch_page("pages/rerank_page.py").run())


def test_bm25_in_a_child_process_reports_progress_by_document_and_cancel_stops_within_2_s():
    from workbench import jobs
    from workbench.model import CandidateSet, Instruction, Query

    store = Store()
    session = store.create_session("long")
    set_id = store.save_candidate_set(session.id, CandidateSet(Query("q", "出差报销"), _long_docs(40, 20_000)))
    reg = jobs.JobRegistry()
    job = reg.start_process(("db", session.id), "rerank", "bm25", jobs.rerank_set_work,
                            (str(store.path), set_id, Instruction("x", "QA"), "lexical", {}, ""), finish=lambda r: r,
                            settle=lambda j: None)
    deadline = time.time() + 90
    while job.done < 3:                                # moves document by document, not at the end
        assert time.time() < deadline and job.running, (job.status, job.error, job.done)
        time.sleep(0.05)
    assert 0 < job.done < 40 and job.total == 40
    pressed = time.time()
    job.request_cancel()
    assert job.cancelling
    assert job.wait(10)
    assert time.time() - pressed < 2.5, f"stopped {time.time() - pressed:.1f} s after Cancel"
    assert job.status == jobs.CANCELLED
    assert store.load_run(job.run_ids[-1]).status == "cancelled"
    done = reg.start_process(("db", session.id), "rerank", "bm25", jobs.rerank_set_work,
                             (str(store.path), set_id, Instruction("x", "QA"), "lexical", {}, "all"),
                             finish=lambda r: r)
    assert done.wait(180) and done.status == jobs.DONE, done.error
    assert done.result.status == "done" and len(done.result.scores) == 40 and done.done == 40


def test_a_child_process_error_reaches_the_page_with_its_fix():
    from workbench import jobs
    from workbench.errors import WorkbenchError
    from workbench.model import Instruction

    job = jobs.JobRegistry().start_process("k", "rerank", "x", jobs.rerank_set_work,
                                           (str(Store().path), 987654, Instruction("x"), "lexical", {}, ""))
    assert job.wait(60) and job.status == jobs.FAILED
    assert isinstance(job.error, WorkbenchError) and job.error.fix


def test_time_left_follows_the_pace():
    from workbench.jobs import Job

    job = Job(key="k", kind="rerank", label="x")
    job.progress(0, 100)
    assert job.time_left is None                      # nothing done yet: no pace
    job.progress(10, 100)
    job.rate_since = (time.time() - 10, 10)           # 10 documents in 10 s since counting began
    job.progress(20, 100)
    assert 70 <= job.time_left <= 90
    job.progress(15, 100)                             # never backwards
    assert job.done == 20


def test_a_server_that_never_answers_is_reported_in_seconds_in_words():
    import socket
    import threading as th

    from workbench.errors import WorkbenchError
    from workbench.i18n import error_text
    from workbench.rerank.remote import probe

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held = []
    th.Thread(target=lambda: held.extend(sock.accept() for _ in range(8)), daemon=True).start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    t0 = time.time()
    with pytest.raises(WorkbenchError) as err:
        probe(url, timeout=1.0)
    assert time.time() - t0 < 5
    for lang in ("en", "zh"):
        message, fix = error_text(err.value, lang=lang, surface="app")
        assert "ReadTimeout" not in message + fix and "Timeout" not in message + fix and url in message
        assert ("within 1 s" if lang == "en" else "1 秒内") in message
        assert ("Test connection" if lang == "en" else "测试连接") in fix
    assert err.value.code == "remote.no_answer" and "within 1 s" in str(err.value)
    sock.close()


def test_a_finished_job_message_belongs_to_the_tab_that_saw_it():
    """Issue 23 (10): a new tab showed an OCR summary from 40 minutes earlier and a fresh Rerank
    page "cancelled": an outcome is shown once, by the tab that started or watched the job."""
    from workbench import jobs
    from workbench.config import db_path

    seed_samples(Store())
    store = Store()
    info = store.list_candidate_sets()[0]
    job = jobs.registry().start((str(db_path()), info.session_id), "rerank", "old", lambda j: j.request_cancel())
    assert job.wait(10) and job.status == jobs.CANCELLED
    fresh = app()                                      # a new tab, after the job ended: not its message
    fresh.session_state["session_id"], fresh.session_state["set_id"] = info.session_id, info.id
    ok(fresh.switch_page("pages/rerank_page.py").run())
    assert not [w for w in fresh.warning if "was cancelled" in w.value]
    ok(fresh.run())
    assert not [w for w in fresh.warning if "was cancelled" in w.value]
    starter = app()                                    # the tab that started it: told once
    starter.session_state["session_id"], starter.session_state["set_id"] = info.session_id, info.id
    starter.session_state["started_jobs"] = [job.id]
    ok(starter.switch_page("pages/rerank_page.py").run())
    assert [w for w in starter.warning if "was cancelled" in w.value]
    ok(starter.run())
    assert not [w for w in starter.warning if "was cancelled" in w.value]


def test_a_cancelled_run_keeps_the_truncation_warnings_of_its_scored_documents(tiny_checkpoint):
    """Issue 23 (3): after Cancel the warnings of the documents scored so far were lost."""
    import threading as th

    from workbench import service
    from workbench.model import CandidateSet, Document, Query
    from workbench.rerank import registry

    store = Store()
    session = store.create_session("truncated")
    docs = [Document(id=f"long{i}", text="breathable mesh running shoes, red. " * 200) for i in range(12)]
    set_id = store.save_candidate_set(session.id, CandidateSet(Query("q", "red running shoes"), docs))
    rr = registry.get_reranker("qwen-vl", model_path=tiny_checkpoint, max_length=160, batch_size=2)
    cancel = th.Event()

    def progress(done, total):
        if done >= 4:
            cancel.set()

    run = service.rerank_set(store, set_id, "find shoes", rr, progress=progress, cancel=cancel)
    assert run.status == "cancelled" and 4 <= len(run.scores) < 12
    truncated = {d.id for d in docs if any(f"'{d.id}'" in w and "truncated" in w for w in run.warnings)}
    assert truncated and truncated <= {s.doc_id for s in run.scores}
