"""A real, throwaway PostgreSQL server for the store tests (pytest plugin, see conftest.py).

  pg_cluster      (session) a cluster in a temp folder, started once per test session (per xdist
                  worker), stopped at the end; never a system service. None-safe: when Debian's
                  postgresql package is missing (or the server cannot start), tests that need it
                  skip with the reason. Install it with ./run_workbench.sh (or
                  `apt-get install -y postgresql`).
  pg_url          a fresh, empty database on that cluster for one test (CREATE DATABASE ...
                  TEMPLATE template0: ~40 ms), its postgresql:// URL
  db_backend      parametrized "sqlite" / "postgresql": points WORKBENCH_DB at the test's
                  SQLite file or at a fresh PostgreSQL database. A store test module runs on
                  both engines with ``pytestmark = pytest.mark.usefixtures("db_backend")``;
                  tests about SQLite files are marked ``@sqlite_only("why")``.

The server runs as the `postgres` user when the tests run as root (PostgreSQL refuses root):
`initdb -A trust` into a temp folder owned by that user, `pg_ctl start` on a free local TCP
port with fsync off (a test cluster: speed over durability).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_names = itertools.count(1)


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian layout), else pg_ctl on PATH."""
    found = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    for folder in reversed(found):
        if (Path(folder) / "pg_ctl").exists() and (Path(folder) / "initdb").exists():
            return Path(folder)
    which = shutil.which("pg_ctl")
    return Path(which).parent if which and (Path(which).parent / "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    user: str = "postgres"

    def url(self, db: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{db}"

    def admin(self):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                               autocommit=True, connect_timeout=10)

    def create_db(self, name: str | None = None) -> str:
        name = name or f"t{os.getpid()}_{next(_names)}"
        with self.admin() as con:
            con.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_db(self, name: str) -> None:
        with self.admin() as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the postgres user when we are root (the server refuses to run as root)."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def start_cluster(base: Path) -> tuple[Cluster | None, str]:
    """(cluster, '') or (None, why not)."""
    binary = pg_bin()
    if binary is None:
        return None, ("PostgreSQL is not installed (Debian's postgresql package: ./run_workbench.sh installs it, "
                      "or `apt-get install -y postgresql`)")
    if os.geteuid() == 0:
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no 'postgres' user to run the server as"
        os.chown(base, pw.pw_uid, pw.pw_gid)
    data = base / "data"
    run = subprocess.run(_as_postgres([str(binary / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                       "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                         capture_output=True, text=True, timeout=120)
    if run.returncode:
        return None, f"initdb failed: {(run.stderr or run.stdout).strip()[-500:]}"
    port = _free_port()
    opts = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=100 -c shared_buffers=32MB")
    run = subprocess.run(_as_postgres([str(binary / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                                       str(base / "server.log"), "-w", "-t", "60", "start"]),
                         capture_output=True, text=True, timeout=120)
    if run.returncode:
        log = (base / "server.log").read_text(errors="replace")[-500:] if (base / "server.log").exists() else ""
        return None, f"pg_ctl start failed: {(run.stderr or run.stdout).strip()[-300:]} {log}"
    return Cluster(base, port), ""


def stop_cluster(cluster: Cluster) -> None:
    binary = pg_bin()
    if binary is not None:
        subprocess.run(_as_postgres([str(binary / "pg_ctl"), "-D", str(cluster.folder / "data"), "-m", "immediate",
                                     "-w", "stop"]), capture_output=True, timeout=60)
    shutil.rmtree(cluster.folder, ignore_errors=True)


def _reap_orphans() -> None:
    """Stop and delete clusters left by test processes that were killed (their pid is in the
    folder's name), so a kill -9 of a test run leaves no server running for long."""
    for folder in Path(tempfile.gettempdir()).glob("wb-pg-*-*"):
        try:
            pid = int(folder.name.split("-")[2])
        except (IndexError, ValueError):
            continue
        try:
            os.kill(pid, 0)
            continue                          # its test process is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        if (folder / "data" / "postmaster.pid").exists():
            stop_cluster(Cluster(folder, 0))
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's throwaway PostgreSQL cluster; skips the test when it cannot start."""
    _reap_orphans()
    base = Path(tempfile.mkdtemp(prefix=f"wb-pg-{os.getpid()}-"))
    cluster, why = start_cluster(base)
    if cluster is None:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(why)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture
def pg_url(pg_cluster):
    """postgresql:// URL of a fresh, empty database for this test (dropped afterwards)."""
    name = pg_cluster.create_db()
    yield pg_cluster.url(name)
    try:
        pg_cluster.drop_db(name)
    except Exception:  # noqa: BLE001 - a leftover test database dies with the cluster
        pass


@pytest.fixture(params=["sqlite", "postgresql"])
def db_backend(request, isolated_workbench, monkeypatch):
    """Which engine this test's store uses: WORKBENCH_DB is the SQLite file (isolated_workbench)
    or a fresh PostgreSQL database."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        monkeypatch.setenv("WORKBENCH_DB", url)
    return request.param


def sqlite_only(reason: str):
    """Mark a test of a store module that runs on both engines as being about SQLite files."""
    return pytest.mark.sqlite_only(reason)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): a store test about SQLite files; its "
                                       "postgresql parameter skips with the reason")


def pytest_collection_modifyitems(config, items):
    """The postgresql parameter of a @sqlite_only test skips at collection, before any
    fixture of it (a tiny checkpoint, the cluster) is built."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("db_backend") != "postgresql":
            continue
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(
                reason=f"SQLite only: {marker.args[0] if marker.args else 'about the SQLite file'}"))


@pytest.fixture(autouse=True)
def _no_db_override_left():
    """`workbench --db X` (cli.main) sets the database for the process; no test leaves it set."""
    yield
    from workbench import config

    config.set_db(None)
