"""Byte decoding for imported text files: BOM sniffing, UTF-8/16/32, GBK/GB18030, charset-normalizer."""

from __future__ import annotations

import codecs

from ..errors import EncodingError

ENCODING_FIX = ("Re-save the file as UTF-8 (in Excel: 'CSV UTF-8'), or name its encoding, "
                "e.g. --encoding gbk (or encoding='gbk').")


def decode_bytes(data: bytes, encoding: str | None = None, source: str = "") -> tuple[str, str]:
    """Decode file bytes -> (text, encoding used). BOM sniff, UTF-8, GB18030, charset-normalizer."""
    name = source or "the file"
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise EncodingError(f"Unknown encoding '{encoding}'.",
                                "Use a Python codec name such as utf-8, utf-8-sig, utf-16, gbk or gb18030.") from None
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8") and data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise EncodingError(f"{name} is not valid {encoding}: byte 0x{data[exc.start]:02x} on line {line} "
                                "cannot be decoded.",
                                "Pass the file's real encoding (e.g. --encoding gbk), leave out --encoding to detect it, "
                                "or re-save the file as UTF-8.") from None
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
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return text, ("gbk" if enc == "gb18030" and _is_gbk(data) else enc)
    if b"\x00" not in data[:4000]:
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(data).best()
        except Exception:  # pragma: no cover - optional helper failing is not the analyst's fault
            best = None
        if best is not None and best.encoding:
            return str(best), best.encoding
    raise EncodingError(f"Could not work out the text encoding of {name} (tried UTF-8, UTF-16, GBK/GB18030); "
                        "it may be a binary file such as .xlsx.", ENCODING_FIX)


def _is_gbk(data: bytes) -> bool:
    try:
        data.decode("gbk")
        return True
    except UnicodeDecodeError:
        return False
