"""Resource limits for imported files, each overridable through an environment variable.

A small hostile file must never take big resources: every limit below is checked
before the resource it protects is spent - a ZIP's declared sizes and ratio before
anything is unpacked, an image's byte size before it is read (issue 21) - and again
while the data streams in (never trusting sizes a file declares about itself); each
error names the setting to raise. README "Limits and guarantees" lists them.

    setting                     default   what it limits
    WORKBENCH_MAX_ZIP_MB         2048     bytes unpacked from one ZIP, all members together
    WORKBENCH_MAX_ZIP_RATIO       200     unpacked : packed size of a whole ZIP and of one member (above 1 MB)
    WORKBENCH_MAX_ZIP_MEMBERS   100000    entries in one ZIP
    WORKBENCH_MAX_TABLE_MB        128     size of one CSV/TSV/JSONL file (after unpacking)
    WORKBENCH_MAX_FIELD_MB         16     one CSV field (a document text)
    WORKBENCH_MAX_LINE_MB          32     one CSV row / JSONL line
    WORKBENCH_MAX_COLUMNS       10000     columns of a CSV header / keys of the JSON rows
    WORKBENCH_MAX_JSON_DEPTH       64     nesting of arrays/objects in one JSON value
    WORKBENCH_MAX_IMAGE_MB         64     one image file (as stored in the database)
"""

from __future__ import annotations

from dataclasses import dataclass

from . import config
from .errors import InputError

MB = 2**20


@dataclass(frozen=True)
class Limit:
    env: str
    default: float
    unit: str            # "MB", "x" (ratio) or "" (a count)
    what: str

    def value(self) -> float:
        raw = config.env(self.env)
        if not raw:
            return self.default
        try:
            out = float(raw)
        except ValueError:
            raise InputError.coded("limits.not_a_number", {"env": self.env, "value": raw,
                                   "default": f"{self.default:g}{self.unit and ' ' + self.unit}"}) from None
        if out <= 0:
            raise InputError.coded("limits.not_positive", {"env": self.env, "value": raw,
                                                           "default": f"{self.default:g}"})
        return out

    def bytes(self) -> int:
        return int(self.value() * MB)

    def count(self) -> int:
        return int(self.value())

    def shown(self) -> str:
        v = self.value()
        return f"{v:g} {self.unit}".strip() if self.unit != "x" else f"{v:g}:1"

    def exceeded(self, code: str, params: dict | None = None) -> InputError:
        """The error for a file beyond this limit, naming the setting to raise: a coded error
        (catalog key err.<code>) whose texts get the fields {limit} (shown), {env}, {now} and
        {example} (a value 4 times the current one) besides `params`."""
        return InputError.coded(code, {**(params or {}), "limit": self.shown(), "env": self.env,
                                       "now": f"{self.value():g}", "example": f"{max(self.value() * 4, 1):g}"})


ZIP_TOTAL = Limit("WORKBENCH_MAX_ZIP_MB", 2048, "MB", "everything a ZIP unpacks to")
ZIP_RATIO = Limit("WORKBENCH_MAX_ZIP_RATIO", 200, "x", "compression ratio of a ZIP and of one entry")
ZIP_MEMBERS = Limit("WORKBENCH_MAX_ZIP_MEMBERS", 100_000, "", "entries in one ZIP")
TABLE_SIZE = Limit("WORKBENCH_MAX_TABLE_MB", 128, "MB", "size of one candidate file")
FIELD_SIZE = Limit("WORKBENCH_MAX_FIELD_MB", 16, "MB", "one CSV field")
LINE_SIZE = Limit("WORKBENCH_MAX_LINE_MB", 32, "MB", "one row of the file")
COLUMNS = Limit("WORKBENCH_MAX_COLUMNS", 10_000, "", "columns of one file")
JSON_DEPTH = Limit("WORKBENCH_MAX_JSON_DEPTH", 64, "", "nesting depth of one JSON value")
IMAGE_SIZE = Limit("WORKBENCH_MAX_IMAGE_MB", 64, "MB", "one image file")

ALL = [ZIP_TOTAL, ZIP_RATIO, ZIP_MEMBERS, TABLE_SIZE, FIELD_SIZE, LINE_SIZE, COLUMNS, JSON_DEPTH, IMAGE_SIZE]
RATIO_FLOOR = MB      # the ratio limit applies once an entry (or the archive) unpacks more than this


def table() -> list[tuple[str, str, str]]:
    """(setting, current value, what it limits) for docs and `workbench doctor`."""
    return [(lim.env, lim.shown(), lim.what) for lim in ALL]
