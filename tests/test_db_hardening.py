"""Databases and concurrency: foreign SQLite files are never touched, read-only
databases serve reads, a full disk says so and keeps each set all-or-nothing,
three concurrent imports of one file store it once, and every suggested command
quotes names for the shell."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import event

from workbench import service
from workbench.cli import main
from workbench.errors import StoreError, shell_quote
from workbench.model import CandidateSet, Document, Query
from workbench.store import Store
from workbench.store.engine import DiskFull
from tests.pg import sqlite_only

# every test runs on SQLite and on a throwaway PostgreSQL (tests/pg.py), except those marked
pytestmark = pytest.mark.usefixtures("db_backend")

REPO = Path(__file__).resolve().parent.parent


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DROP_CAPS = "cap_dac_override,cap_dac_read_search,cap_fowner,cap_linux_immutable"


def run_cli(*args: str, env: dict | None = None, honour_permissions: bool = False) -> subprocess.CompletedProcess:
    """`python -m workbench ARGS`. With honour_permissions as root: without the capabilities
    that let root ignore file permission bits (so a 0444 file really is read-only)."""
    full = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    cmd = [sys.executable, "-m", "workbench", *args]
    if honour_permissions and os.geteuid() == 0:
        cmd = ["capsh", f"--drop={DROP_CAPS}", "--", "-c", shlex.join(cmd)]
    return subprocess.run(cmd, env=full, text=True, capture_output=True, timeout=180)


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: sha(p) for p in sorted(folder.iterdir()) if p.is_file()}


def foreign_db(path: Path, *, wal: bool = False, clash: bool = False) -> Path:
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO customers (name) VALUES ('Ada'), ('Grace')")
    if clash:   # a table name the workbench also uses, with another meaning
        con.execute("CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER)")
        con.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)")
        con.execute("INSERT INTO schema_migrations VALUES ('20240101000000')")
    con.commit()
    con.close()
    return path


READ_COMMANDS = [["sessions"], ["db", "info"], ["export", "--session", "x", "--output", "-"],
                 ["compare", "--session", "x"]]


@sqlite_only("foreign SQLite files (test_postgres: a foreign server database)")
@pytest.mark.parametrize("kind", ["plain", "wal", "clashing tables"])
def test_foreign_sqlite_is_refused_and_left_byte_for_byte_untouched(tmp_path, kind):
    folder = tmp_path / "other-app"
    folder.mkdir()
    db = foreign_db(folder / "app.sqlite", wal=kind == "wal", clash=kind == "clashing tables")
    before, files_before = sha(db), folder_state(folder)
    env = {"WORKBENCH_DB": str(db)}
    src = tmp_path / "c.csv"
    src.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image\nq,t,,d,x,\n", encoding="utf-8")
    for args in READ_COMMANDS + [["import", str(src), "--session", "s"], ["db", "init"]]:
        res = run_cli(*args, env=env)
        assert res.returncode == 2, (args, res.stderr)
        assert "not a workbench database" in res.stderr and "left untouched" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr
        assert sha(db) == before, args
        assert folder_state(folder) == files_before, args      # no -wal/-shm/journal left behind
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == ("wal" if kind == "wal" else "delete")
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "runs" not in names and "score_cache" not in names
    con.close()


@sqlite_only("a file that is not SQLite")
def test_not_sqlite_at_all_is_refused_untouched(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    db = folder / "notes.csv"
    db.write_bytes(b"a,b\n1,2\n" * 100)
    before = folder_state(folder)
    with pytest.raises(StoreError, match="not a SQLite database at all"):
        Store(db)
    assert folder_state(folder) == before


@sqlite_only("file names in the fix")
def test_fix_it_for_foreign_file_is_shell_safe(tmp_path):
    folder = tmp_path / "$(touch pwned)"
    folder.mkdir()
    db = foreign_db(folder / "x.db")
    with pytest.raises(StoreError) as info:
        Store(db)
    command = str(info.value).split("e.g. ", 1)[1].strip().strip("`.")   # shown as `a command`
    assert shlex.split(command) == ["export", f"WORKBENCH_DB={folder / 'workbench.db'}"]
    out = subprocess.run(["bash", "-c", command + '; printf %s "$WORKBENCH_DB"'], cwd=tmp_path,
                         capture_output=True, text=True, timeout=30)
    assert out.stdout == str(folder / "workbench.db") and not (tmp_path / "pwned").exists()


# ------------------------------------------------------------------ read-only databases
def _make_readonly_db(root: Path) -> Path:
    root.mkdir(mode=0o755)
    db = root / "wb.db"
    with Store(db) as store:
        sess = store.create_session("shared")
        cset = CandidateSet(query=Query(id="q", text="red shoes"),
                            documents=[Document(id="d1", text="red shoes"), Document(id="d2", text="blue")])
        set_id = store.save_candidate_set(sess.id, cset)
        from workbench.model import Result, Run

        store.create_run(set_id, Run(instruction="i", backend="lexical", model_id="bm25", status="done",
                                     scores=[Result("d1", 0.9, 1, 0), Result("d2", 0.1, 2, 1)]))
    return db


@sqlite_only("file permissions")
@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_database_serves_read_commands(tmp_path, what):
    if os.geteuid() == 0 and not shutil.which("capsh"):
        pytest.skip("as root, needs capsh to drop the permission-override capabilities")
    db = _make_readonly_db(tmp_path / "data")
    db.chmod(0o444)
    if what == "folder":
        db.parent.chmod(0o555)
    try:
        before = sha(db)
        files_before = folder_state(db.parent)
        env = {"WORKBENCH_DB": str(db)}
        res = run_cli("sessions", env=env, honour_permissions=True)
        assert res.returncode == 0, res.stderr
        assert "shared" in res.stdout
        res = run_cli("export", "--session", "shared", "--output", "-", env=env, honour_permissions=True)
        assert res.returncode == 0, res.stderr
        assert "d1" in res.stdout and "0.9" in res.stdout
        res = run_cli("db", "info", env=env, honour_permissions=True)
        assert res.returncode == 0 and "runs: 1" in res.stdout, res.stderr
        # a write says the file is read-only, and how to get a writable copy
        src = tmp_path / "c.csv"
        src.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image\nq2,t,,d,x,\n", encoding="utf-8")
        res = run_cli("import", str(src), "--session", "shared", env=env, honour_permissions=True)
        assert res.returncode == 2 and "read-only" in res.stderr and "WORKBENCH_DB" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr
        assert sha(db) == before
        assert folder_state(db.parent) == files_before
    finally:
        db.parent.chmod(0o755)


# ------------------------------------------------------------------ full disk
def _big_sets(n: int, kb: int) -> list[CandidateSet]:
    return [CandidateSet(query=Query(id=f"q{i}", text="query"),
                         documents=[Document(id=f"d{j}", text=(f"set {i} doc {j} " * 64 * kb)[:kb * 1024])
                                    for j in range(4)]) for i in range(n)]


def _cap_pages(store: Store, extra_pages: int) -> None:
    """Make SQLite itself run out of room: max_page_count = current size + extra_pages."""
    with store._read() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(store.engine, "connect")
    def _cap(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + extra_pages}")

    store.engine.dispose()


@sqlite_only("SQLite's size limit")
def test_disk_full_says_so_and_keeps_each_set_all_or_nothing(tmp_path):
    with Store() as store:
        sess = store.create_session("big")
        sets = _big_sets(3, 64)
        service.save_sets(store, sess.id, sets[:1])              # q0 is stored before the disk fills
        _cap_pages(store, 8)                                     # ~32 KB of room: q1 (256 KB) cannot fit
        with pytest.raises(DiskFull) as info:
            service.save_sets(store, sess.id, sets)
        text = str(info.value)
        assert "disk is full" in text and str(store.path) in text and str(store.path.parent) in text
        assert re.search(r"needs roughly \d+(\.\d)? (KB|MB)", text)
        assert "Already saved in session 'big': set 1 (query 'q0')" in text
        assert "Not saved: the set(s) of query 'q1', 'q2'" in text
        assert info.value.saved_sets == [1] and info.value.unsaved_queries == ["q1", "q2"]
    with Store() as store:                                        # nothing of q1 was kept
        assert [s.query_id for s in store.list_candidate_sets("big")] == ["q0"]
        with store._read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM documents").scalar() == 4
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


@sqlite_only("SQLite's size limit")
def test_disk_full_in_the_cli_import_and_export(tmp_path, monkeypatch, capsys):
    import workbench.store.api as api

    real = api.make_engine

    def tiny_disk(path, timeout, **kw):
        engine = real(path, timeout, **kw)

        @event.listens_for(engine, "connect")
        def _cap(dbapi_conn, _record):
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count = {max(pages, 40) + 4}")
        return engine

    rows = ["query_id,query_text,query_image,doc_id,doc_text,doc_image"]
    for q in range(3):
        rows += [f"q{q},t,,d{j},{'long text ' * 3000}," for j in range(3)]
    src = tmp_path / "big.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(api, "make_engine", tiny_disk)
    assert main(["import", str(src), "--session", "s"]) == 2
    err = capsys.readouterr().err
    assert "disk is full" in err and "needs roughly" in err and "Not saved" in err and "Traceback" not in err
    monkeypatch.setattr(api, "make_engine", real)
    # a plain file write that hits ENOSPC (/dev/full) names the disk problem too
    with Store() as store:
        sess = store.create_session("e")
        set_id = store.save_candidate_set(sess.id, _big_sets(1, 1)[0])
        from workbench.model import Result, Run

        store.create_run(set_id, Run(instruction="i", backend="lexical", model_id="bm25", status="done",
                                     scores=[Result(f"d{j}", 1 - j / 10, j + 1, j) for j in range(4)]))
    if os.path.exists("/dev/full"):
        assert main(["export", "--session", "e", "--output", "/dev/full"]) == 2
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)        # written through, never renamed over
        err = capsys.readouterr().err
        assert "disk is full" in err and "/dev/full" in err


# ------------------------------------------------------------------ concurrency
def test_three_concurrent_imports_of_one_file_store_one_copy(tmp_path):
    rows = ["query_id,query_text,query_image,doc_id,doc_text,doc_image"]
    n_queries = 12
    for q in range(n_queries):
        rows += [f"q{q},query {q},,d{j},doc {q}-{j}," for j in range(5)]
    src = tmp_path / "same.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-m", "workbench", "import", str(src), "--session", "shared"],
                              env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(3)]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    with Store() as store:
        sets = store.list_candidate_sets("shared")
        assert sorted(s.query_id for s in sets) == sorted(f"q{q}" for q in range(n_queries))
        assert len(store.list_sessions()) == 1
        with store._read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM documents").scalar() == n_queries * 5
    assert sum(out.count("identical set already in the session") for out, _ in results) == 2 * n_queries


def _import_at_barrier(barrier, path: str, out) -> None:
    """One importing process: read the file, wait for the others, then save (tight race)."""
    try:
        from workbench.formats import read_candidates
    except ImportError:  # pragma: no cover - before the formats split
        from workbench.io import read_candidates
    result = read_candidates(path)
    with Store() as store:
        session = store.get_or_create_session("raced")
        barrier.wait()
        saved, same = service.save_sets(store, session.id, result.sets)
    out.put((len(saved), len(same)))


def test_three_processes_saving_one_file_at_the_same_instant_store_one_copy(tmp_path, monkeypatch):
    import multiprocessing as mp

    rows = ["query_id,query_text,query_image,doc_id,doc_text,doc_image"]
    for q in range(12):
        rows += [f"q{q},query {q},,d{j},doc {q}-{j}," for j in range(5)]
    src = tmp_path / "same.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_import_at_barrier, args=(barrier, str(src), out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    counts = [out.get(timeout=5) for _ in procs]
    assert sum(saved for saved, _ in counts) == 12 and sum(same for _, same in counts) == 24, counts
    with Store() as store:
        assert sorted(s.query_id for s in store.list_candidate_sets("raced")) == sorted(f"q{q}" for q in range(12))


def test_identical_set_saved_before_fingerprints_is_recognised(tmp_path):
    with Store() as store:
        sess = store.create_session("old")
        cset = _big_sets(1, 1)[0]
        legacy = store.save_candidate_set(sess.id, cset)          # no fingerprint (as before m004)
        again = _big_sets(1, 1)[0]
        saved, same = service.save_sets(store, sess.id, [again])
        assert saved == [] and same == [legacy]
        changed = _big_sets(1, 1)[0]
        changed.documents[0].text += " edited"
        saved, same = service.save_sets(store, sess.id, [changed])
        assert len(saved) == 1 and same == []


# ------------------------------------------------------------------ shell-safe fix-it commands
NASTY = ["$(touch {m})", "`touch {m}`", "a'b\"; touch {m}; echo ", "x\ntouch {m}"]


def _run_suggestion(command: str, marker: Path) -> list[str]:
    """Paste the suggested command into bash, with `workbench` replaced by a printer."""
    assert command.startswith("workbench ")
    script = "args() { printf '%s\\n' \"$@\"; }; args " + command[len("workbench "):]
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, cwd=marker.parent)
    assert not marker.exists(), f"pasting {command!r} ran a command"
    return out.stdout.splitlines()


@sqlite_only("no SQL of its own: one engine is enough")
@pytest.mark.parametrize("template", NASTY)
def test_suggested_commands_quote_session_names(tmp_path, template, capsys):
    marker = tmp_path / "pwned"
    name = template.format(m=marker).strip()
    with Store() as store:
        store.create_session(name)
    quoted = shell_quote(name)
    messages = []
    for args in (["rerank", "--session", name, "--model", "bm25"],
                 ["export", "--session", name, "--output", str(tmp_path / "o.csv")],
                 ["compare", "--session", name],
                 ["ocr", "--session", name]):
        assert main(args) == 2
        messages.append(capsys.readouterr().err)
    for err in messages:
        # the suggested command, pasted as printed up to the session name, runs nothing
        end = err.index("--session " + quoted) + len("--session " + quoted)
        command = err[err.rindex("workbench ", 0, end):end]
        words = _run_suggestion(command, marker)
        shown = name if "\n" not in name else name.encode("unicode_escape").decode()
        assert words[-2:] == ["--session", shown], (command, words)


@sqlite_only("no database involved")
def test_shell_quote_helper():
    assert shell_quote("plain") == "plain"
    assert shell_quote("$(touch x)") == "'$(touch x)'"
    assert shell_quote("a'b") == "'a'\"'\"'b'"
    assert "\n" not in shell_quote("a\nb")


@sqlite_only("a full filesystem under the SQLite file")
def test_real_full_disk_on_a_tiny_filesystem(tmp_path):
    """A 4 MB tmpfs (needs root; skipped otherwise): SQLite's own 'database or disk is full'."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        rows = ["query_id,query_text,query_image,doc_id,doc_text,doc_image"]
        for q in range(6):
            rows += [f"q{q},t,,d{j},{('q%d doc %d ' % (q, j)) * 20000}," for j in range(4)]
        src = tmp_path / "big.csv"
        src.write_text("\n".join(rows) + "\n", encoding="utf-8")
        res = run_cli("import", str(src), "--session", "s", env={"WORKBENCH_DB": str(mnt / "wb.db"),
                                                                 "WORKBENCH_HOME": str(tmp_path / "home")})
        assert res.returncode == 2, res.stdout + res.stderr
        assert "disk is full" in res.stderr and str(mnt) in res.stderr and "needs roughly" in res.stderr
        assert "Already saved in session 's'" in res.stderr and "Not saved" in res.stderr
        saved = re.findall(r"set \d+ \(query '(q\d)'\)", res.stderr)
        con = sqlite3.connect(mnt / "wb.db")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = [r[0] for r in con.execute("SELECT query_id FROM queries ORDER BY set_id")]
        assert stored == saved and 0 < len(stored) < 6
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 4 * len(stored)
        con.close()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
