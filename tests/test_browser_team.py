"""Team mode in a real browser against a real PostgreSQL (issue 22): two annotators, each in their
own browser context (?annotator=ann, ?annotator=bob), label the same query at the same time; both
sets of grades are kept, a third annotator sees them hidden (blind mode), κ is shown on the Label
page, and an adjudication changes the adjudicated metric that Compare shows (read off its "how the
ranking of runs changes with whose labels" table, and equal to service.compare_runs), while Compare
says it rests on the adjudicated labels and shows κ.

One app server, one database (tests/pg.py), Debian's chromium. Screenshots go to test-artifacts/;
under WORKBENCH_SCREENSHOTS=1 (scripts/screenshots) the Label page's team views, in English and
中文, also go to docs/screenshots/team/.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.browser import ARTIFACTS, SHOTS, TIMEOUT_MS, VIEWPORT, idle, require_chromium, start_streamlit, stop_streamlit
from workbench.model import CandidateSet, Document, Query, Result, Run

pytestmark = pytest.mark.browser

DOCS = "abcdef"
ANN = dict(zip(DOCS, (2, 0, 1, 0, 2, 1)))
BOB = dict(zip(DOCS, (0, 0, 1, 2, 2, 1)))     # differs on a and d; kappa 0.50 (hand: p_o 2/3, p_e 1/3)
BUTTON = {0: re.compile(r"^Not relevant"), 1: re.compile(r"^Partly"), 2: re.compile(r"^Relevant")}   # + the key hint


def _seed(store):
    info = store.create_session("team")
    sid = store.save_candidate_set(info.id, CandidateSet(Query("q1", "red running shoes"),
                                                         [Document(d, f"document {d}: red shoes, size {i + 38}")
                                                          for i, d in enumerate(DOCS)]))
    runs = [store.create_run(sid, Run(ins, "lexical", "bm25", name=name, status="done",
                                      scores=[Result(d, 1.0 / (i + 1), i + 1) for i, d in enumerate(order)]))
            for name, ins, order in (("web", "i", "abcdef"), ("qa", "j", "fedcba"))]
    return info.id, sid, runs


def _team_shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"team-{name}.png"), full_page=True)
    if os.environ.get("WORKBENCH_SCREENSHOTS", "") == "1":
        (SHOTS / "team").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "team" / f"{name}.png"), full_page=True)


def _grade(page, grade: int, doc: str) -> None:
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("button", name=BUTTON[grade]).click()
    main.get_by_text(f"Saved: {doc} = {grade}").wait_for()
    idle(page, 100)


def _view(page, name: str) -> None:
    page.locator('[data-testid="stMain"]').get_by_role("radio", name=name, exact=True).first.click()
    idle(page, 200)


def _by_source_table(page, url, session, runs) -> str:
    """Compare's "how the ranking of runs changes with whose labels" table, as text."""
    page.goto(f"{url}/compare?session={session}&runs={runs[0]},{runs[1]}&annotator=bob")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("How the ranking of runs changes with whose labels").first.click()
    table = main.locator('[data-testid="stTable"]').first
    table.wait_for()
    return table.inner_text()


