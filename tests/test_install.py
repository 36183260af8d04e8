"""Lean installs and data folders: what `pip install lychee-workbench` pulls, what importing the
library loads, and where an installed (non-checkout) workbench keeps its db and caches."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from workbench import config
from workbench.errors import BackendUnavailable
from workbench.extras import EXTRA_OF, pip_install, require

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "torchvision", "transformers", "accelerate", "streamlit", "altair", "scipy", "ranx",
         "pytesseract", "bm25s", "jieba", "qwen_vl_utils")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _dist_name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower()


def test_base_dependencies_leave_out_torch_and_streamlit():
    project = _pyproject()["project"]
    base = {_dist_name(r) for r in project["dependencies"]}
    assert {"sqlalchemy", "pandas", "pillow", "charset-normalizer"} <= base
    assert not base & {"torch", "torchvision", "transformers", "streamlit", "altair", "scipy", "ranx",
                       "pytesseract", "bm25s", "jieba", "flash-attn"}
    extras = {k: {_dist_name(r) for r in v} for k, v in project["optional-dependencies"].items()}
    assert {"torch", "transformers", "qwen-vl-utils"} <= extras["qwen"]
    assert extras["ocr"] == {"pytesseract"} and "streamlit" in extras["app"]
    assert extras["compare"] == {"scipy"} and extras["bm25"] == {"jieba"}
    assert extras["gpu"] == {"flash-attn"}
    # [all] names every feature extra (not test/gpu)
    all_extras = set(re.search(r"\[(.*)\]", project["optional-dependencies"]["all"][0]).group(1).split(","))
    assert all_extras == {"qwen", "ocr", "app", "compare", "bm25", "serve", "parquet", "postgres", "team"}
    assert extras["postgres"] == {"psycopg"} and extras["team"] == {"krippendorff"}
    assert {"fastapi", "uvicorn", "httpx", "uvloop", "httptools"} == extras["serve"]
    # every extra that an error message can name exists
    assert set(EXTRA_OF.values()) <= set(extras)


def test_importing_the_library_loads_no_heavy_dependency():
    code = ("import sys, json, workbench, workbench.formats, workbench.store, workbench.compare, "
            "workbench.ocr, workbench.service, workbench.cli, workbench.rerank; "
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_nothing_under_workbench_imports_streamlit_and_no_io_module():
    offenders = [p for p in (ROOT / "workbench").rglob("*.py")
                 if re.search(r"^\s*(import|from)\s+streamlit\b", p.read_text("utf-8"), re.M)]
    assert offenders == []
    assert not [p for p in (ROOT / "workbench").rglob("io.py")] and not (ROOT / "workbench" / "io").exists()


def test_missing_optional_package_names_the_extra():
    with pytest.raises(BackendUnavailable) as info:
        require("workbench_no_such_module_xyz", "a test feature", extra="compare")
    assert "workbench_no_such_module_xyz" in info.value.message and "a test feature" in info.value.message
    assert pip_install("compare") in info.value.fix
    assert pip_install("compare") == "pip install 'lychee-workbench[compare]'"


def test_missing_backend_dependency_names_the_extra_in_a_lean_interpreter():
    """With the heavy packages hidden (as in `pip install lychee-workbench`), asking for a backend
    or for significance tests raises the workbench error that names the extra to install; the
    metrics need no extra."""
    code = f"""
import sys
for m in {HEAVY!r}:
    sys.modules[m] = None                      # as if not installed
from workbench import get_reranker
from workbench.errors import BackendUnavailable, TesseractMissing
from workbench import compare, ocr
from workbench.model import Run, Result
out = {{}}
for name, opts in (("bm25", {{}}), ("qwen-vl", {{"model_path": "/nonexistent"}})):
    try:
        get_reranker(name, **opts)
    except BackendUnavailable as e:
        out[name] = e.fix
run = Run(instruction="i", backend="b", model_id="m", query_id="q", scores=[Result("a", 1.0, 1), Result("b", 0.5, 2)])
out["ndcg"] = float(compare.metrics([run], {{"q": {{"a": 2}}}}).table.iloc[0, 0])   # plain Python: no extra
try:
    compare.significance._stats()
except BackendUnavailable as e:
    out["significance"] = e.fix
try:
    ocr.list_languages()
except TesseractMissing as e:
    out["ocr"] = e.fix
