"""Table rows from CSV/TSV and JSONL/JSON-array text, with per-row errors (line + column).

A row that cannot be read becomes a :class:`RawRow` carrying a :class:`RowError`; the
header is checked for the candidate columns. No validation of the values happens here
(that is :mod:`workbench.formats.candidates`).
"""

from __future__ import annotations

import bisect
import csv
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import limits
from ..errors import InputError, RowError
from ..i18n import t
from .decode import LINE_BREAK, Decoded, count_breaks

REQUIRED_COLUMNS = ("query_id", "query_text", "query_image", "doc_id", "doc_text", "doc_image")
OPTIONAL_COLUMNS = ("label", "first_stage_score", "ocr_text", "ocr_edited", "description")
# Common names understood for the canonical columns (used only when the canonical name is absent).
COLUMN_ALIASES = {"text": "doc_text", "document": "doc_text", "doc": "doc_text", "image": "doc_image",
                  "query": "query_text", "qid": "query_id", "docid": "doc_id"}


def column_map(names: list[str]) -> dict[str, str]:
    """canonical column -> the file's own column name, aliases included."""
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    canon = {n.lower(): n for n in names if n.lower() in known}
    for n in names:
        alias = COLUMN_ALIASES.get(n.lower())
        if alias and alias not in canon:
            canon[alias] = n
    return canon
# ocr_text / ocr_edited / description round-trip what `workbench ocr --input` writes.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")


def row_error(message: str, fix: str, *, line: int | None, column: str | None,
               source: str | None, values: Mapping[str, Any] | None = None) -> RowError:
    err = RowError(message, fix, line=line, column=column, source=source)
    err.values = dict(values or {})  # the original row, for rejected_csv()
    return err


def coded_row_error(code: str, params: dict | None = None, *, line: int | None, column: str | None,
                    source: str | None, values: Mapping[str, Any] | None = None) -> RowError:
    """A rejected row whose texts come from the catalogs (err.<code>), see WorkbenchError.coded."""
    from ..i18n import nested
    err = nested.coded(RowError, code, params, line=line, column=column, source=source)
    err.values = dict(values or {})  # the original row, for rejected_csv()
    return err


def cell_text(v: Any) -> str:
    """A cell as stripped text ('' for None / NaN)."""
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    return v.strip() if isinstance(v, str) else str(v)


@dataclass
class RawRow:
    line: int
    values: dict[str, Any]
    error: RowError | None = None
    end_line: int | None = None          # the row's last line, when it runs over several


def unique_names(header: list[str]) -> list[str]:
    """Unnamed and repeated columns get unique names (no value is lost); linear time."""
    names: list[str] = []
    taken: set[str] = set()
    next_n: dict[str, int] = {}
    for i, h in enumerate(header):
        h = h or f"column_{i + 1}"
        base = h
        n = next_n.get(base, 2)
        while h in taken:
            h, n = f"{base}.{n}", n + 1
        next_n[base] = n
        taken.add(h)
        names.append(h)
    return names


def _too_many_columns(n: int, source: str) -> InputError:
    return limits.COLUMNS.exceeded("table.too_many_columns", {"name": source, "count": f"{n:,}"})


def _field_too_big(line: int, source: str) -> RowError:
    lim = limits.FIELD_SIZE
    return coded_row_error("csv.field_too_big", {"limit": lim.shown(), "env": lim.env, "now": f"{lim.value():g}",
                                                 "example": f"{lim.value() * 4:g}"},
                           line=line, column=None, source=source)


def _row_too_long(line: int, size: int | None, source: str, values: dict) -> RowError:
    lim = limits.LINE_SIZE
    params = {"limit": lim.shown(), "env": lim.env, "now": f"{lim.value():g}", "example": f"{lim.value() * 4:g}"}
    if size:
        return coded_row_error("table.row_too_long_size", {**params, "mb": f"{size / 2**20:,.1f}"},
                               line=line, column=None, source=source, values=values)
    return coded_row_error("table.row_too_long", params, line=line, column=None, source=source, values=values)


_LONG = "\x00\x01workbench: line over the row limit\x01\x00"
NUL_CELL = 4            # a cell with this many NUL bytes holds binary data: its row is rejected


