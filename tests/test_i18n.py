"""The UI's two catalogs (workbench/i18n): same keys, same fields, every key used exists,
and no English prose written straight into a page or the UI layer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from workbench import i18n
from workbench.errors import InputError, RowError

ROOT = Path(__file__).resolve().parents[1]
CODE = [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py")), ROOT / "app.py",
        *sorted((ROOT / "workbench").rglob("*.py"))]
KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def used_keys() -> dict[str, str]:
    """Every literal key of t("key"), tn("key", n), _("key") (app.py's alias), ui.t / i18n.t,
    and of Error.coded("code") (as "err.code"), found in the code's syntax tree."""
    keys = {}
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str) and KEY.match(node.args[0].value)):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("t", "tn", "_"):
                keys.setdefault(node.args[0].value, path.name)
            elif name == "coded":
                keys.setdefault("err." + node.args[0].value, path.name)
    return keys


def test_both_catalogs_have_the_same_keys():
    en, zh = set(i18n.CATALOGS["en"]), set(i18n.CATALOGS["zh"])
    assert not en - zh, f"missing in zh.py: {sorted(en - zh)}"
    assert not zh - en, f"missing in en.py: {sorted(zh - en)}"


def test_every_key_used_in_the_code_is_in_both_catalogs():
    keys = used_keys()
    assert len(keys) >= 8
    for lang, catalog in i18n.CATALOGS.items():
        missing = {k: where for k, where in keys.items() if k not in catalog}
        assert not missing, f"keys used but missing in {lang}.py: {missing}"


def test_templates_use_the_same_fields_in_both_languages():
    bad = {}
    for key, en in i18n.CATALOGS["en"].items():
        zh = i18n.CATALOGS["zh"].get(key, "")
        if i18n.fields(en) != i18n.fields(zh):
            bad[key] = (sorted(i18n.fields(en)), sorted(i18n.fields(zh)))
    assert not bad, bad


def test_the_chinese_catalog_is_chinese():
    """A zh text that is the English one copied is a missing translation (names excepted)."""
    same = [k for k, v in i18n.CATALOGS["zh"].items()
            if v == i18n.CATALOGS["en"][k] and re.search(r"[A-Za-z]{4,}\s+[A-Za-z]{3,}", v)]
    assert not same, f"untranslated in zh.py: {same}"


def test_language_normalisation_and_fallbacks():
    assert i18n.from_locale("zh-CN") == "zh" and i18n.from_locale("zh_Hant_TW") == "zh"
    assert i18n.from_locale("en-GB") == "en" and i18n.from_locale("de-DE") == "en"
    assert i18n.from_locale(None) == "en"
    with i18n.language("zh"):
        assert i18n.get_language() == "zh"
        assert i18n.t("nav.home") == "首页"
    assert i18n.get_language() == "en" and i18n.t("nav.home") == "Home"


def test_counted_texts_choose_their_form():
    key = next(k for k, v in i18n.CATALOGS["en"].items() if "|" in v and "{n}" in v)
    one, many = i18n.CATALOGS["en"][key].split("|")
    assert i18n.tn(key, 1) == one.replace("{n}", "1")
    assert i18n.tn(key, 3) == many.replace("{n}", "3")


def test_coded_errors_are_english_for_the_cli_and_translated_for_the_app():
    codes = sorted(k[4:] for k in i18n.CATALOGS["en"] if k.startswith("err.") and not k.endswith((".fix", ".app"))
                   and k != "err.how_to_fix")
    if not codes:
        pytest.skip("no coded errors yet")
    code = codes[0]
    params = {f: "X" for f in i18n.fields(i18n.CATALOGS["en"][f"err.{code}"])
              | i18n.fields(i18n.CATALOGS["en"].get(f"err.{code}.fix", ""))}
    err = InputError.coded(code, params)
    assert err.code == code and err.message == i18n.t(f"err.{code}", lang="en", **params)
    with i18n.language("zh"):
        message, _ = i18n.error_text(err)
    assert message == i18n.t(f"err.{code}", lang="zh", **params) and message != err.message
    row = RowError.coded(code, params, line=7, column="score")   # a subclass keeps its own fields
    assert row.line == 7 and "line 7" in str(row)


