"""The words of the app, in English and 中文: one catalog per language.

    en.py   MESSAGES: key -> English text      zh.py   MESSAGES: key -> 中文
    t("home.title")                          -> the text in the current language
    tn("count.sets", n)                      -> "1 set" / "3 sets" ("|" separates one|many)
    with language("zh"): ...                 -> a block in another language
    error_text(err, surface="app")           -> (message, fix) of a WorkbenchError, translated
    with surface("app"): ...                 -> a block whose texts are said for the app

Keys are dotted: "<page or area>.<name>"; "err.<code>" / "err.<code>.fix" are the library
errors' texts (see `WorkbenchError.coded`). Templates use str.format fields ({name}); data
goes in as values, never into a template, so braces in data are safe.

Surfaces: the texts are written for the command line ("cli", the default). A text whose
advice differs in the app (a fix that names a CLI flag: "--encoding gbk", "--model PATH")
has an app variant under the same key plus ".app" ("err.<code>.fix.app",
"import.note_legacy.app"), filled from the same params. Under `with surface("app")` (the
app's error display, its imports, its doctor checks) `t(key)` says `key + ".app"` when the
catalog has it, else `key`; texts nested in a message or fix (i18n.nested) follow. The
English texts a library error or `Text` keeps (`err.message`, `err.fix`, `str(text)`) are
always the CLI's.

The current language is a context variable: the app sets it once per script run from the
URL (?lang=zh), the CLI leaves it English. tests/test_i18n.py fails when a key used in the
code is missing from either catalog, when the catalogs' keys differ, or when a template's
fields differ between the two languages.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import string
from typing import Any, Callable, Iterator

from ..errors import printable
from . import en, zh

CATALOGS: dict[str, dict[str, str]] = {"en": en.MESSAGES, "zh": zh.MESSAGES}
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}
DEFAULT = "en"

SURFACES = ("cli", "app")
APP_SUFFIX = ".app"            # key + APP_SUFFIX: the text said in the app, when it differs

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("workbench_language", default=None)
_surface: contextvars.ContextVar[str] = contextvars.ContextVar("workbench_surface", default="cli")
# Where a thread that never set the language finds it (the app: the browser tab's choice, for
# widget callbacks that Streamlit runs before app.py); None -> English.
_fallback: Callable[[], str | None] | None = None
_log = logging.getLogger("workbench")


def normalize(lang: object) -> str | None:
    """'zh', 'zh-CN', 'zh_Hans_CN', 'ZH' -> 'zh'; 'en-GB' -> 'en'; anything else -> None."""
    text = str(lang or "").strip().lower().replace("_", "-")
    base = text.split("-", 1)[0]
    return base if base in CATALOGS else None


def from_locale(locale: object) -> str:
    """The UI language for a browser locale (st.context.locale), English when unknown."""
    return normalize(locale) or DEFAULT


def set_language(lang: object) -> str:
    """Make `lang` the current language of this thread/context; returns the one chosen."""
    chosen = normalize(lang) or DEFAULT
    _current.set(chosen)
    return chosen


def get_language() -> str:
    lang = _current.get()
    if lang is None and _fallback is not None:
        try:
            lang = normalize(_fallback())
        except Exception:  # noqa: BLE001 - no tab in this thread: English
            lang = None
    return lang or DEFAULT


def set_fallback(resolver: Callable[[], str | None] | None) -> None:
    """Where `get_language` looks when this thread/context set no language (see _fallback)."""
    global _fallback
    _fallback = resolver


@contextlib.contextmanager
def language(lang: object) -> Iterator[str]:
    token = _current.set(normalize(lang) or DEFAULT)
    try:
        yield get_language()
    finally:
        _current.reset(token)


def get_surface() -> str:
    """"cli" (the default) or "app": whose wording `t` chooses (see the module docstring)."""
    return _surface.get()


@contextlib.contextmanager
def surface(name: str) -> Iterator[str]:
    """A block whose texts are said for `name` ("cli" or "app"): under "app", `t(key)` uses
    `key + ".app"` where the catalog has one."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; one of {SURFACES}")  # i18n: not UI text
    token = _surface.set(name)
    try:
        yield name
    finally:
        _surface.reset(token)