class _Lines:
    """The text's lines for csv.reader, each with its own line break (CRLF, CR or LF, mixed as a
    spreadsheet or an old Mac tool writes them), without copying the text into a StringIO (4
    bytes per character). `count` is the number of lines handed out so far, `pos` where the next
    one starts; `seek` moves on to a record's true end after a row the reader could not read
    (the reader is then at the start of a record). A line longer than `max_line` is never
    handed over: a marker stands in for it, and the row holding the marker is rejected."""

    def __init__(self, text: str, max_line: int):
        self.text, self.max_line = text, max_line
        self.pos = self.count = 0
        self._cr = "\r" in text

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        text, start = self.text, self.pos
        n = len(text)
        if start >= n:
            raise StopIteration
        if self._cr:
            m = LINE_BREAK.search(text, start)
            body, stop = (n, n) if m is None else (m.start(), m.end())
        else:
            end = text.find("\n", start)
            body, stop = (n, n) if end == -1 else (end, end + 1)
        self.pos = stop
        self.count += 1
        if body - start > self.max_line:
            return _LONG + text[body:stop]
        return text[start:stop]

    def seek(self, pos: int) -> None:
        if pos >= self.pos:
            self.count += count_breaks(self.text, self.pos, pos)
        else:
            self.count -= count_breaks(self.text, pos, self.pos)
        self.pos = pos


_FIELD_TAIL: dict[str, re.Pattern] = {}


def scan_record(text: str, pos: int, delimiter: str) -> tuple[int, list[int], int | None]:
    """Where the CSV record starting at `pos` really ends, read the way csv.reader reads it
    (a quote opens a quoted field only at the field's start, "" inside is a quote, text after
    the closing quote belongs to the field): (position after its line break, each field's
    length, index of a field whose quote is never closed, else None). Only rows that csv.reader
    could not read come here, so a field over the limit never makes the reader start again
    inside it."""
    tail = _FIELD_TAIL.get(delimiter)
    if tail is None:
        tail = _FIELD_TAIL[delimiter] = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    n = len(text)
    sizes: list[int] = []
    while True:
        size = 0
        if pos < n and text[pos] == '"':
            p = pos + 1
            while True:
                q = text.find('"', p)
                if q == -1:                              # never closed: the field runs to the end
                    sizes.append(size + n - p)
                    return n, sizes, len(sizes) - 1
                size += q - p
                if text.startswith('""', q):
                    size, p = size + 1, q + 2
                    continue
                pos = q + 1
                break
        m = tail.match(text, pos)
        size += m.end() - pos
        pos = m.end()
        sizes.append(size)
        if pos >= n:
            return n, sizes, None
        if text[pos] == delimiter:
            pos += 1
            continue
        return pos + (2 if text.startswith("\r\n", pos) else 1), sizes, None


def _column_of(names: list[str], index: int | None) -> str | None:
    if index is None:
        return None
    return names[index] if index < len(names) else f"field {index + 1} (after '{names[-1]}')"


def _unread_row(text: str, start: int, line: int, delimiter: str, names: list[str], lines: _Lines,
                source: str, reason: str | None) -> RawRow:
    """A row csv.reader could not read (a field over the limit: `reason` None), or one holding a
    line over the row limit (`reason` "long"): rejected, and reading goes on at its true end."""
    end, sizes, unclosed = scan_record(text, start, delimiter)
    lines.seek(end)
    last = _last_line(text, start, end, line)
    field_max = limits.FIELD_SIZE.bytes()
    if unclosed is not None:
        err = _quote_not_closed(line, last, sizes[unclosed], _column_of(names, unclosed), source, {})
    elif reason == "long":
        err = _row_too_long(line, None, source, {})
    elif reason:
        err = coded_row_error("csv.bad_row", {"reason": reason}, line=line, column=None, source=source)
    else:
        big = next((i for i, s in enumerate(sizes) if s > field_max), None)
        if big is None:
            err = _field_too_big(line, source)
        else:
            lim = limits.FIELD_SIZE
            err = coded_row_error("csv.field_over_limit", {
                "mb": _mb(sizes[big]), "last": f"{last:,}", "limit": lim.shown(),
                "env": lim.env, "now": f"{lim.value():g}", "example": f"{max(lim.value() * 4, sizes[big] / 2**20 * 2):g}"},
                line=line, column=_column_of(names, big), source=source)
    return RawRow(line, {}, err)