# Surfaces: "<key>.app" is the text of <key> said for the app (see workbench/i18n/__init__.py).
FLAG = re.compile(r"--[A-Za-z]|WORKBENCH_DEBUG")
# Codes whose fix names a flag that only the CLI has, for work the app does not do: no app variant.
CLI_ONLY = {
    "backend.no_cuda": "--device: the app never names a device",
    "ocr.bad_psm": "--psm: the OCR page has no page-segmentation setting",
    "resume.other_model": "--resume: the app does not resume runs",
    "resume.other_settings": "--resume: the app does not resume runs",
    "remote.tokenizer_failed": "--tokenizer: the app gives no tokenizer",
    "remote.tokenizer_mismatch": "--tokenizer: the app gives no tokenizer",
    "remote.unknown_protocol": "--protocol: the app detects the protocol",
    "remote.no_rerank_route": "--protocol rerank: the app detects the protocol",
    "remote.wrong_model": "--served-model: the app uses the server's one model",
}
CLI_ONLY_PREFIXES = ("tiny.",)          # `workbench tiny-checkpoint`


def _cli_flags() -> set[str]:
    """Every flag of the workbench CLI (its add_argument calls)."""
    flags = set()
    for path in sorted((ROOT / "workbench" / "cli").glob("*.py")):
        flags |= set(re.findall(r"""["'](--[a-z][a-z0-9-]*)["']""", path.read_text(encoding="utf-8")))
    assert {"--encoding", "--model", "--skip-unknown", "--k"} <= flags
    return flags


def test_app_variants_name_no_cli_flag_and_pair_with_their_text():
    for lang, catalog in i18n.CATALOGS.items():
        variants = {k: v for k, v in catalog.items() if k.endswith(i18n.APP_SUFFIX)}
        assert len(variants) >= 30
        flagged = {k: v for k, v in variants.items() if FLAG.search(v)}
        assert not flagged, f"app texts naming a command-line flag in {lang}.py: {flagged}"
        for key, text in variants.items():
            base = key[:-len(i18n.APP_SUFFIX)]
            assert base in catalog, f"{key} has no {base} in {lang}.py"
            if key.startswith("err."):
                assert key.endswith(".fix.app"), f"{key}: an error's app variant is its fix's (err.<code>.fix.app)"
                code = base[len("err."):-len(".fix")]
                known = i18n.fields(catalog[f"err.{code}"]) | i18n.fields(catalog[base])
            else:
                known = i18n.fields(catalog[base])
            assert i18n.fields(text) <= known, f"{key} uses fields its error or text does not give: {text}"


def test_every_fix_naming_a_cli_flag_has_its_app_variant():
    flags = _cli_flags()
    en = i18n.CATALOGS["en"]
    missing = []
    for key, text in en.items():
        if not (key.startswith("err.") and key.endswith(".fix")):
            continue
        code = key[len("err."):-len(".fix")]
        named = set(re.findall(r"--[a-z][a-z0-9-]*", text)) & flags
        if named and code not in CLI_ONLY and not code.startswith(CLI_ONLY_PREFIXES) and key + ".app" not in en:
            missing.append((key, sorted(named)))
    assert not missing, f"fixes naming a CLI flag without an app variant (add err.<code>.fix.app): {missing}"
    stale = [c for c in CLI_ONLY if f"err.{c}.fix" not in en or f"err.{c}.fix.app" in en]
    assert not stale, f"CLI_ONLY lists codes that are gone or have an app variant: {stale}"


