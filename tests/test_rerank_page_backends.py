"""Rerank page: the prompt-format option, the "Prompt sent to the model" expander, and a
serving-engine URL as the backend ("Test connection", then a run) against a real
`workbench serve` process on the tiny checkpoint. AppTest, no mocks."""

from __future__ import annotations

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
    from workbench.rerank import vision_attention as va

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