def _last_line(text: str, start: int, end: int, line: int) -> int:
    """The last line of a record that starts at `start` on `line` and ends at `end`."""
    return max(line, line + count_breaks(text, start, end) - (1 if text[end - 1:end] in ("\r", "\n") else 0))


def _mb(size: int) -> str:
    mb = size / 2**20
    return f"{mb:,.1f}" if mb >= 0.1 else f"{mb:.3g}"


def _quote_not_closed(line: int, last: int, size: int, column: str | None, source: str, values: dict) -> RowError:
    return coded_row_error("csv.quote_not_closed", {"first": line, "last": f"{last:,}", "mb": _mb(size)},
                           line=line, column=column, source=source, values=values)


def _binary_cell(fields: list[str], names: list[str], line: int, source: str) -> RowError | None:
    """A cell holding NUL_CELL or more NUL bytes is binary data, not text: its row is rejected
    (a stray NUL in a text is removed later, see candidates._clean_rows)."""
    for i, f in enumerate(fields):
        nul = f.count("\x00")
        if nul >= NUL_CELL:
            values = {names[k] if k < len(names) else f"extra_{k + 1}":
                      re.sub("\x00+", lambda m: f"\\0×{len(m.group())}", v) for k, v in enumerate(fields)}
            return coded_row_error("csv.binary_cell", {"count": f"{nul:,}"}, line=line,
                                   column=_column_of(names, i), source=source, values=values)
    return None


def parse_csv(text: str, source: str, delimiter: str | None = None, *,
               check: bool = True) -> tuple[list[str], list[RawRow], list[str]]:
    notes: list[str] = []
    if delimiter is None:   # comma, or tab / semicolon when the header clearly uses those
        m = LINE_BREAK.search(text, 0, limits.LINE_SIZE.bytes())
        first = text[:m.start() if m else limits.LINE_SIZE.bytes()]
        delimiter = max((",", "\t", ";"), key=lambda d: (first.count(d), d == ","))
    csv.field_size_limit(max(limits.FIELD_SIZE.bytes(), 1))
    max_columns = limits.COLUMNS.count()
    max_row = limits.LINE_SIZE.bytes()
    lines = _Lines(text, max_row)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError.coded("csv.empty", {"name": source, "columns": ", ".join(REQUIRED_COLUMNS)}) from None
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise limits.FIELD_SIZE.exceeded("csv.header_field_too_big", {"name": source}) from None
        raise InputError.coded("csv.bad_header", {"name": source, "reason": str(exc)}) from None
    if any(_LONG in h for h in header):
        raise limits.LINE_SIZE.exceeded("csv.header_too_long", {"name": source})
    if len(header) > max_columns:
        raise _too_many_columns(len(header), source)
    header = [h.strip().lstrip("\ufeff") for h in header]
    if check:
        check_header(header, source)
    names = unique_names(header)
    rows: list[RawRow] = []
    blank = 0
    has_nul = "\x00" in text
    last_start = last_row = None
    while True:
        start, pos = lines.count + 1, lines.pos
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            reason = None if "field limit" in str(exc) else str(exc)
            rows.append(_unread_row(text, pos, start, delimiter, names, lines, source, reason))
            continue
        if not fields or all(not f.strip() for f in fields):
            blank += 1
            continue
        size = sum(map(len, fields))
        if any(_LONG in f for f in fields):
            rows.append(_unread_row(text, pos, start, delimiter, names, lines, source, "long"))
            continue
        if size > max_row:
            rows.append(RawRow(start, {}, _row_too_long(start, size, source, {})))
            continue
        last_start, last_row = pos, len(rows)
        if has_nul:
            err = _binary_cell(fields, names, start, source)
            if err is not None:
                rows.append(RawRow(start, err.values, err))
                continue
        if len(fields) != len(names):
            values = {names[i] if i < len(names) else f"extra_{i + 1}": v for i, v in enumerate(fields)}
            counts = {"fields": len(fields), "columns": len(names)}
            if len(fields) < len(names):
                col = names[len(fields)]
                code, counts["column"] = "csv.fields_missing", col
            else:
                col = f"field {len(names) + 1} (after '{names[-1]}')"
                code = "csv.fields_extra"
            err = coded_row_error(code, counts, line=start, column=col, source=source, values=values)
            rows.append(RawRow(start, values, err))
            continue
        rows.append(RawRow(start, dict(zip(names, fields)), end_line=lines.count))
    if last_row is not None and rows[last_row].error is None and '"' in text[last_start:]:
        end, sizes, unclosed = scan_record(text, last_start, delimiter)     # the last row: a quote left open?
        if unclosed is not None:
            row = rows[last_row]
            row.error = _quote_not_closed(row.line, _last_line(text, last_start, end, row.line), sizes[unclosed],
                                          _column_of(names, unclosed), source, row.values)
    if blank:
        notes.append(t("import.note_blank_rows", n=blank))
    return names, rows, notes


