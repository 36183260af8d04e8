"""The store on a real PostgreSQL server (a throwaway cluster, tests/pg.py): what the shared store
tests cannot show from SQLite's side. Schema types, the one-writer lock and its timeout, recovery
of a run whose worker died (this host's pid, or another machine's stale heartbeat), a foreign
database left untouched, connection errors without the password, images as BYTEA, `db init/info`
naming the server, and `workbench db copy` SQLite -> PostgreSQL -> SQLite with identical exports."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import inspect, text

from tests.helpers import CSV, random_image
from workbench import config, service
from workbench.cli import main
from workbench.errors import StoreError
from workbench.model import CandidateSet, Document, Query
from workbench.rerank import get_reranker
from workbench.store import Store
from workbench.store.engine import qmark_to_format

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def pg(pg_url, monkeypatch):
    """WORKBENCH_DB is a fresh PostgreSQL database; returns its URL."""
    monkeypatch.setenv("WORKBENCH_DB", pg_url)
    return pg_url


def _set(n: int = 4, qid: str = "q") -> CandidateSet:
    return CandidateSet(query=Query(id=qid, text="red shoes"),
                        documents=[Document(id=f"d{i}", text=f"red shoes {'red ' * i}") for i in range(n)])


# ------------------------------------------------------------------ settings and schema
def test_a_server_url_is_a_server_not_a_folder(pg, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert config.db_target() == config.server_url(pg) and config.db_target().startswith("postgresql+psycopg://")
    assert main(["db", "init"]) == 0
    out = capsys.readouterr().out
    assert "postgresql://postgres@127.0.0.1" in out and "(created)" in out
    assert not (tmp_path / "postgresql:").exists() and list(tmp_path.iterdir()) == []
    assert main(["db", "init"]) == 0 and "(up to date)" in capsys.readouterr().out
    assert main(["db", "info"]) == 0
    info = capsys.readouterr().out
    assert "(PostgreSQL server)" in info and "migration m001_core applied" in info and "sessions: 0" in info
    # --db names the database for one command, over WORKBENCH_DB
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "other.db"))
    assert main(["--db", pg, "sessions"]) == 0
    assert not (tmp_path / "other.db").exists()
    assert main(["sessions"]) == 0 and (tmp_path / "other.db").exists()


def test_urls_are_shown_without_the_password(monkeypatch):
    url = "postgresql://ann:s3cret@db.example.org:5433/team"
    assert config.redact_url(url) == "postgresql://ann:***@db.example.org:5433/team"
    monkeypatch.setenv("WORKBENCH_DB", url)
    assert "s3cret" not in config.db_label() and config.db_short_label() == "team @ db.example.org"
    with pytest.raises(StoreError) as err:
        config.db_path()                       # no file to give: said in words
    assert err.value.code == "store.db_is_server" and "s3cret" not in str(err.value)
    for alias in ("postgres://a@h/d", "postgresql+psycopg://a@h/d", "POSTGRESQL://a@h/d"):
        assert config.is_server_url(alias)
    assert not config.is_server_url("data/postgresql.db")


def test_the_schema_has_server_types(pg):
    with Store() as store:
        assert store.is_server and store.migrations_applied[0] == "m001_core"
        with store._read() as conn:
            cols = {(r.table_name, r.column_name): (r.data_type, r.collation_name, r.is_identity) for r in conn.execute(text(
                "SELECT table_name, column_name, data_type, collation_name, is_identity "
                "FROM information_schema.columns WHERE table_schema = current_schema()"))}
        assert cols[("sessions", "id")][::2] == ("bigint", "YES")            # INTEGER PRIMARY KEY -> identity
        assert cols[("images", "bytes")][0] == "bytea"
        assert cols[("documents", "metadata")][0] == "json"
        assert cols[("documents", "first_stage_score")][0] == "double precision"
        assert cols[("documents", "doc_id")][:2] == ("text", "C")            # byte order, as SQLite's BINARY
        # the Core tables used for queries agree with what the migrations built
        from workbench.store import schema

        insp = inspect(store.engine)
        for name, table in schema.metadata.tables.items():
            assert [c["name"] for c in insp.get_columns(name)] == [c.name for c in table.columns], name


def test_qmark_statements_are_rewritten_for_psycopg():
    assert qmark_to_format("SELECT ? WHERE a = '?' AND b LIKE '5%' AND c = ?") == \
        "SELECT %s WHERE a = '?' AND b LIKE '5%%' AND c = %s"


def test_sort_order_and_ties_match_sqlite(pg, tmp_path):
    """Text compares byte by byte on both engines: the same ids in the same order."""
    ids = ["b", "B", "a", "ä", "Z", "10", "9", "_x", "文", "é"]
    orders = []
    for target in (tmp_path / "o.db", pg):
        with Store(target) as store:
            sess = store.create_session("order")
            sid = store.save_candidate_set(sess.id, CandidateSet(Query("q", "x"), [Document(i, "t") for i in ids]))
            with store._read() as conn:
                orders.append(list(conn.execute(text("SELECT doc_id FROM documents WHERE set_id = :s ORDER BY doc_id"),
                                                {"s": sid}).scalars()))
    assert orders[0] == orders[1] == sorted(ids, key=lambda s: s.encode())


# ------------------------------------------------------------------ transactions
def test_writers_take_turns_and_a_stuck_writer_is_reported_in_words(pg):
    with Store() as store, Store(pg, timeout=1) as impatient:
        sess = store.create_session("w")
        holding, release = threading.Event(), threading.Event()
        order: list[str] = []

        def first():
            with store.transaction():
                store.save_candidate_set(sess.id, _set(3, "q1"))
                holding.set()
                release.wait(10)
                order.append("first commits")

        worker = threading.Thread(target=first)
        worker.start()
        assert holding.wait(10)
        # readers never wait for a writer, and do not see its uncommitted rows
        assert impatient.list_candidate_sets(sess.id) == []
        with pytest.raises(StoreError) as err:       # a writer waits lock_timeout (1 s here), then says so
            impatient.create_session("second")
        assert err.value.code == "store.server_busy" and "127.0.0.1" in err.value.message
        threading.Timer(0.5, release.set).start()
        started = time.monotonic()
        store2 = Store(pg)
        try:
            store2.create_session("third")               # waits for the first writer, then commits
            order.append("third commits")
        finally:
            store2.close()
        worker.join(10)
        assert order == ["first commits", "third commits"] and time.monotonic() - started >= 0.3
        assert [s.name for s in store.list_sessions()] == ["w", "third"]
        assert [s.query_id for s in store.list_candidate_sets(sess.id)] == ["q1"]


def test_a_failed_transaction_leaves_nothing_and_the_connection_usable(pg):
    with Store() as store:
        sess = store.create_session("t")
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.save_candidate_set(sess.id, _set(2, "q1"))
                raise RuntimeError("stop")
        assert store.list_candidate_sets(sess.id) == []
        with pytest.raises(StoreError):
            store.create_session("t")                   # unique name: an IntegrityError, in words
        assert store.create_session("u").name == "u"    # the pool's connections are still good


# ------------------------------------------------------------------ recovery after a dead worker
_OWNER = """
import sys, time
from tests.test_interrupted_runs import _cset_with_run
from workbench.store import Store
store = Store()
_s, run_id = _cset_with_run(store, "running")      # owned by this process, on this host
print(run_id, flush=True)
time.sleep(120)
"""


def test_a_killed_worker_on_this_host_is_settled_by_pid(pg):
    env = config.child_env(PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", _OWNER], env=env, cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        run_id = int(proc.stdout.readline().strip() or 0)
        assert run_id, proc.stderr.read() if proc.poll() is not None else "no run id"
        with Store() as store:                          # its owner is alive: left running
            assert store.interrupted_runs == [] and store.load_run(run_id).status == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        with Store() as store:
            assert store.interrupted_runs == [run_id]
            run = store.load_run(run_id)
            assert run.status == "interrupted" and sorted(s.rank for s in run.scores) == [1, 2, 3]
    finally:
        proc.kill()
        proc.wait()


def test_another_machines_worker_is_judged_by_heartbeat_age(pg, monkeypatch):
    from tests.test_interrupted_runs import _cset_with_run
    from workbench.store.recovery import now_text

    monkeypatch.setenv("WORKBENCH_RUN_STALE_S", "60")
    with Store() as store:
        _s, stale = _cset_with_run(store, "running", owner_pid=os.getpid(), owner_host="annotator-laptop-2",
                                   heartbeat_at="2020-01-01T00:00:00+00:00")
        _s2, fresh = _cset_with_run(store, "running", owner_pid=os.getpid(), owner_host="annotator-laptop-2",
                                    heartbeat_at=now_text())
        # a machine with this one's host name (two laptops called 'localhost'), whose pid does not
        # exist here: told apart by its machine id, so judged by its fresh heartbeat, not by our pids
        import socket

        _s3, twin = _cset_with_run(store, "running", owner_pid=2**22 + 7, heartbeat_at=now_text(),
                                   owner_host=f"{socket.gethostname()}/00000000")
    with Store() as store:       # the same pid number on another host means nothing here
        assert store.interrupted_runs == [stale]
        assert store.load_run(stale).status == "interrupted"
        assert store.load_run(fresh).status == "running" and store.load_run(twin).status == "running"
        with pytest.raises(StoreError, match="being scored"):
            store.delete_run(fresh)


# ------------------------------------------------------------------ guard and errors
def test_a_database_of_another_application_is_refused_untouched(pg_cluster, pg_url):
    import psycopg

    dsn = pg_url.replace("postgresql://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute("CREATE TABLE customers (id int primary key, name text)")
        con.execute("INSERT INTO customers VALUES (1, 'Ann')")
    with pytest.raises(StoreError) as err:
        Store(pg_url)
    assert err.value.code == "store.foreign_server_db" and "customers" in err.value.message
    with psycopg.connect(dsn) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'public'")]
    assert tables == ["customers"]


def test_connection_problems_say_what_to_do_without_the_password(pg_cluster):
    port = pg_cluster.port
    with pytest.raises(StoreError) as err:
        Store(f"postgresql://postgres:hunter2@127.0.0.1:{port}/no_such_db", timeout=3)
    assert err.value.code == "store.server_no_database" and "createdb" in err.value.fix
    assert "hunter2" not in str(err.value)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(StoreError) as err:
        Store(f"postgresql://postgres:hunter2@127.0.0.1:{closed}/x", timeout=2)
    assert err.value.code == "store.server_unreachable" and "pg_isready" in err.value.fix
    assert "hunter2" not in str(err.value) and f"127.0.0.1:{closed}" in err.value.message


# ------------------------------------------------------------------ images and the cache
def test_images_live_in_the_database_as_bytes(pg, tmp_path):
    img = random_image(tmp_path / "p.png", 20, 12, seed=3)
    cset = CandidateSet(Query("q", "x", image=img), [Document("a", "t", image=img), Document("b", "u")])
    with Store() as store:
        sess = store.create_session("img")
        set_id = store.save_candidate_set(sess.id, cset)
        with store._read() as conn:
            stored = conn.execute(text("SELECT bytes, width, height, format FROM images")).one()
        assert bytes(stored.bytes) == Path(img).read_bytes() and (stored.width, stored.height) == (20, 12)
        loaded = store.load_candidate_set(set_id)
        assert Path(loaded.documents[0].image).read_bytes() == Path(img).read_bytes()
        assert loaded.query.image_hash == loaded.documents[0].image_hash


# ------------------------------------------------------------------ db copy
def _fill(tmp_path: Path) -> None:
    """A database with every kind of row: sessions, sets (EN + ZH), images, labels, notes, a
    finished run, the score cache."""
    src = tmp_path / "c.csv"
    random_image(tmp_path / "i.png", 16, 16, seed=1)
    src.write_text(CSV.replace("Stainless steel bottle,,0", "Stainless steel bottle,i.png,0"), encoding="utf-8")
    assert main(["import", str(src), "--session", "copy"]) == 0
    with Store() as store:
        sets = store.list_candidate_sets("copy")
        store.set_note(sets[0].id, "d3", "ask the team")
        for s in sets:
            run = service.rerank_set(store, s.id, "find it", get_reranker("lexical"))
            assert run.status == "done"
        from workbench.model import CacheKey

        store.put_many({CacheKey("m", "i", "qh", f"dh{i}", '{"p": 1}'): i / 10 for i in range(3)})


def _dump(target) -> dict[str, list[tuple]]:
    with Store(target) as store, store._read() as conn:
        names = sorted(n for n in inspect(conn).get_table_names() if n != "schema_migrations")
        out = {}
        for n in names:
            rows = conn.execute(text(f'SELECT * FROM "{n}"')).all()
            out[n] = sorted((tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows),
                            key=repr)
        return out


def _exports(target) -> tuple[bytes, ...]:
    with Store(target) as store:
        long, _ = service.export_runs(store, session="copy")
        wide, _ = service.export_runs(store, session="copy", fmt="wide")
        return long, wide, service.export_qrels(store, "copy")


def test_db_copy_sqlite_to_postgresql_and_back_gives_identical_exports(tmp_path, pg_url, capsys, monkeypatch):
    _fill(tmp_path)
    first = tmp_path / "workbench.db"
    assert main(["db", "copy", str(first), pg_url]) == 0
    out = capsys.readouterr().out
    assert "row counts match in all" in out and "documents 5" in out and "images 1" in out
    back = tmp_path / "back.db"
    assert main(["db", "copy", pg_url, str(back)]) == 0
    assert "row counts match" in capsys.readouterr().out
    assert _exports(first) == _exports(pg_url) == _exports(back)
    assert _dump(first) == _dump(back)
    long = pd.read_csv(io.BytesIO(_exports(back)[0]))
    assert len(long) == 5 and {"q1", "q2"} <= set(long["query_id"].astype(str))
    # new rows on the server get fresh ids after the copied ones
    with Store(pg_url) as store:
        assert store.create_session("after").id > max(s.id for s in store.list_sessions() if s.name != "after")
    # a destination with data is refused, with the way out; --replace copies over it
    assert main(["db", "copy", str(first), pg_url]) == 2
    err = capsys.readouterr().err
    assert "already holds data" in err and "--replace" in err and "sessions: 2" in err
    assert main(["db", "copy", str(first), pg_url, "--replace"]) == 0
    assert "replaced what the destination held" in capsys.readouterr().out
    assert _exports(pg_url) == _exports(first)
    # a missing source and the same database twice are refused in words
    assert main(["db", "copy", str(tmp_path / "nope.db"), str(tmp_path / "x.db")]) == 2
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "x.db").exists()
    assert main(["db", "copy", str(first), str(first)]) == 2
    assert "same database" in capsys.readouterr().err


# ------------------------------------------------------------------ the app
def test_the_app_works_on_the_server_and_names_it_without_the_password(pg, tmp_path):
    from streamlit.testing.v1 import AppTest

    with Store() as store:
        sess = store.create_session("team session")
        store.save_candidate_set(sess.id, _set(3, "q-team"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [c.value for c in at.sidebar.caption]
    name = pg.rsplit("/", 1)[1]
    shown = [c.replace("\\", "").replace("\u2060", "") for c in captions]     # Markdown-escaped
    assert any(f"Database: {name} @ 127.0.0.1" in c for c in shown), captions
    assert any(str(o).startswith("team session") for box in at.sidebar.selectbox for o in box.options)
    assert not (REPO / "postgresql:").exists()
