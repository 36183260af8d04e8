"""Byte decoding for imported text files: BOM sniffing, UTF-8/16/32, GBK/GB18030, charset-normalizer."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from ..errors import EncodingError
from ..i18n import t

ENCODING_FIX = ("Re-save the file as UTF-8 (in Excel: 'CSV UTF-8'), or name its encoding, "
                "e.g. --encoding gbk (or encoding='gbk').")


@dataclass
class Decoded:
    """Decoded text, the encoding used, and what the analyst must be told about it."""

    text: str
    encoding: str
    bad_lines: dict[int, str] = field(default_factory=dict)   # line -> what was wrong (mixed UTF-8)
    bad_bytes: dict[int, tuple[str, int]] = field(default_factory=dict)   # line -> (byte "0x..", character)
    notes: list[str] = field(default_factory=list)


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


def _sample(text: str) -> tuple[int, str]:
    """(line, excerpt) of the first line holding non-ASCII text."""
    for n, line in enumerate(text.split("\n", 2000), start=1):
        if not line.isascii():
            line = line.strip()
            return n, (line if len(line) <= SAMPLE_CHARS else line[:SAMPLE_CHARS - 1] + "…")
    return 1, ""


def _legacy_note(text: str, encoding: str, name: str) -> str:
    line, sample = _sample(text)
    shown = t("import.note_legacy_sample", line=line, sample=repr(sample)) if sample else ""
    return t("import.note_legacy", name=name, encoding=encoding, sample=shown)


def _mixed_utf8(data: bytes) -> Decoded | None:
    """A mostly-UTF-8 file with some lines that are not: UTF-8, with those lines listed."""
    text = data.decode("utf-8", errors="surrogateescape")
    good = 0
    bad: dict[int, str] = {}
    where: dict[int, tuple[str, int]] = {}
    for n, line in enumerate(text.split("\n"), start=1):
        if line.isascii():
            continue
        hit = _ESCAPED.search(line)
        if hit is None:
            good += 1
        else:
            where[n] = (f"0x{ord(hit.group()) - 0xDC00:02x}", hit.start() + 1)
            bad[n] = f"byte {where[n][0]} at character {where[n][1]} is not valid UTF-8"
    if not bad or good < max(1, len(bad)):
        return None
    return Decoded(_ESCAPED.sub("\ufffd", text), "utf-8", bad, where)


def decode_text(data: bytes, encoding: str | None = None, source: str = "") -> Decoded:
    """Decode file bytes. Never silently wrong: a mostly-UTF-8 file stays UTF-8 and the lines that
    are not are listed in ``bad_lines``; a legacy encoding that was guessed is named in ``notes``
    with a sample line, so the analyst can check it and override it."""
    name = source or "the file"
    if encoding:
        text, used = decode_bytes(data, encoding, source)
        return Decoded(text, used)
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE,
                        codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4000]:
        text, used = decode_bytes(data, None, source)
        return Decoded(text, used)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _mixed_utf8(data)
    if mixed is not None:
        lines = sorted(mixed.bad_lines)
        shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
        mixed.notes.append(t("import.note_mixed_utf8", name=name, n=len(lines), lines=shown))
        return mixed
    text, used = _legacy(data, name)
    return Decoded(text, used, notes=[_legacy_note(text, used, name)])


def _legacy(data: bytes, name: str) -> tuple[str, str]:
    """A file that is not UTF-8 at all: GBK when it is plainly Chinese, else the detector's choice."""
    for enc in ("gb2312", "gbk", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _mostly_cjk(text):
            return text, ("gb18030" if enc == "gb18030" else "gbk")
    guessed = _guess(data)
    if guessed is not None:
        return guessed
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    raise EncodingError.coded("encoding.undetected", {"name": name})


def _mostly_cjk(text: str) -> bool:
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return False
    cjk = sum(1 for c in wide if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" or "\uac00" <= c <= "\ud7af")
    return cjk >= 0.9 * len(wide)


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
        cands = ["utf-8"]
        sample = data[:4000]
        if sample and sample.count(b"\x00") * 4 > len(sample):   # UTF-16 without a BOM
            even_nulls = sample[0::2].count(b"\x00")
            cands = ["utf-16-le" if even_nulls < sample[1::2].count(b"\x00") else "utf-16-be"]
        elif b"\x00" not in sample:
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
                "name": name, "lines": ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else ""),
                "byte": byte, "char": char, "line": lines[0]})
        return _legacy(data, name)
    if b"\x00" not in data[:4000]:
        guessed = _guess(data)
        if guessed is not None:
            return guessed
    raise EncodingError.coded("encoding.undetected", {"name": name})


def _is_gbk(data: bytes) -> bool:
    try:
        data.decode("gbk")
        return True
    except UnicodeDecodeError:
        return False


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