def test_uncoded_errors_the_app_can_show_name_no_cli_flag():
    """An error's app wording lives in the catalogs (err.<code>.fix.app), so an error the app can
    show whose fix names a flag must be coded: WorkbenchError("...", "use --x") only in the CLI's own code."""
    from workbench import errors

    classes = {name for name, obj in vars(errors).items()
               if isinstance(obj, type) and issubclass(obj, errors.WorkbenchError)}
    cli_only = set((ROOT / "workbench" / "server").glob("*.py"))   # `workbench serve`'s own start-up checks
    found = []
    for path in CODE:
        if "cli" in path.relative_to(ROOT).parts or path in cli_only:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    ) if isinstance(node, ast.Call) else ""
            if name in classes and any(isinstance(c, ast.Constant) and isinstance(c.value, str)
                                       and FLAG.search(c.value) for a in node.args for c in ast.walk(a)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"uncoded errors naming a CLI flag (raise them with .coded and an app variant): {found}"


def test_the_app_surface_says_the_app_variant_and_the_cli_keeps_its_own():
    from workbench.errors import EncodingError
    from workbench.i18n import nested

    params = {"name": "a.csv", "encoding": "utf-8", "byte": "0xc4", "line": 2}
    err = EncodingError.coded("encoding.invalid_bytes", params)
    with i18n.surface("app"):                      # raised inside the app: the CLI's words all the same
        inside = EncodingError.coded("encoding.invalid_bytes", params)
    assert err.fix == inside.fix and "--encoding gbk" in err.fix
    assert i18n.error_text(err) == (err.message, err.fix)                # surface="cli" is the default
    message, fix = i18n.error_text(err, surface="app")
    assert message == err.message and fix == i18n.t("err.encoding.invalid_bytes.fix.app")
    assert "Text encoding" in fix and "--" not in fix
    with i18n.language("zh"):
        _, zh_fix = i18n.error_text(err, surface="app")
    assert "文本编码" in zh_fix and "--" not in zh_fix
    # an error without an app variant says its one fix on both surfaces
    plain = InputError.coded("encoding.unknown", {"encoding": "klingon"})
    assert i18n.error_text(plain, surface="app") == i18n.error_text(plain)
    # an inner error's fix quoted in the outer one follows the surface too
    row = RowError.coded("encoding.bad_row", {"encoding": "utf-8", "byte": "0xc4", "char": 3}, line=4)
    outer = nested.coded(RowError, "ranked.row_errors", {"reason": nested.message_of(row), "more": 1,
                                                         "fix": nested.fix_of(row)})
    assert "--encoding" in outer.fix
    assert "Text encoding" in i18n.error_text(outer, surface="app")[1]
    assert i18n.get_surface() == "cli"
    with pytest.raises(ValueError):
        with i18n.surface("web"):
            pass


# English prose in pages/ and ui/ must come from the catalogs. A string constant "looks like
# prose" when it holds two words of letters; CSS, keys, formats and markdown markup do not.
PROSE = re.compile(r"[A-Za-z]{2,}[ ,'’]+[A-Za-z]{2,}")
NOT_PROSE = re.compile(r"^\s*([.#@:][\w-]|<style|[\w-]+\s*:\s*[^ ]+;|:material/)|\{[^}]*\}\s*$")


def _prose_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
            if PROSE.search(text) and not NOT_PROSE.search(text):
                found.append((node.lineno, text[:70]))
    return found


@pytest.mark.parametrize("path", [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py")),
                                  ROOT / "app.py"], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_english_prose_outside_the_catalogs(path):
    allowed = {ln for ln, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if "i18n: not UI text" in line}
    found = [(ln, s) for ln, s in _prose_constants(path) if ln not in allowed]
    assert not found, f"{path.name}: move these into workbench/i18n/en.py and zh.py: {found}"


def test_a_thread_without_a_language_asks_the_fallback():
    """Streamlit runs widget callbacks in a thread where app.py has not set the language yet:
    the app's fallback (the tab's choice) answers; a thread that set one keeps its own."""
    import threading

    seen = {}
    i18n.set_fallback(lambda: "zh-CN")
    try:
        worker = threading.Thread(target=lambda: seen.update(plain=i18n.t("nav.home")))
        worker.start()
        worker.join()
        with i18n.language("en"):
            seen["own"] = i18n.t("nav.home")
    finally:
        i18n.set_fallback(None)
    assert seen == {"plain": "首页", "own": "Home"}
    assert i18n.get_language() == "en"


def test_a_library_text_is_english_for_the_cli_and_localised_for_the_app():
    """Warnings the engine says (e.g. a truncated document) are plain English strings that
    keep their key: the app shows them in the analyst's language; pickling keeps them."""
    import pickle

    warning = i18n.Text("warn.truncated", doc="d7", before=5000, after=3000, max_length=3200)
    assert isinstance(warning, str)
    assert warning == "Document 'd7' was truncated from 5000 to 3000 text tokens to fit max_length=3200."
    with i18n.language("zh"):
        shown = i18n.localize(warning)
        assert "d7" in shown and "截断" in shown
        assert str(warning).startswith("Document")            # the string itself stays English
        assert i18n.localize("plain text") == "plain text"
    again = pickle.loads(pickle.dumps(warning))
    assert again == warning and again.key == "warn.truncated" and again.params["doc"] == "d7"