print(repr(out))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert res.returncode == 0, res.stderr
    got = eval(res.stdout)  # noqa: S307 - our own repr of a dict of strings
    assert pip_install("bm25") in got["bm25"]
    assert pip_install("qwen") in got["qwen-vl"]
    assert got["ndcg"] == 1.0 and pip_install("compare") in got["significance"]
    assert pip_install("ocr") in got["ocr"]


# ----------------------------------------------------------------------------- data folders


def test_checkout_default_db_is_data_workbench_db(monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB", raising=False)
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    assert config.in_checkout()
    assert config.db_path() == ROOT / "data" / "workbench.db"
    assert config.default_db_path() == ROOT / "data" / "workbench.db"


def test_env_overrides_db_and_home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "x" / "my.db"))
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    assert config.db_path() == tmp_path / "x" / "my.db"
    assert config.home_dir() == tmp_path / "x" / "cache"          # caches next to the db by default
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "h"))
    assert config.home_dir() == tmp_path / "h" and (tmp_path / "h").is_dir()


@pytest.fixture
def installed_copy(tmp_path):
    """The package copied alone into a site folder: what a non-editable pip install leaves."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "workbench", site / "workbench",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env.update(PYTHONPATH=str(site), XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"))
    return site, env


def test_installed_package_keeps_data_in_the_user_data_dir(installed_copy, tmp_path):
    site, env = installed_copy
    code = ("from workbench import config; import json; "
            "print(json.dumps([config.in_checkout(), str(config.db_path()), str(config.home_dir())]))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    in_checkout, db, home = json.loads(res.stdout)
    user_dir = tmp_path / "xdg" / "lychee-workbench"
    assert in_checkout is False
    assert Path(db) == user_dir / "workbench.db" and Path(home) == user_dir / "cache"
    # the CLI creates the db there, not next to the package
    res = subprocess.run([sys.executable, "-m", "workbench", "db", "init"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert (user_dir / "workbench.db").is_file() and not (site / "data").exists()
    # WORKBENCH_DB still wins for an installed package
    env2 = {**env, "WORKBENCH_DB": str(tmp_path / "elsewhere.db")}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env2,
                         timeout=60)
    assert Path(json.loads(res.stdout)[1]) == tmp_path / "elsewhere.db"


# ------------------------------------------------------------------ the wheel ships the app
@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory):
    """The project built as a wheel (as pip would) and installed alone into a site folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp / "dist"), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp / "dist").glob("lychee_workbench-*.whl"))
    site = tmp / "site"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env.update(PYTHONPATH=str(site), XDG_DATA_HOME=str(tmp / "xdg"), HOME=str(tmp / "home"))
    return wheel, site, env


def test_the_wheel_ships_every_package_and_the_app(wheel_site):
    import zipfile

    wheel, _, _ = wheel_site
    names = set(zipfile.ZipFile(wheel).namelist())
    for init in sorted(ROOT.glob("workbench/**/__init__.py")):
        assert init.relative_to(ROOT).as_posix() in names, f"{init.parent.name} is not in the wheel: list it in pyproject.toml"
    assert "workbench/rerank/templates/lychee_rerank_mm.jinja" in names
    assert "workbench_app/app.py" in names and "workbench_app/.streamlit/config.toml" in names
    for folder in ("pages", "ui"):
        for f in (ROOT / folder).glob("*.py"):
            assert f"workbench_app/{folder}/{f.name}" in names, f"{folder}/{f.name} is not in the wheel"


def test_the_installed_app_runs_and_workbench_app_serves_it(wheel_site, tmp_path):
    _, site, env = wheel_site
    code = ("from streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({str(site / 'workbench_app' / 'app.py')!r}, default_timeout=120)\n"
            "at.run()\n"
            "assert not at.exception, [e.value for e in at.exception]\n"
            "print([t.value for t in at.title])\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Lychee rerank workbench" in res.stdout
    # `workbench app` from the installed package: the real server, on a free port, says its URL
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "app", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        ok = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ok = httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                break
            time.sleep(0.5)
        assert ok, proc.stderr.read() if proc.poll() is not None else "no answer"
    finally:
        os.killpg(proc.pid, 15)
        _, err = proc.communicate(timeout=30)
    assert f"starting the workbench at http://127.0.0.1:{port}" in err