_surface_block = surface          # for error_text, whose `surface` argument hides the name


def has(key: str, lang: str | None = None) -> bool:
    return key in CATALOGS[lang or get_language()]


def _template(key: str, lang: str) -> str:
    catalog = CATALOGS.get(lang) or CATALOGS[DEFAULT]
    if _surface.get() == "app":
        text = catalog.get(key + APP_SUFFIX)
        if text is not None:
            return text
    text = catalog.get(key)
    if text is None:
        text = CATALOGS[DEFAULT].get(key)
        _log.warning("UI text %r is missing in the %s catalog", key, lang)
    if text is None:
        return key           # tests/test_i18n.py fails on this; the app still shows something
    return text


def _fill(template: str, params: dict[str, Any]) -> str:
    if not params and "{" not in template:
        return template
    try:
        return printable(template.format(**params))     # data never brings control bytes along
    except (KeyError, IndexError, ValueError) as err:
        _log.warning("UI text %r could not be filled: %s", template[:60], err)
        return template


def t(key: str, /, lang: str | None = None, **params: Any) -> str:
    """The text of `key` in the current language (or `lang`), its {fields} filled (a `Text`
    field is said in that language too)."""
    lang = lang or get_language()
    params = {k: (t(v.key, lang, **v.params) if isinstance(v, Text) else v) for k, v in params.items()}
    return _fill(_template(key, lang), params)


def tn(key: str, n: int, /, lang: str | None = None, **params: Any) -> str:
    """A counted text: the template's "one|many" forms are chosen by n ({n} is filled)."""
    forms = _template(key, lang or get_language()).split("|")
    template = forms[0] if (n == 1 or len(forms) == 1) else forms[-1]
    return _fill(template, {"n": n, **params})


def fields(template: str) -> set[str]:
    """The {fields} a template uses (for the catalog tests)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template)
            if name}


def error_text(err: BaseException, lang: str | None = None, surface: str = "cli") -> tuple[str, str | None]:
    """(message, fix) of a library error in the current language (or `lang`), said for
    `surface`: "cli", or "app", where a fix has its app variant "err.<code>.fix.app" (else
    "err.<code>.fix"; an inner error's text quoted in the message or fix follows too).

    A coded error (`WorkbenchError.coded`) is rendered from the catalog with its params.
    An error without a code keeps its English message and fix (the catalog test lists the
    codes; uncoded errors are the CLI's own)."""
    lang = lang or get_language()
    code = getattr(err, "code", None)
    params = dict(getattr(err, "params", None) or {})
    if code and has(f"err.{code}", lang):
        with _surface_block(surface):
            message = t(f"err.{code}", lang=lang, **params)
            fix = t(f"err.{code}.fix", lang=lang, **params) if has(f"err.{code}.fix", lang) else None
        return message, fix
    return str(getattr(err, "message", err)), getattr(err, "fix", None)


class Text(str):
    """An English text that keeps its catalog key and fields: the CLI and the logs use it as
    the plain string it is; the app shows `localize(text)` in the analyst's language. For
    warnings and notes the library builds before anyone knows who will read them.

        self._warn(Text("warn.truncated", doc=doc.id, before=n, after=k, max_length=m))
    """

    key: str
    params: dict

    def __new__(cls, key: str, /, **params: Any) -> "Text":
        with surface("cli"):
            english = t(key, lang="en", **params)
        obj = super().__new__(cls, english)
        obj.key = key
        obj.params = params
        return obj

    def __reduce__(self):
        return (_text, (self.key, self.params))


def _text(key: str, params: dict) -> Text:
    return Text(key, **params)


def localize(text: object) -> str:
    """A `Text` in the current language; any other value as it is."""
    if isinstance(text, Text):
        return t(text.key, **text.params)
    return str(text)

