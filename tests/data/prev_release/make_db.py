"""Build runs_m008.db: a small database made by the release before runs became
"one configuration over many queries" (schema up to migration m008, git 7bf7cf7).

Run it with that release's code, not this one's:

    mkdir /tmp/wb-prev && git archive 7bf7cf7 | tar -x -C /tmp/wb-prev
    PYTHONPATH=/tmp/wb-prev .venv/bin/python tests/data/prev_release/make_db.py OUT.db

What it holds (tests/test_run_migration.py relies on it): session "bench" with three
candidate sets q1..q3 (text only), per-set BM25 (lexical backend) runs:
  * "alpha" (instruction A) on q1, q2, q3, and a second "alpha" on q1 (a re-run);
  * unnamed runs of instruction B on q1, q2, q3 (display name "lexical: <B>");
  * "clash" with instruction C on q1 and "clash" with instruction D on q2 (one name, two configs);
  * a cancelled partial run of instruction E on q3 (2 of 4 documents scored);
  * an imported TREC run "first-stage" on q1..q3;
run notes on alpha (q1 and q2: two different notes) and clash (q2); labels on q1 and q2;
a document note; and a second session "other" with one set and one "alpha" run.
"""

import sys
from pathlib import Path

from workbench import service
from workbench.formats import trec
from workbench.model import CandidateSet, Document, Query, Run
from workbench.rerank.lexical import LexicalReranker
from workbench.store.api import Store

A = "Find documents about solar panels"
B = "Which documents explain battery storage"
C = "Rank by relevance to wind power"
D = "Rank by relevance to hydro power"
E = "Anything about geothermal heat"

DOCS = {
    "q1": ("solar panel efficiency", ["solar panels convert sunlight", "battery storage for homes",
                                      "wind turbines offshore", "solar and battery systems"]),
    "q2": ("home battery storage", ["lithium battery storage cost", "solar panels on roofs",
                                    "hydro power dams", "battery recycling"]),
    "q3": ("wind and hydro power", ["wind farm output", "hydro power plants", "geothermal heat pumps",
                                    "solar farm output"]),
}


def main(out: str) -> None:
    path = Path(out)
    if path.exists():
        path.unlink()
    store = Store(path)
    sess = store.create_session("bench", "previous-release runs")
    set_ids = {}
    for qid, (qtext, docs) in DOCS.items():
        cset = CandidateSet(Query(qid, qtext), [Document(f"{qid}-d{i}", t) for i, t in enumerate(docs)])
        set_ids[qid] = store.save_candidate_set(sess.id, cset)
    bm25 = LexicalReranker()
    for qid in DOCS:
        service.rerank_set(store, set_ids[qid], A, bm25, name="alpha")
    service.rerank_set(store, set_ids["q1"], A, bm25, name="alpha")          # a re-run on q1
    for qid in DOCS:
        service.rerank_set(store, set_ids[qid], B, bm25)
    service.rerank_set(store, set_ids["q1"], C, bm25, name="clash")
    service.rerank_set(store, set_ids["q2"], D, bm25, name="clash")
    # a cancelled partial run: 2 of q3's 4 documents scored (as rerank_set leaves one stopped mid-way)
    full = service.rerank_set(store, set_ids["q3"], E, bm25)
    store.delete_run(full.id)
    part = Run(instruction=E, backend=bm25.backend, model_id=bm25.model_id, params=dict(bm25.params()),
               status="running")
    part_id = store.create_run(set_ids["q3"], part)
    store.add_scores(part_id, [s for s in full.scores if s.index in (1, 3)])
    service.stop_run(store, part_id, timings={"total_s": 0.01})
    trec_text = "".join(f"{qid} Q0 {qid}-d{i} {i + 1} {10 - i}.5 first-stage\n"
                        for qid in DOCS for i in range(4))
    service.import_runs(store, sess.id, trec.read_run(trec_text.encode()))
    runs = store.list_runs(session_id=sess.id)
    alpha = [r for r in runs if r.name == "alpha"]
    service.set_run_note(store, alpha[0].id, "alpha note on q1")
    service.set_run_note(store, alpha[1].id, "alpha note on q2")
    clash = [r for r in runs if r.name == "clash"]
    service.set_run_note(store, clash[1].id, "hydro clash")
    store.set_label(set_ids["q1"], "q1-d0", 2)
    store.set_label(set_ids["q1"], "q1-d1", 0, note="off topic")
    store.set_label(set_ids["q2"], "q2-d0", 2)
    store.set_label(set_ids["q2"], "q2-d3", 1)
    store.set_note(set_ids["q3"], "q3-d2", "check this one")
    other = store.create_session("other")
    oset = store.save_candidate_set(other.id, CandidateSet(Query("q1", "solar"), [
        Document("x1", "solar roof"), Document("x2", "wind")]))
    service.rerank_set(store, oset, A, bm25, name="alpha")
    store.close()
    for r in Store(path).list_runs():
        print(r.id, r.set_id, r.query_id, r.name, r.status, len(Store(path).load_run(r.id).scores), r.note)


if __name__ == "__main__":
    main(sys.argv[1])
