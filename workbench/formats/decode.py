"""Byte decoding for imported text files: BOM sniffing, UTF-8/16/32, GBK/GB18030, charset-normalizer.

Never silently wrong, row by row: a mostly-UTF-8 file keeps UTF-8 and lists its lines that are
not (`_mixed_utf8`); a file in a legacy encoding (GBK …) lists its lines whose bytes are UTF-8
and read as UTF-8 make more sense (`_foreign_lines`): those are decoded as UTF-8 (so the
rejected-rows report shows the real text) and their rows are rejected. UTF-16 without a BOM is
recognised by where its NUL bytes sit (`utf16_without_bom`). Lines are counted the way an
editor counts them: CRLF, CR and LF each end one (`LINE_BREAK`), the same count as the CSV
reader's (`workbench.formats.tables`).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field

from ..errors import EncodingError
from ..i18n import t

ENCODING_FIX = ("Re-save the file as UTF-8 (in Excel: 'CSV UTF-8'), or name its encoding, "
                "e.g. --encoding gbk (or encoding='gbk').")

LINE_BREAK = re.compile(r"\r\n|\r|\n")            # one line break (text); CR-only = an old Mac file
_SPLIT_KEEP = re.compile(r"(\r\n|\r|\n)")


def count_breaks(text: str, start: int = 0, stop: int | None = None) -> int:
    """Line breaks in text[start:stop], CRLF counted once (start/stop not inside a CRLF)."""
    stop = len(text) if stop is None else stop
    return text.count("\n", start, stop) + text.count("\r", start, stop) - text.count("\r\n", start, stop)


@dataclass
class Decoded:
    """Decoded text, the encoding used, and what the analyst must be told about it."""

    text: str
    encoding: str
    bad_lines: dict[int, str] = field(default_factory=dict)   # line -> what was wrong
    bad_bytes: dict[int, tuple[str, int]] = field(default_factory=dict)   # line -> (byte "0x..", character)
    notes: list[str] = field(default_factory=list)
    # line -> {"other": the encoding the line was read in, "sample": its text so, "byte", "char": its
    # first byte that is not ASCII}: a line in another encoding than the rest (err.encoding.foreign_row)
    foreign: dict[int, dict] = field(default_factory=dict)


_ESCAPED = re.compile("[\udc80-\udcff]")
SAMPLE_CHARS = 60


def check_codec(encoding: str) -> str:
    """The codec's name; EncodingError for unknown codecs and for non-text codecs (base64, zlib, rot13)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise EncodingError.coded("encoding.unknown", {"encoding": encoding}) from None
    if not getattr(info, "_is_text_encoding", True):
        raise EncodingError.coded("encoding.not_text", {"encoding": encoding, "transform": info.name})
    return info.name


def _short(line: str) -> str:
    line = line.strip()
    return line if len(line) <= SAMPLE_CHARS else line[:SAMPLE_CHARS - 1] + "…"


def _sample(text: str, skip: frozenset[int] | set[int] = frozenset()) -> tuple[int, str]:
    """(line, excerpt) of the first line holding non-ASCII text among the first 2000 (lines in
    `skip`, read in another encoding, left out)."""
    pos = 0
    for n in range(1, 2001 + len(skip)):
        m = LINE_BREAK.search(text, pos)
        if n not in skip:
            line = text[pos:m.start() if m else len(text)]
            if not line.isascii():
                return n, _short(line)
        if m is None:
            break
        pos = m.end()
    return 1, ""


def _legacy_note(text: str, encoding: str, name: str, skip: set[int] | None = None) -> str:
    line, sample = _sample(text, skip or set())
    shown = t("import.note_legacy_sample", line=line, sample=repr(sample)) if sample else ""
    return t("import.note_legacy", name=name, encoding=encoding, sample=shown)


def _lines_shown(lines: list[int]) -> str:
    return ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")