def test_two_annotators_label_one_query_at_once_on_postgresql(browser, tmp_path, pg_url, monkeypatch):
    require_chromium()
    monkeypatch.setenv("WORKBENCH_DB", pg_url)
    from workbench import service
    from workbench.compare.annotators import cohen_kappa
    from workbench.store import Store

    store = Store()
    session, sid, runs = _seed(store)
    env = dict(os.environ, WORKBENCH_DB=pg_url, WORKBENCH_HOME=str(tmp_path / "home"))
    proc, log, url, _port = start_streamlit(tmp_path, env)
    contexts = []
    try:
        def open_as(who: str, lang: str = "en"):
            ctx = browser.new_context(viewport=VIEWPORT)
            contexts.append(ctx)
            page = ctx.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            if len(contexts) == 1:      # a fresh server learns st.navigation's pages on its first run
                page.goto(url)
                page.get_by_text("Lychee workbench").first.wait_for()
                idle(page)
            page.goto(f"{url}/label?session={session}&set={sid}&annotator={who}&lang={lang}")
            page.get_by_role("heading", name="Label" if lang == "en" else "标注").first.wait_for()
            idle(page)
            return page

        ann, bob = open_as("ann"), open_as("bob")
        assert "annotator=ann" in ann.url and "annotator=bob" in bob.url
        for doc in DOCS:                               # interleaved: both on the same query at once
            _grade(ann, ANN[doc], doc)
            _grade(bob, BOB[doc], doc)
        # both sets of grades kept, each the annotator's own (nobody overwrote anybody)
        assert {d: g.grade for d, g in store.get_labels(sid, annotator="ann").items()} == ANN
        assert {d: g.grade for d, g in store.get_labels(sid, annotator="bob").items()} == BOB
        assert store.get_labels(sid) == {}
        main_b = bob.locator('[data-testid="stMain"]')
        main_b.get_by_text("Others graded 6 of 6 documents").wait_for()

        # a third annotator sees who graded, not their grades (blind mode)
        carol = open_as("carol")
        main_c = carol.locator('[data-testid="stMain"]')
        main_c.get_by_text("Also graded by ann, bob (2); their grades stay hidden").first.wait_for()
        assert "ann: 2" not in main_c.inner_text()
        _team_shot(carol, "blind-en")

        # kappa on the Label page (checked against the hand computation)
        kappa = cohen_kappa([ANN[d] for d in DOCS], [BOB[d] for d in DOCS])
        assert round(kappa, 2) == 0.5
        _view(ann, "Agreement")
        ann.locator('[data-testid="stMain"]').get_by_text(f"ann–bob κ {kappa:.2f}").first.wait_for()
        _team_shot(ann, "agreement-en")

        # adjudication: ann adjudicates the first disagreement (a: 2 vs 0, the majority's tie went to 0)
        before = service.compare_runs(store, runs, k=10, labels_source="adjudicated")
        metric0 = before.metrics.table.columns[0]
        shown_before = _by_source_table(bob, url, session, runs)
        assert f"{before.metrics.table[metric0].iloc[0]:.3f}" in shown_before, shown_before
        _view(ann, "Disagreements")
        main_a = ann.locator('[data-testid="stMain"]')
        main_a.get_by_text("2 documents with different grades").wait_for()
        main_a.get_by_role("button", name="Final 2 (relevant)").click()
        main_a.get_by_text("Final label 2, set by ann").wait_for()
        _team_shot(ann, "disagreements-en")
        assert store.get_adjudications(sid)["a"] == (2, "ann")
        assert store.get_labels(sid, annotator="bob")["a"].grade == 0      # bob's own grade stays
        after = service.compare_runs(store, runs, k=10, labels_source="adjudicated")
        metric = after.metrics.table.columns[0]
        old, new = before.metrics.table[metric].iloc[0], after.metrics.table[metric].iloc[0]
        assert round(old, 3) != round(new, 3)

        if os.environ.get("WORKBENCH_SCREENSHOTS", "") == "1":      # the same views in 中文 for the docs
            zh = open_as("carol", "zh")
            _team_shot(zh, "blind-zh")
            _view(zh, "一致性")
            _team_shot(zh, "agreement-zh")
            _view(zh, "分歧")
            _team_shot(zh, "disagreements-zh")

        # Compare shows the adjudicated metric, and says whose labels it rests on
        bob.goto(f"{url}/compare?session={session}&runs={runs[0]},{runs[1]}&annotator=bob")
        main_b = bob.locator('[data-testid="stMain"]')
        main_b.get_by_text("Metrics use: adjudicated labels").wait_for()
        main_b.get_by_text("ann–bob κ 0.50").wait_for()
        idle(bob)
        _team_shot(bob, "compare-en")
        # the adjudication changed the metric Compare shows (its table of runs by labels source)
        shown_after = _by_source_table(bob, url, session, runs)
        assert f"{new:.3f}" in shown_after and shown_after != shown_before, (shown_before, shown_after)

    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, ctx in enumerate(contexts):         # what each browser showed when it failed
            for page in ctx.pages:
                page.screenshot(path=str(ARTIFACTS / f"team-failed-{i}.png"), full_page=True)
        raise
    finally:
        for ctx in contexts:
            ctx.close()
        stop_streamlit(proc, log)
        store.close()
