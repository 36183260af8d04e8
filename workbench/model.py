"""Domain objects: plain typed dataclasses shared by io, store, engine, compare and pages.

Images are referenced by a local file path (`image`) plus the sha256 of the file's
bytes (`image_hash`). The store keeps each image once by that hash and
materialises it to a file when a set is loaded, so every consumer (engine, OCR,
thumbnails) only ever deals with paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from .config import with_precise

LABEL_GRADES = (0, 1, 2)  # 0 = not relevant, 1 = partly relevant, 2 = relevant


def _hash(parts: list[Any]) -> str:
    blob = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


_FILE_HASHES: dict[tuple, str] = {}


def image_key(image: str | None, image_hash: str | None) -> str:
    """What stands for an image in a content hash: the sha256 of its bytes. `image_hash` when
    known (the store sets it), else the bytes of the file at `image` are hashed (again whenever
    the file changes: size, mtime or inode), never the path alone; a missing file keeps its path
    (loading it fails later with its own message)."""
    if image_hash:
        return image_hash
    if not image:
        return ""
    try:
        st = os.stat(image)
    except (OSError, ValueError):
        return image
    if not stat.S_ISREG(st.st_mode):
        return image
    key = (image, st.st_size, st.st_mtime_ns, st.st_ino)
    found = _FILE_HASHES.get(key)
    if found is None:
        h = hashlib.sha256()
        try:
            with open(image, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            return image
        found = h.hexdigest()
        if len(_FILE_HASHES) > 4096:
            _FILE_HASHES.clear()
        _FILE_HASHES[key] = found
    return found


@dataclass
class Query:
    id: str
    text: str = ""
    image: str | None = None
    image_hash: str | None = None

    @property
    def modality(self) -> str:
        return _modality(self.text, self.image)

    def content_hash(self) -> str:
        """What the model sees of the query: its text and its image bytes."""
        return _hash(["q", self.text or "", image_key(self.image, self.image_hash)])


@dataclass
class Document:
    id: str
    text: str = ""
    image: str | None = None
    image_hash: str | None = None
    ocr_text: str | None = None          # raw OCR output, as the engine read it
    ocr_edited: str | None = None        # the analyst's correction of ocr_text, if any
    description: str | None = None       # "[OCR] … [TEXT] …"; used for ranking when set
    metadata: dict[str, Any] = field(default_factory=dict)
    first_stage_score: float | None = None
    label: int | None = None

    @property
    def ranking_text(self) -> str:
        """The text the rerankers see: the description when built, else the text."""
        return (self.description or self.text or "").strip()

    @property
    def ocr_final(self) -> str | None:
        """The OCR text in force: the analyst's edit wins over the raw OCR."""
        return self.ocr_edited if self.ocr_edited is not None else self.ocr_text

    @property
    def modality(self) -> str:
        return _modality(self.ranking_text, self.image)

    def content_hash(self) -> str:
        """What the model sees of the document: ranking text and image bytes."""
        return _hash(["d", self.ranking_text, image_key(self.image, self.image_hash)])


def _modality(text: str | None, image: str | None) -> str:
    if text and image:
        return "image+text"
    if image:
        return "image"
    return "text"


@dataclass
class CandidateSet:
    """One query with its candidate documents (the unit of reranking)."""

    query: Query
    documents: list[Document]
    name: str = ""
    id: int | None = None                # database id once stored
    source: str | None = None            # file it came from

    def doc(self, doc_id: str) -> Document:
        for d in self.documents:
            if d.id == doc_id:
                return d
        raise KeyError(doc_id)

    @property
    def labels(self) -> dict[str, int]:
        return {d.id: d.label for d in self.documents if d.label is not None}

    def fingerprint(self) -> str:
        """What makes two candidate sets the same: the query and every (doc id, content, label)."""
        import json

        parts = [self.query.id, self.query.content_hash(),
                 sorted([d.id, d.content_hash(), d.label] for d in self.documents)]
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Instruction:
    text: str
    template: str | None = None          # key in config.INSTRUCTION_TEMPLATES, if from one
    precise: bool = False                # append "Be precise and avoid vague terms"

    @property
    def full(self) -> str:
        return with_precise(self.text, self.precise)

    def __str__(self) -> str:
        return self.full


@dataclass
class Result:
    """One scored document: THE result type of the engine, the store, comparisons and exports."""

    doc_id: str
    score: float
    rank: int                            # 1-based, 1 = best
    index: int | None = None             # position of the doc in the input list
    document: "Document | None" = None   # the document itself, when the engine returned it


@dataclass
class Label:
    query_id: str
    doc_id: str
    grade: int
    note: str = ""

    def __post_init__(self) -> None:
        if self.grade not in LABEL_GRADES:
            from .errors import InputError

            raise InputError.coded("labels.bad_grade", {"grade": repr(self.grade), "doc": self.doc_id})