class _Utf8Lines:
    """The file decoded as UTF-8 with its bad bytes escaped, split into lines (breaks kept):
    which non-ASCII lines are valid UTF-8 (`good`) and where the others first go wrong (`where`)."""

    def __init__(self, data: bytes):
        self.text = data.decode("utf-8", errors="surrogateescape")
        self.parts = _SPLIT_KEEP.split(self.text)       # line, break, line, break, …, line
        self.good: list[int] = []
        self.where: dict[int, tuple[str, int]] = {}
        for i in range(0, len(self.parts), 2):
            line = self.parts[i]
            if line.isascii():
                continue
            hit = _ESCAPED.search(line)
            if hit is None:
                self.good.append(i // 2 + 1)
            else:
                self.where[i // 2 + 1] = (f"0x{ord(hit.group()) - 0xDC00:02x}", hit.start() + 1)

    def line(self, n: int) -> str:
        return self.parts[2 * (n - 1)]


def _mixed_utf8(data: bytes, lines: _Utf8Lines | None = None) -> Decoded | None:
    """A mostly-UTF-8 file with some lines that are not: UTF-8, with those lines listed."""
    lines = lines or _Utf8Lines(data)
    if not lines.where or len(lines.good) < max(1, len(lines.where)):
        return None
    bad = {n: f"byte {b} at character {c} is not valid UTF-8" for n, (b, c) in lines.where.items()}
    return Decoded(_ESCAPED.sub("\ufffd", lines.text), "utf-8", bad, dict(lines.where))


def decode_text(data: bytes, encoding: str | None = None, source: str = "") -> Decoded:
    """Decode file bytes. Never silently wrong: a mostly-UTF-8 file stays UTF-8 and the lines that
    are not are listed in ``bad_lines``; a legacy encoding that was guessed is named in ``notes``
    with a sample line, so the analyst can check it and override it, and its lines that are
    UTF-8 instead are listed in ``bad_lines`` / ``foreign``."""
    name = source or "the file"
    if encoding:
        text, used = decode_bytes(data, encoding, source)
        return Decoded(text, used)
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE,
                        codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, used = decode_bytes(data, None, source)
        return Decoded(text, used)
    wide = utf16_without_bom(data)
    if wide:
        return Decoded(_decode_strict(data, wide, name), wide)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    lines = _Utf8Lines(data)
    mixed = _mixed_utf8(data, lines)
    if mixed is not None:
        shown = _lines_shown(sorted(mixed.bad_lines))
        mixed.notes.append(t("import.note_mixed_utf8", name=name, n=len(mixed.bad_lines), lines=shown))
        return mixed
    return _legacy_rows(data, lines, name)


def _decode_strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        head = data[: exc.start - exc.start % 2] if "16" in encoding else data[: exc.start]
        line = count_breaks(head.decode(encoding, errors="replace")) + 1
        raise EncodingError.coded("encoding.invalid_bytes", {"name": name, "encoding": encoding,
                                                             "byte": f"0x{data[exc.start]:02x}",
                                                             "line": line}) from None


# ------------------------------------------------------------------ a legacy file, line by line
def _char_sense(c: str) -> float | None:
    """How plausible one character is in text (None for ASCII): common Chinese (GB2312 level 1,
    CJK punctuation, full-width forms) and Latin letters 1, the rest of GB2312 0.5, else 0."""
    if c.isascii():
        return None
    try:
        lead = c.encode("gb2312")[0]
    except UnicodeEncodeError:
        return 1.0 if "\u00c0" <= c <= "\u024f" and unicodedata.category(c).startswith("L") else 0.0
    return 1.0 if lead in (0xA1, 0xA3) or 0xB0 <= lead <= 0xD7 else 0.5


def sense(text: str) -> float:
    """Mean plausibility of a text's non-ASCII characters (1.0 when it has none)."""
    scores = [s for s in map(_char_sense, text) if s is not None]
    return sum(scores) / len(scores) if scores else 1.0


def _legacy_rows(data: bytes, lines: _Utf8Lines, name: str) -> Decoded:
    """A file that is not UTF-8: its encoding chosen from the lines that are not valid UTF-8;
    each line that is valid UTF-8 and reads better so is decoded as UTF-8 and listed as foreign."""
    guess = b"\x00" not in data                        # a binary-looking file gets no detector guess
    candidates = lines.good
    if not candidates:
        text, used = _legacy(data, name, guess)
        return Decoded(text, used, notes=[_legacy_note(text, used, name)])
    parts = list(lines.parts)
    for n in candidates:
        parts[2 * (n - 1)] = ""
    rest = "".join(parts).encode("utf-8", errors="surrogateescape")
    _, used = _legacy(rest, name, guess)
    foreign: dict[int, dict] = {}
    for n in candidates:
        line = lines.line(n)
        raw = line.encode("utf-8")
        try:
            there = raw.decode(used)
        except UnicodeDecodeError:
            there = None
        if there is None or sense(line) > sense(there):
            first = next(i for i, ch in enumerate(line) if not ch.isascii())
            foreign[n] = {"other": "UTF-8", "sample": _short(line), "byte": f"0x{raw[len(line[:first].encode())]:02x}",
                          "char": first + 1}
    if not foreign:                    # every line decodes in `used`: the file is plainly that
        text = _decode_strict(data, used, name)
        return Decoded(text, used, notes=[_legacy_note(text, used, name)])
    pieces: list[str] = []
    chunk: list[str] = []
    for i, part in enumerate(lines.parts):
        n = i // 2 + 1
        if i % 2 == 0 and n in foreign:
            pieces.append(_decode_strict("".join(chunk).encode("utf-8", errors="surrogateescape"), used, name))
            chunk = []
            pieces.append(part)                              # this line as UTF-8
        else:
            chunk.append(part)
    pieces.append(_decode_strict("".join(chunk).encode("utf-8", errors="surrogateescape"), used, name))
    text = "".join(pieces)
    bad = {n: f"the line is {f['other']}, not {used}" for n, f in foreign.items()}
    where = {n: (f["byte"], f["char"]) for n, f in foreign.items()}
    order = sorted(foreign)
    notes = [_legacy_note(text, used, name, set(foreign)),
             t("import.note_foreign_lines", name=name, encoding=used, other="UTF-8", n=len(order),
               lines=_lines_shown(order))]
    return Decoded(text, used, bad, where, notes, foreign)


def _legacy(data: bytes, name: str, guess: bool = True) -> tuple[str, str]:
    """A file that is not UTF-8 at all: GBK when it is plainly Chinese, else the detector's choice."""
    for enc in ("gb2312", "gbk", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _mostly_cjk(text):
            return text, ("gb18030" if enc == "gb18030" else "gbk")
    guessed = _guess(data) if guess else None
    if guessed is not None:
        return guessed
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    raise EncodingError.coded("encoding.undetected", {"name": name})


_CJK = re.compile("[\u3000-\u9fff\uff00-\uffef\uac00-\ud7af]+")


def _mostly_cjk(text: str) -> bool:
    """At least 90% of the non-ASCII characters are CJK (counted at C speed)."""
    wide = len(text) - len(text.encode("ascii", errors="ignore"))
    if not wide:
        return False
    cjk = len(text) - len(_CJK.sub("", text))
    return cjk >= 0.9 * wide


# ------------------------------------------------------------------ UTF-16 without a BOM
_UTF16_SAMPLE = 1 << 16
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" for UTF-16 text without a BOM, else None.

    ASCII characters (delimiters, line breaks, ids, the header) are a byte and a NUL: the NUL
    second in little-endian, first in big-endian. So the file's byte pairs with one NUL lean
    to one side; a NUL run in a UTF-8 file (pairs of two NULs, or both sides alike) does not.
    The sample must then decode strictly and its first line must be a readable header."""
    if len(data) % 2 or b"\x00" not in data[:_UTF16_SAMPLE]:
        return None
    sample = data[:_UTF16_SAMPLE]
    lo, hi = sample[0::2], sample[1::2]
    both = sum(1 for i in range(0, len(sample), 2) if sample[i] == 0 and sample[i + 1] == 0) \
        if sample.count(b"\x00\x00") else 0
    le = hi.count(0) - both                       # (byte, NUL): ASCII in little-endian
    be = lo.count(0) - both
    if max(le, be) < 2 or max(le, be) < 2 * min(le, be):
        return None
    enc = "utf-16-le" if le > be else "utf-16-be"
    try:
        text = codecs.getincrementaldecoder(enc)().decode(sample, final=len(sample) == len(data))
    except UnicodeDecodeError:
        return None
    m = LINE_BREAK.search(text)
    if m is None and len(sample) < len(data):
        return None
    first = text[: m.start() if m else len(text)]
    if not any(d in first for d in ",\t;{[") or _CONTROL.search(first) or "\x00" in first:
        return None
    if len(_CONTROL.findall(text)) > 0.01 * len(text):
        return None
    return enc


def decode_bytes(data: bytes, encoding: str | None = None, source: str = "") -> tuple[str, str]:
    """Decode file bytes -> (text, encoding used). BOM sniff, UTF-8, GB18030, charset-normalizer.

    Without `encoding`, a file that is not entirely valid in the encoding found is an
    EncodingError naming the lines (see `decode_text` for the row-by-row variant)."""
    name = source or "the file"
    if encoding:
        check_codec(encoding)
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8") and data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise EncodingError.coded("encoding.invalid_bytes", {"name": name, "encoding": encoding,
                                                                 "byte": f"0x{data[exc.start]:02x}",
                                                                 "line": line}) from None
    if data.startswith(codecs.BOM_UTF8):
        cands = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        cands = ["utf-32"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        cands = ["utf-16"]
    else:
        wide = utf16_without_bom(data)
        cands = [wide] if wide else ["utf-8"]
        if not wide and b"\x00" not in data[:4000]:
            cands.append("gb18030")
    for enc in cands:
        if enc == "gb18030":
            break                         # legacy encodings: decided by _legacy / _mixed_utf8 below
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return text, enc
    if cands and cands[-1] == "gb18030":
        mixed = _mixed_utf8(data)
        if mixed is not None:
            lines = sorted(mixed.bad_lines)
            byte, char = mixed.bad_bytes[lines[0]]
            raise EncodingError.coded("encoding.mixed_utf8", {
                "name": name, "lines": _lines_shown(lines), "byte": byte, "char": char, "line": lines[0]})
        return _legacy(data, name)
    if b"\x00" not in data[:4000]:
        guessed = _guess(data)
        if guessed is not None:
            return guessed
    raise EncodingError.coded("encoding.undetected", {"name": name})


def _guess(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) by charset_normalizer's best guess, or None when it has none."""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # pragma: no cover - optional helper failing is not the analyst's fault
        return None
    if best is not None and best.encoding:
        return str(best), best.encoding
    return None