def reject_bad_lines(rows: list[RawRow], decoded: Decoded, source: str) -> None:
    """Rows that start on, or run over, a line the decoder flagged (not valid in the file's
    encoding, or in another encoding than the rest) are rejected, naming the line and byte."""
    bad = decoded.bad_bytes
    lines = sorted(bad)
    encoding = decoded.encoding
    for k, row in enumerate(rows):
        if row.error is not None:
            continue
        end = row.end_line or (rows[k + 1].line - 1 if k + 1 < len(rows) else row.line)
        i = bisect.bisect_left(lines, row.line)
        if i < len(lines) and lines[i] <= max(end, row.line):
            hit = lines[i]
            params = {"line": hit, "encoding": encoding.upper(), "byte": bad[hit][0], "char": bad[hit][1]}
            code = "encoding.bad_row"
            if hit in decoded.foreign:
                params.update(decoded.foreign[hit])
                code = "encoding.foreign_row"
            row.error = coded_row_error(code if hit == row.line else code + "_line", params,
                                        line=row.line, column=None, source=source, values=row.values)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(text: str, start: int = 0, stop_at_zero: bool = False) -> tuple[int, int]:
    """(deepest nesting of arrays/objects, end position) of JSON text, in linear time
    without decoding it (brackets inside strings are skipped). With `stop_at_zero` the scan
    ends where the first value opened at `start` closes."""
    depth = deepest = 0
    pos = start
    for m in _JSON_TOKEN.finditer(text, start):
        c = m.group()
        pos = m.end()
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
            if stop_at_zero and depth <= 0:
                return deepest, pos
    return deepest, pos


def _too_deep(depth: int, line: int, source: str) -> RowError:
    lim = limits.JSON_DEPTH
    return coded_row_error("json.too_deep", {"depth": f"{depth:,}", "limit": lim.shown(), "env": lim.env,
                                             "now": f"{lim.value():g}"}, line=line, column=None, source=source)


def _json_array_lines(text: str, source: str) -> Iterator[tuple[int, str]]:
    """(line, JSON text) for each element of a top-level JSON array, keeping line numbers.
    An element nested deeper than the limit is yielded with its depth error instead of text."""
    dec = json.JSONDecoder()
    idx = text.index("[") + 1
    ws = re.compile(r"[\s,]*")
    max_depth = limits.JSON_DEPTH.count()
    line, counted = 1, 0
    while True:
        idx = ws.match(text, idx).end()
        if idx >= len(text):
            raise InputError.coded("json.array_not_closed", {"name": source})
        if text[idx] == "]":
            return
        line += text.count("\n", counted, idx)        # incremental: linear over the whole file
        counted = idx
        if text[idx] in "[{":
            depth, end = json_depth(text, idx, stop_at_zero=True)
            if depth > max_depth:
                yield line, _DepthError(depth)
                idx = end
                continue
        try:
            _, end = dec.raw_decode(text, idx)
        except json.JSONDecodeError as exc:
            raise InputError.coded("json.invalid", {"name": source, "line": exc.lineno, "reason": exc.msg}) from None
        except (ValueError, RecursionError) as exc:     # e.g. an integer of more than 4300 digits
            if "digits" in str(exc):
                raise InputError.coded("json.number_too_long", {"name": source, "line": line}) from None
            raise InputError.coded("json.bad_value", {"name": source, "line": line, "reason": str(exc)}) from None
        yield line, text[idx:end]
        idx = end


class _DepthError(str):
    """Stands in for an array element that is nested too deep (carries its depth)."""

    def __new__(cls, depth: int):
        obj = super().__new__(cls, "")
        obj.depth = depth
        return obj


