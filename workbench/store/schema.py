"""SQLAlchemy Core tables mirroring the schema the migrations build (used for queries).

The DDL lives in migrations.py; these objects are only used to build statements.
tests/test_store.py checks that both agree column for column.
"""

from __future__ import annotations

from sqlalchemy import (
                        JSON,
                        Column,
                        Float,
                        ForeignKey,
                        Integer,
                        LargeBinary,
                        MetaData,
                        Table,
                        Text,
)

metadata = MetaData()

sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", Text, nullable=False),
)

images = Table(
    "images", metadata,
    Column("sha256", Text, primary_key=True),
    Column("bytes", LargeBinary, nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("format", Text),
    Column("created_at", Text, nullable=False),
)

candidate_sets = Table(
    "candidate_sets", metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False, default=""),
    Column("source", Text),
    Column("created_at", Text, nullable=False),
    Column("fingerprint", Text),
)

queries = Table(
    "queries", metadata,
    Column("id", Integer, primary_key=True),
    Column("set_id", Integer, ForeignKey("candidate_sets.id", ondelete="CASCADE"), nullable=False),
    Column("query_id", Text, nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("image_hash", Text, ForeignKey("images.sha256")),
)

documents = Table(
    "documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("set_id", Integer, ForeignKey("candidate_sets.id", ondelete="CASCADE"), nullable=False),
    Column("doc_id", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("image_hash", Text, ForeignKey("images.sha256")),
    Column("ocr_text", Text),
    Column("description", Text),
    Column("metadata", JSON, nullable=False, default=dict),
    Column("first_stage_score", Float),
    Column("ocr_edited", Text),
)

runs = Table(
    # a run: one configuration over many queries of a session (TREC/ranx sense), m009
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),            # unique within the session
    Column("instruction", Text, nullable=False),
    Column("backend", Text, nullable=False),
    Column("model_id", Text, nullable=False),
    Column("params", JSON, nullable=False, default=dict),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", Text, nullable=False),
)

rankings = Table(
    # one query's ordered list inside a run (a candidate set scored by the run's configuration)
    "rankings", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("set_id", Integer, ForeignKey("candidate_sets.id", ondelete="CASCADE"), nullable=False),
    Column("query_id", Text),
    Column("status", Text, nullable=False, default="pending"),
    Column("started_at", Text),
    Column("finished_at", Text),
    Column("timings", JSON, nullable=False, default=dict),
    Column("cache_hits", Integer, nullable=False, default=0),
    Column("cache_misses", Integer, nullable=False, default=0),
    Column("owner_pid", Integer),
    Column("owner_host", Text),
    Column("heartbeat_at", Text),
)

scores = Table(
    "scores", metadata,
    Column("ranking_id", Integer, ForeignKey("rankings.id", ondelete="CASCADE"), primary_key=True),
    Column("doc_id", Text, primary_key=True),
    Column("score", Float, nullable=False),
    Column("rank", Integer),          # NULL while the ranking is being scored (m008)
    Column("position", Integer),
)

labels = Table(
    # one grade per (set, doc, annotator) (m010); '' is the default annotator, "(unnamed)"
    "labels", metadata,
    Column("set_id", Integer, primary_key=True),
    Column("doc_id", Text, primary_key=True),
    Column("annotator", Text, primary_key=True, default=""),
    Column("grade", Integer, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("updated_at", Text, nullable=False),
)

doc_notes = Table(
    # a note on a document the annotator has not graded (a graded one's note is labels.note)
    "doc_notes", metadata,
    Column("set_id", Integer, primary_key=True),
    Column("doc_id", Text, primary_key=True),
    Column("annotator", Text, primary_key=True, default=""),
    Column("note", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

annotators = Table(
    # who labels: 'person' or 'model' (a model's grades are suggestions); a name without a row
    # here is a person (m010)
    "annotators", metadata,
    Column("name", Text, primary_key=True),
    Column("kind", Text, nullable=False, default="person"),
    Column("created_at", Text, nullable=False),
)

label_history = Table(
    # append-only: every grade given or cleared (grade NULL), by whom, when, adjudication or not
    "label_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("set_id", Integer, nullable=False),
    Column("doc_id", Text, nullable=False),
    Column("annotator", Text, nullable=False),
    Column("grade", Integer),
    Column("adjudication", Integer, nullable=False, default=0),
    Column("changed_at", Text, nullable=False),
)

adjudications = Table(
    # the final label of a document, set by an adjudicator (its decisions stay in label_history)
    "adjudications", metadata,
    Column("set_id", Integer, primary_key=True),
    Column("doc_id", Text, primary_key=True),
    Column("grade", Integer, nullable=False),
    Column("adjudicator", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

score_cache = Table(
    "score_cache", metadata,
    Column("model_id", Text, nullable=False),
    Column("instruction", Text, nullable=False),
    Column("query_hash", Text, nullable=False),
    Column("doc_hash", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("created_at", Text, nullable=False),
)

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("name", Text, primary_key=True),
    Column("applied_at", Text, nullable=False),
)
