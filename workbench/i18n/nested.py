"""Texts inside texts: a coded error whose message wraps another error's message.

    "image 'cat.jpg' cannot be read: {reason}"      reason = the image error's own message

A plain str param would stay English when the app shows the outer error in Chinese.
`Nested` is a str (its value is the English text of the CLI, so the CLI, logs, JSON and
`str(err)` see English) that, when a template is filled, renders its own key in the *current*
language and surface: under `with i18n.language("zh")` (the app) the inner text is Chinese
too, and under `error_text(err, surface="app")` an inner fix is its app variant.

`coded(cls, code, params, **init_kw)` raises-ready: `WorkbenchError.coded` under English, so
nested params render English into `err.message` whatever the app's language is.
`rows_text(errors)` is the indented list of rejected rows some messages quote.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import language, surface, t


class Nested(str):
    """The text of catalog `key` with `params`: English as a str, the current language when formatted."""

    key: str
    params: dict

    def __new__(cls, key: str, params: dict | None = None):
        params = dict(params or {})
        with language("en"), surface("cli"):
            english = t(key, lang="en", **params)
        obj = super().__new__(cls, english)
        obj.key, obj.params = key, params
        return obj

    def __getnewargs__(self):            # copy/pickle rebuild from the key, not the English text
        return (self.key, self.params)

    def __format__(self, spec: str) -> str:
        return format(t(self.key, **self.params), spec)


class _Joined(str):
    """Several texts joined: English as a str, each part in the current language when formatted."""

    parts: list
    sep: str

    def __new__(cls, parts: Iterable[Any], sep: str):
        parts = list(parts)
        with language("en"), surface("cli"):
            english = sep.join(format(p) for p in parts)
        obj = super().__new__(cls, english)
        obj.parts, obj.sep = parts, sep
        return obj

    def __getnewargs__(self):
        return (self.parts, self.sep)

    def __format__(self, spec: str) -> str:
        return format(self.sep.join(format(p) for p in self.parts), spec)


def message_of(err: BaseException) -> str:
    """An error's message as a param: `Nested` when the error is coded, else its English text."""
    code, params = getattr(err, "code", None), getattr(err, "params", None)
    if code:
        return Nested(f"err.{code}", params)
    return str(getattr(err, "message", err))


def fix_of(err: BaseException, default: str = "") -> str:
    """An error's fix as a param (see `message_of`); `default` when it has none."""
    code, params = getattr(err, "code", None), getattr(err, "params", None)
    fix = getattr(err, "fix", None)
    if code and fix:
        return Nested(f"err.{code}.fix", params)
    return fix or default


def row_text(err: BaseException) -> str:
    """A rejected row as `str(RowError)` writes it ("file, line 3, column 'x': message\\nHow to fix: fix"),
    in the current language when formatted."""
    parts: list[Any] = []
    source, line, column = (getattr(err, "source", None), getattr(err, "line", None),
                            getattr(err, "column", None))
    if source:
        parts.append(str(source))
    if line is not None:
        parts.append(Nested("err.row.line", {"line": line}))
    if column:
        parts.append(Nested("err.row.column", {"column": column}))
    where = _Joined(parts, ", ")
    fix = fix_of(err)
    key = ("err.row.where_fix" if fix else "err.row.where") if parts else ("err.row.fix" if fix else "err.row.only")
    return Nested(key, {"where": where, "message": message_of(err), "fix": fix})


class _Indented(str):
    """A text indented by two spaces, its further lines by four (a row quoted in a message)."""

    inner: Any

    def __new__(cls, inner: Any):
        with language("en"), surface("cli"):
            english = cls._indent(format(inner))
        obj = super().__new__(cls, english)
        obj.inner = inner
        return obj

    @staticmethod
    def _indent(text: str) -> str:
        return "  " + text.replace("\n", "\n    ")

    def __getnewargs__(self):
        return (self.inner,)

    def __format__(self, spec: str) -> str:
        return format(self._indent(format(self.inner)), spec)


def rows_text(errors: Iterable[BaseException]) -> str:
    """The rows of a "nothing was imported" message: each indented, its fix on an indented line."""
    return _Joined([_Indented(row_text(e)) for e in errors], "\n")


def coded(cls, code: str, params: dict | None = None, /, **init_kw):
    """`cls.coded(...)` with nested params rendered English (the CLI's) into the error's message and fix."""
    with language("en"), surface("cli"):
        return cls.coded(code, params, **init_kw)
