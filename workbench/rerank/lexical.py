"""Lexical BM25 baseline: what many production systems still run ("the old TF-IDF logic").

It scores each document's text (`Document.ranking_text`, plus the OCR text when
the description does not already carry it) against the **query text** with
Okapi BM25 (Lucene variant, k1=1.5, b=0.75; the numbers of bm25s' "lucene" method, computed
for the query's terms only: `bm25_scores`). The corpus statistics (IDF,
average length) are those of the candidate set being ranked.

- The instruction is ignored: BM25 has no notion of one. Comparing instructions
  on this backend therefore gives identical rankings, by design.
- Scores are raw BM25 values (>= 0, unbounded), NOT probabilities; only the
  order within one set is meaningful. A query with no word in any document
  scores 0 everywhere and keeps the input order.
- Tokenisation: runs of CJK characters through jieba's search mode
  (`cut_for_search`, which also emits the sub-words of long words); everything else
  (Latin, digits, other scripts) as lowercase `\w+` word tokens, without jieba (it
  cost ~80% of the time on English text and split some English words into
  dictionary sub-grams); bm25s' English stopwords removed.
- Scores depend on the whole candidate set, so this backend does not use the
  per-pair score cache.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ..model import Document, Query
from .base import Reranker
from .spec import LEXICAL, result_score_kind

_WORD = re.compile(r"\w", re.UNICODE)
_WORDS = re.compile(r"\w+", re.UNICODE)
# CJK ideographs (unified, extension A, compatibility), kana and hangul: what jieba segments
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_jieba = None
_stopwords: frozenset[str] | None = None


def _get_jieba():
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba


def _stop() -> frozenset[str]:
    global _stopwords
    if _stopwords is None:
        from bm25s.stopwords import STOPWORDS_EN

        _stopwords = frozenset(STOPWORDS_EN)
    return _stopwords


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens, English stopwords (bm25s' list) removed; CJK runs via
    jieba.cut_for_search, the rest as `\w+` words (jieba is not even imported for them)."""
    if not text:
        return []
    stop = _stop()
    if not _CJK.search(text):
        return [t for t in _WORDS.findall(text.lower()) if t not in stop]
    jieba = _get_jieba()
    out: list[str] = []
    pos = 0
    for m in _CJK.finditer(text):
        if m.start() > pos:
            out.extend(t for t in _WORDS.findall(text[pos:m.start()].lower()) if t not in stop)
        for t in jieba.cut_for_search(m.group(0)):
            t = t.strip().lower()
            if t and _WORD.search(t) and t not in stop:
                out.append(t)
        pos = m.end()
    if pos < len(text):
        out.extend(t for t in _WORDS.findall(text[pos:].lower()) if t not in stop)
    return out


def document_text(doc: Document) -> str:
    text = doc.ranking_text
    ocr = (doc.ocr_final or "").strip()
    if ocr and ocr not in text:
        text = f"{text}\n{ocr}" if text else ocr
    return text


def bm25_scores(corpus: list[list[str]], query: list[str], k1: float = 1.5, b: float = 0.75) -> list[float]:
    """Okapi BM25, Lucene variant, of each tokenised document for the tokenised query, with the
    corpus statistics of `corpus` itself: the numbers bm25s' ``BM25(method="lucene")`` gives
    (float32; a query token counts once per occurrence), computed for the query's terms only
    instead of indexing the whole vocabulary (bm25s spent most of a rank there: one index per
    query). idf = ln(1 + (N - df + 0.5) / (df + 0.5)); term score = idf * tf / (tf + k1 * (1 - b +
    b * len / avg_len))."""
    import math

    import numpy as np

    n = len(corpus)
    if not n or not query:
        return [0.0] * n
    weight: dict[str, int] = {}
    for t in query:
        weight[t] = weight.get(t, 0) + 1
    lens = [len(d) for d in corpus]
    avg = sum(lens) / n
    tf: list[dict[str, int]] = []
    df: dict[str, int] = dict.fromkeys(weight, 0)
    for doc in corpus:
        counts: dict[str, int] = {}
        for t in doc:
            if t in weight:
                counts[t] = counts.get(t, 0) + 1
        for t in counts:
            df[t] += 1
        tf.append(counts)
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items() if d}
    out = []
    for counts, length in zip(tf, lens):
        norm = k1 * ((1 - b) + b * length / avg)
        out.append(sum(weight[t] * idf[t] * c / (c + norm) for t, c in counts.items()))
    return [float(v) for v in np.asarray(out, dtype=np.float32)]


class LexicalReranker(Reranker):
    spec = LEXICAL
    backend = LEXICAL.name
    model_id = "bm25"
    cacheable = LEXICAL.cacheable
    score_kind = result_score_kind(LEXICAL.name)   # "raw": BM25 values are >= 0, unbounded, not probabilities

    def __init__(self, k1: float = 1.5, b: float = 0.75, batch_size: int = 256, **_ignored: Any):
        self.k1 = float(k1)
        self.b = float(b)
        self.batch_size = max(1, int(batch_size))
        self._scores: dict[int, float] = {}

    def params(self) -> dict[str, Any]:
        return {"k1": self.k1, "b": self.b, "method": "lucene", "tokenizer": "cjk-jieba-search+words+lower"}

    def rank(self, query, docs, instruction=None, *, progress=None, cancel=None, **kwargs):
        """`Reranker.rank`; tokenising (nearly all of BM25's time: jieba) counts as progress,
        document by document, and stops within one document when `cancel` is set."""
        self._watch = (progress, cancel)
        try:
            return super().rank(query, docs, instruction, progress=progress, cancel=cancel, **kwargs)
        finally:
            self._watch = (None, None)

    def _prepare(self, instruction: str, query: Query, docs: list[Document]) -> None:
        progress, cancel = getattr(self, "_watch", (None, None))
        corpus = []
        for i, d in enumerate(docs):
            if cancel is not None and cancel.is_set():
                from ..errors import Cancelled

                raise Cancelled.coded("rank.cancelled_before_scoring", {"done": 0, "total": len(docs)},
                                      done=0, total=len(docs))
            corpus.append(tokenize(document_text(d)) or ["\u2205"])
            if progress is not None and i + 1 < len(docs):
                progress(i + 1, len(docs))      # scoring after tokenising is instant
        values = bm25_scores(corpus, tokenize(query.text or ""), self.k1, self.b)
        self._scores = {id(d): v for d, v in zip(docs, values)}

    def _stream(self, instruction: str, query: Query, docs: list[Document], missing: list[int],
                plan: list[list[int]]):
        """BM25 scores the set as a whole once it is tokenised (`_prepare`, which reports progress
        per document): one group, so the progress count never goes back after tokenising."""
        yield missing, self._score_batch(instruction, query, [docs[i] for i in missing])

    def _pair_tokens(self, instruction: str, pairs: list[tuple[Query, Document]], prepared: Any,
                     wanted: bool) -> list[int]:
        """BM25's 'prompt tokens' (only when asked: it tokenises again): the words of query + document."""
        if not wanted:
            return [0] * len(pairs)
        lengths: dict[int, int] = {}
        out = []
        for q, d in pairs:
            if id(q) not in lengths:
                lengths[id(q)] = len(tokenize(q.text or ""))
            out.append(lengths[id(q)] + len(tokenize(document_text(d))))
        return out

    def _score_batch(self, instruction: str, query: Query, docs: list[Document]) -> list[float]:
        missing = [d for d in docs if id(d) not in self._scores]
        if missing:
            self._prepare(instruction, query, docs)
        return [self._scores[id(d)] for d in docs]
