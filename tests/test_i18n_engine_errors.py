"""Errors of the engine (rerank, remote, prompts, compare, doctor) carry stable codes: the CLI
and the logs keep today's English text, the app re-renders them in Chinese with the same data."""

from __future__ import annotations

import ast
import re
import socket
import threading
from pathlib import Path

import pytest

from workbench import compare, doctor, i18n
from workbench.errors import BackendUnavailable, Cancelled, InputError, ModelNotFound
from workbench.model import Result, Run
from workbench.rerank import get_reranker, registry
from workbench.rerank.prompts import get_format
from workbench.rerank.remote import RemoteError, probe

ROOT = Path(__file__).resolve().parents[1]
HAN = re.compile(r"[\u4e00-\u9fff]")


def zh_text(err) -> tuple[str, str | None]:
    with i18n.language("zh"):
        return i18n.error_text(err)


def assert_chinese(text: str | None, *data: str) -> None:
    assert text and HAN.search(text), text
    for item in data:
        assert item in text, (item, text)


def test_a_folder_that_is_not_a_checkpoint(tmp_path):
    folder = tmp_path / "not a model"
    folder.mkdir()
    with pytest.raises(ModelNotFound) as exc:
        get_reranker(str(folder))
    err = exc.value
    assert err.code == "model.no_config" and err.params["path"] == str(folder)
    assert str(err).startswith(f"'{folder}' could not be loaded (no config.json in that folder).\n"
                               "How to fix: Download the weights on a machine with Hugging Face access: ")
    assert "(or pass --model PATH)" in err.fix
    message, fix = zh_text(err)
    assert_chinese(message, str(folder), "config.json")
    assert_chinese(fix, "WORKBENCH_MODEL", "--model PATH")        # the CLI's fix keeps its flag
    assert message != err.message and fix != err.fix
    with i18n.language("zh"):
        _, app_fix = i18n.error_text(err, surface="app")             # the app's: its Model path box
    assert_chinese(app_fix, "“模型路径或 ID”框")
    assert "--" not in app_fix and "Model path or id box" in i18n.error_text(err, surface="app")[1]


def test_a_missing_folder_and_a_file_are_told_apart(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"x")
    codes = {}
    for name in ("gone", "weights.bin"):
        with pytest.raises(ModelNotFound) as exc:
            get_reranker(str(tmp_path / name))
        codes[name] = exc.value.code
        assert_chinese(zh_text(exc.value)[0], str(tmp_path / name))
    assert codes == {"gone": "model.no_folder", "weights.bin": "model.is_file"}


def test_a_backend_whose_package_is_missing(monkeypatch):
    monkeypatch.setattr(registry, "missing_requirements", lambda name: ["bm25s"])
    with pytest.raises(BackendUnavailable) as exc:
        get_reranker("bm25")
    err = exc.value
    assert err.code == "backend.missing_packages"
    assert err.message == "The 'lexical' backend needs bm25s, which is not installed."
    assert err.fix == registry.BACKENDS["lexical"].pip
    message, fix = zh_text(err)
    assert_chinese(message, "lexical", "bm25s")
    assert_chinese(fix, registry.BACKENDS["lexical"].pip)


def test_an_unreachable_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(RemoteError) as exc:
        probe(url, timeout=5)
    err = exc.value
    assert err.code == "remote.unreachable" and err.params["url"] == url
    assert err.message.startswith(f"The server at {url} cannot be reached (")
    assert err.fix.startswith("Check the URL and port, that the server is running and reachable from here")
    message, fix = zh_text(err)
    assert_chinese(message, url)
    assert_chinese(fix, "vllm serve")


def test_a_text_that_is_not_a_url():
    with pytest.raises(InputError) as exc:
        probe("ftp://example.org")
    assert exc.value.code == "remote.not_a_url"
    assert str(exc.value) == ("'ftp://example.org' is not a server URL.\nHow to fix: Give it as "
                              "http://HOST:PORT/v1, e.g. --model http://127.0.0.1:8000/v1.")
    assert_chinese(zh_text(exc.value)[0], "ftp://example.org")


