"""The one user-facing error family.

Every WorkbenchError carries a message that says what went wrong *and* a `fix`
that tells the analyst what to do about it: message + fix per surface (cli, app) +
stable code. The CLI prints `str(err)`, which combines both; the app shows
`i18n.error_text(err, surface="app")` (ui.errors.show_error). Anything that is not a
WorkbenchError is a bug.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path


def shell_quote(value: object) -> str:
    """Quote a name or path for pasting into a POSIX shell (one word, nothing expands).

    Every fix-it message that suggests a command builds it with this, so a session
    named ``$(touch /tmp/pwned)`` is printed as ``'$(touch /tmp/pwned)'``. Control
    characters (newlines, escapes) are shown as ``\\n``-style escapes first, so a
    name cannot break the printed line or the terminal either.
    """
    text = str(value)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        text = text.encode("unicode_escape").decode("ascii")
    return shlex.quote(text)


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with its control characters shown as escapes (``\\x00``, ``\\x1b``, ``\\u202e``): NUL
    bytes, terminal escapes, a bare CR, bidi overrides and lone surrogates never reach a terminal or
    a page; line breaks and tabs stay. Every catalog text is filled through it (i18n._fill), so
    data quoted in a message (a column name, a sample line, a file name) is printable."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                            else f"\\u{ord(m.group()):04x}", text)


def shell_command(*words: object) -> str:
    """A whole suggested command line, every word quoted (``workbench`` etc. stay readable)."""
    return " ".join(shell_quote(w) for w in words)


class WorkbenchError(Exception):
    """Base class: message + fix per surface (cli, app) + stable code.

    `message` says what is wrong, `fix` says how to fix it. An error raised with `coded`
    also carries a stable `code` and its `params`: its texts live in the catalogs
    (workbench/i18n, keys "err.<code>" and "err.<code>.fix"), so the app can show it in the
    analyst's language. `message`/`fix` are always the English texts of the command line
    (the CLI and the logs use them).

    Surfaces: a fix that names a CLI flag ("--encoding gbk", "--model PATH") has an app
    variant, "err.<code>.fix.app", that says what to do in the app instead ("choose gbk
    under Text encoding on the Import page"); `i18n.error_text(err, surface="app")` uses
    it, else "err.<code>.fix". So an error the app can show whose fix names a CLI flag is
    raised with `coded` (tests/test_i18n.py checks that no app variant names a flag and
    that every uncoded error outside the CLI's own code has no flag in its fix); an uncoded
    error's message and fix are the same on both surfaces."""

    code: str | None = None
    params: dict | None = None

    def __init__(self, message: str, fix: str | None = None):
        self.message = message
        self.fix = fix
        super().__init__(self.__str__())

    @classmethod
    def coded(cls, code: str, params: dict | None = None, /, **init_kw):
        """`raise InputError.coded("encoding.not_text", {"codec": name})`: the English message
        and fix come from the catalog; `init_kw` go to the class (e.g. line=, column=)."""
        from .i18n import has, surface, t

        params = dict(params or {})
        with surface("cli"):            # err.message / err.fix: the CLI's words, wherever raised
            message = t(f"err.{code}", lang="en", **params)
            fix = t(f"err.{code}.fix", lang="en", **params) if has(f"err.{code}.fix", "en") else None
        err = cls(message, fix, **init_kw)
        err.code = code
        err.params = params
        return err

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message}\nHow to fix: {self.fix}"
        return self.message


class InputError(WorkbenchError):
    """Bad input file or value supplied by the analyst."""


class RowError(InputError):
    """One rejected row of an imported file, with where it is and why."""

    def __init__(self, message: str, fix: str | None = None, *, line: int | None = None,
                 column: str | None = None, source: str | None = None):
        self.line = line
        self.column = column
        self.source = source
        super().__init__(message, fix)

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column '{self.column}'")
        prefix = printable(", ".join(where) + ": ") if where else ""
        text = prefix + self.message
        if self.fix:
            text += f"\nHow to fix: {self.fix}"
        return text


class EncodingError(InputError):
    """A text file could not be decoded."""


class ImageError(InputError):
    """An image could not be read or decoded."""


# Image intake: each bad-file case has its own class and a `.kind` tag for the UI.
class _KindedImageError(ImageError):
    kind = "unreadable"

    def __init__(self, message: str, fix: str | None = None, *, path: str | Path | None = None):
        self.path = str(path) if path is not None else None
        super().__init__(message, fix)


class ImageNotFound(_KindedImageError):
    kind = "missing"


class EmptyImageFile(_KindedImageError):
    kind = "empty"


class NotAnImage(_KindedImageError):
    kind = "not_image"


class TruncatedImage(_KindedImageError):
    kind = "truncated"


class ImageTooLarge(_KindedImageError):
    kind = "bomb"


class UnreadableImage(_KindedImageError):
    kind = "unreadable"


class NothingImported(InputError):
    """An import found no valid row at all."""


class BackendUnavailable(WorkbenchError):
    """A backend's optional dependency is missing; `fix` names the pip install."""


class ModelNotFound(WorkbenchError):
    """The configured model path / id could not be loaded."""


class OCRError(WorkbenchError):
    """OCR engine problem (tesseract missing, language missing, timeout)."""


class TesseractMissing(OCRError):
    kind = "tesseract_missing"


class LanguageMissing(OCRError):
    kind = "language_missing"


class OcrTimeout(OCRError):
    kind = "timeout"


class OcrFailed(OCRError):
    kind = "failed"


class StoreError(WorkbenchError):
    """Database problem (unknown session, run, locked file, newer schema)."""


class NotFound(StoreError):
    """A named session, set or run does not exist."""


class Cancelled(WorkbenchError):
    """Long work was cancelled by the analyst; partial results are kept."""

    def __init__(self, message: str = "Cancelled by the analyst.", fix: str | None = None,
                 *, done: int = 0, total: int = 0):
        self.done = done
        self.total = total
        super().__init__(message, fix)