@dataclass
class Run:
    """One *ranking*: a run's ordered list for one query (candidate set).

    A run (`RunInfo`, table ``runs``) is one configuration over many queries of a session, as
    in TREC and ranx; each of its queries' scored lists is one of these. ``id`` is the ranking
    id, ``run_id`` the run it belongs to; the configuration fields (instruction, backend,
    model, params, name, note) are the run's. ``Ranking`` is the same class."""

    instruction: str
    backend: str
    model_id: str
    set_id: int | None = None
    id: int | None = None
    query_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    status: str = "pending"              # pending | running | done | cancelled | failed | imported
    started_at: str | None = None
    finished_at: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    scores: list[Result] = field(default_factory=list)
    name: str = ""                       # display name, e.g. the template key
    note: str = ""                       # the analyst's note on the run
    run_id: int | None = None            # the run (configuration) this ranking belongs to

    def ranking(self) -> list[str]:
        return [s.doc_id for s in sorted(self.scores, key=lambda s: s.rank)]

    @property
    def label(self) -> str:
        """THE display name of a run, used wherever a run is named (pickers, chart legends,
        wide CSV headers, TREC tags): its name, else ``"<backend>: <instruction>"``."""
        if self.name:
            return self.name
        instruction = " ".join((self.instruction or "").split())
        if len(instruction) > 80:
            instruction = instruction[:77] + "..."
        return f"{self.backend}: {instruction}" if instruction else (self.backend or f"run {self.id}")

    @property
    def prompt_format(self) -> str | None:
        """The prompt format the run was scored with (None for BM25 and imported runs)."""
        value = (self.params or {}).get("prompt")
        return str(value) if value else None

    @property
    def score_kind(self) -> str:
        """"probability" (P(yes), 0..1) or "raw" (BM25, imported systems): see score_kind_of."""
        return score_kind_of(self.backend, self.status)

    @property
    def comparable(self) -> bool:
        return self.status in COMPARABLE_STATUSES


Ranking = Run


@dataclass
class RunInfo:
    """A run: one configuration (backend, model, prompt format, instruction, pixel and length
    settings, top-k: ``params``) applied to queries of one session, as in TREC and ranx. Its
    per-query lists are rankings (`Run`/`Ranking`). ``name`` is unique within the session."""

    id: int
    session_id: int
    name: str
    instruction: str
    backend: str
    model_id: str
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    created_at: str | None = None
    statuses: dict[str, int] = field(default_factory=dict)    # ranking status -> count

    @property
    def label(self) -> str:
        return self.name

    @property
    def n_rankings(self) -> int:
        return sum(self.statuses.values())

    @property
    def status(self) -> str:
        """One word for the run: 'running' while a ranking is scored, else 'done' / 'imported' /
        'pending' when every ranking is, else the most telling stop (failed, interrupted,
        cancelled: a run stopped part-way, with rankings still pending)."""
        st = self.statuses
        if st.get("running"):
            return "running"
        if not st:
            return "pending"
        if len(st) == 1:
            return next(iter(st))
        for word in ("failed", "interrupted", "cancelled"):
            if st.get(word):
                return word
        return "cancelled" if st.get("pending") else "done"

    @property
    def n_done(self) -> int:
        """Rankings finished (done or imported)."""
        return self.statuses.get("done", 0) + self.statuses.get("imported", 0)

    @property
    def prompt_format(self) -> str | None:
        value = (self.params or {}).get("prompt")
        return str(value) if value else None

    @property
    def score_kind(self) -> str:
        return score_kind_of(self.backend, "imported" if self.status == "imported" else None)


# Run statuses whose rankings can be compared and exported (a cancelled or interrupted run
# compares on the documents it scored).
COMPARABLE_STATUSES = ("done", "cancelled", "interrupted", "imported")


def score_kind_of(backend: str | None, status: str | None = None) -> str:
    """"probability" for P(yes) backends, "raw" for BM25 and imported systems."""
    if status == "imported":
        return "raw"
    from .rerank.spec import result_score_kind   # the backend's declared score kind (lazy: rerank imports model)

    return result_score_kind(backend)


def unique_run_labels(runs) -> list[str]:
    """`Run.label` for each run, made unique with ``#id`` (or ``#n``) where two collide."""
    from collections import Counter

    base = [r.label for r in runs]
    counts = Counter(base)
    out, seen = [], set()
    for i, (run, lab) in enumerate(zip(runs, base)):
        if counts[lab] > 1:
            lab = f"{lab} #{run.id if run.id is not None else i + 1}"
        while lab in seen:
            lab += "'"
        seen.add(lab)
        out.append(lab)
    return out


@dataclass(frozen=True)
class CacheKey:
    """Key of one cached score: everything that can change P(yes) for a pair."""

    model_id: str          # model id + revision / weights hash (or "bm25")
    instruction: str       # the full instruction text as sent to the model
    query_hash: str        # Query.content_hash()
    doc_hash: str          # Document.content_hash()
    params: str            # canonical JSON of the scoring parameters (pixels, max_length, dtype…)