def test_a_prompt_format_of_the_other_family():
    with pytest.raises(InputError) as exc:
        get_format("lychee", "qwen3-vl")
    err = exc.value
    assert err.code == "prompt.wrong_family"
    assert err.message == "The prompt format 'lychee' is made for qwen2.5-vl checkpoints, but this model is qwen3-vl."
    assert err.fix == "Choose a format for this model: qwen3-vl-reranker."
    message, fix = zh_text(err)
    assert_chinese(message, "lychee", "qwen2.5-vl", "qwen3-vl")
    assert_chinese(fix, "qwen3-vl-reranker")


def _run(name: str, scores: dict[str, float]) -> Run:
    order = sorted(scores, key=lambda d: -scores[d])
    return Run(instruction="i", backend="lexical", model_id="m", query_id="q1", name=name,
               scores=[Result(d, scores[d], order.index(d) + 1) for d in scores])


def test_compare_without_labels_and_with_too_few_runs():
    runs = [_run("A", {"d1": 0.9, "d2": 0.1}), _run("B", {"d1": 0.2, "d2": 0.8})]
    with pytest.raises(InputError) as exc:
        compare.metrics(runs, {"q1": {"d1": 0, "d2": 0}})
    assert exc.value.code == "compare.no_relevant_labels"
    assert exc.value.message.startswith("No compared query has a document labelled relevant")
    assert_chinese(zh_text(exc.value)[0])
    with pytest.raises(InputError) as exc:
        compare.rank_table([])
    assert exc.value.code == "compare.too_few_runs"
    assert exc.value.message == "Comparison needs at least 1 run(s); got 0."
    assert_chinese(zh_text(exc.value)[0], "1", "0")


def test_cancelled_keeps_what_was_done():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled) as exc:
        get_reranker("bm25").rank("red", ["a red square", "a blue circle"], cancel=cancel)
    err = exc.value
    assert (err.done, err.total) == (0, 2) and err.code == "rank.cancelled_before_scoring"
    assert err.message == "Cancelled before scoring: 0 of 2 documents scored."
    assert_chinese(zh_text(err)[0], "0", "2")


def test_the_doctor_speaks_the_current_language(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_MODEL", str(tmp_path / "nowhere"))
    english = doctor.check_model_path()
    assert english.name == "model" and english.detail.endswith("does not exist on this machine")
    with i18n.language("zh"):
        chinese = doctor.check_model_path()
    assert chinese.ok is english.ok and chinese.warning is english.warning
    assert_chinese(chinese.name)
    assert_chinese(chinese.detail, str(tmp_path / "nowhere"))
    assert_chinese(chinese.fix, "WORKBENCH_MODEL")


# The modules converted to coded errors must stay converted: an analyst-facing error raised
# there with a literal English text would be shown in English in the Chinese app.
CODED = [*sorted((ROOT / "workbench" / "rerank").rglob("*.py")), *sorted((ROOT / "workbench" / "compare").glob("*.py")),
         ROOT / "workbench" / "parity.py", ROOT / "workbench" / "hub.py"]
ERRORS = {"WorkbenchError", "InputError", "ModelNotFound", "BackendUnavailable", "RemoteError", "ImageError",
          "Cancelled"}


@pytest.mark.parametrize("path", CODED, ids=lambda p: p.name)
def test_engine_errors_are_raised_with_codes(path):
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS
                and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))):
            found.append(node.lineno)
    allowed = {ln for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if "not an analyst error" in line}
    assert not [ln for ln in found if ln not in allowed], f"{path.name}: use Error.coded(...) at lines {found}"


def test_a_missing_optional_package(monkeypatch):
    from workbench import extras
    from workbench.compare import significance

    real = extras.importlib.import_module

    def no_scipy(name, *args):
        if name.split(".")[0] == "scipy":
            raise ImportError("No module named 'scipy'", name="scipy")
        return real(name, *args)

    monkeypatch.setattr(extras.importlib, "import_module", no_scipy)
    with pytest.raises(BackendUnavailable) as exc:
        significance._stats()
    err = exc.value
    assert err.code == "compare.needs_package"
    assert "'scipy'" in err.message and "pip install 'lychee-workbench[compare]'" in err.fix
    message, fix = zh_text(err)
    assert_chinese(message, "scipy")
    assert_chinese(fix, "pip install 'lychee-workbench[compare]'")