def parse_jsonl(text: str, source: str, *, check: bool = True) -> tuple[list[str], list[RawRow], list[str]]:
    rows: list[RawRow] = []
    names: list[str] = []
    notes: list[str] = []
    blank = 0
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("["):      # a .json file holding an array of row objects
        items: Iterable[tuple[int, str]] = list(_json_array_lines(text, source))
    else:
        # split on newlines only: str.splitlines() also breaks at U+2028, \x1c… that JSON strings may hold
        # CRLF, CR (old Mac) and LF end a line, mixed too: the decoder counts lines the same way
        body = LINE_BREAK.split(text)
        if body and body[-1] == "":
            body.pop()
        items = enumerate(body, start=1)
    max_depth = limits.JSON_DEPTH.count()
    max_row = limits.LINE_SIZE.bytes()
    max_columns = limits.COLUMNS.count()
    seen: set[str] = set()
    for i, raw in items:
        if isinstance(raw, _DepthError):
            rows.append(RawRow(i, {}, _too_deep(raw.depth, i, source)))
            continue
        if not raw.strip():
            blank += 1
            continue
        if len(raw) > max_row:
            rows.append(RawRow(i, {}, _row_too_long(i, len(raw), source, {})))
            continue
        if raw.count("[") + raw.count("{") > max_depth:       # cheap pre-check, then the exact depth
            depth = json_depth(raw)[0]
            if depth > max_depth:
                rows.append(RawRow(i, {}, _too_deep(depth, i, source)))
                continue
        try:
            obj = json.loads(raw)
        except RecursionError:
            rows.append(RawRow(i, {}, _too_deep(json_depth(raw)[0], i, source)))
            continue
        except json.JSONDecodeError as exc:
            rows.append(RawRow(i, {"raw": raw}, coded_row_error(
                "json.line_invalid", {"reason": exc.msg, "char": exc.colno},
                line=i, column=None, source=source, values={"raw": raw})))
            continue
        except ValueError as exc:                       # e.g. an integer of more than 4300 digits
            rows.append(RawRow(i, {"raw": raw}, coded_row_error(
                "json.line_number_too_long" if "digits" in str(exc) else "json.line_bad_value",
                {} if "digits" in str(exc) else {"reason": str(exc)},
                line=i, column=None, source=source, values={"raw": raw})))
            continue
        if not isinstance(obj, dict):
            rows.append(RawRow(i, {"raw": raw}, coded_row_error(
                "json.line_not_object", {}, line=i, column=None, source=source, values={"raw": raw})))
            continue
        values = {str(k).strip(): ("" if v is None else v) for k, v in obj.items()}
        for k in values:
            if k not in seen:
                seen.add(k)
                names.append(k)
        if len(names) > max_columns:
            raise _too_many_columns(len(names), source)
        rows.append(RawRow(i, values))
    if blank:
        notes.append(t("import.note_blank_lines", n=blank))
    if not names and not rows:
        raise InputError.coded("json.empty", {"name": source, "columns": ", ".join(REQUIRED_COLUMNS)})
    if names and check:
        check_header(names, source)
    return names, rows, notes


def check_header(names: list[str], source: str) -> None:
    """Required columns present, known columns not repeated. Linear in the number of columns;
    common aliases (`text`, `image`, `query` …) count as their canonical column."""
    aliased = {orig: c for c, orig in column_map(names).items()}
    lowered = [aliased.get(n, n.lower()) for n in names]
    counts: dict[str, int] = {}
    for n in lowered:
        counts[n] = counts.get(n, 0) + 1
    # ids are required; each side needs its text or its image column (a text-only file need
    # not carry empty image columns, an image-only one no empty text columns)
    missing = [c for c in ("query_id", "doc_id") if c not in counts]
    for side in ("query", "doc"):
        if f"{side}_text" not in counts and f"{side}_image" not in counts:
            missing.append(f"{side}_text or {side}_image")
    if missing:
        shown = ", ".join(names[:20]) + (f", … ({len(names):,} columns)" if len(names) > 20 else "")
        raise InputError.coded("table.missing_columns" if shown else "table.no_columns",
                               {"name": source, "missing": ", ".join(missing), "found": shown,
                                "columns": ", ".join(REQUIRED_COLUMNS)})
    dupes = sorted(n for n, c in counts.items() if c > 1 and n in REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
    if dupes:
        raise InputError.coded("table.duplicate_columns", {"name": source, "columns": ", ".join(dupes)})
