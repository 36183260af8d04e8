"""Backend parity: do two backends (local engine, vLLM chat, vLLM /v1/rerank, `workbench serve`)
give the same scores for the same pairs?

Serving engines fail quietly: a chat template's whitespace, a missing generation prompt or a
wrong yes/no token moves every score (often to ~0.5) without any error. `parity_report`
puts numbers on it: max and mean |Δscore| over all pairs, Kendall τ-b per query (mean and
minimum), top-10 overlap per query, and a one-line verdict. `score_both` scores candidate
sets with two rerankers; `runs_parity` compares stored runs (the Compare page's "backend
parity": two runs with the same instruction and different backends).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .errors import InputError

IDENTICAL = 1e-4      # max |Δ| at or below: the same computation up to float noise
CLOSE = 1e-2          # max |Δ| at or below (with τ >= 0.99): numerically close
FLAT_STD = 0.01       # a side whose scores all sit within this of each other is "flat"

Key = tuple[str, str]   # (query_id, doc_id)


@dataclass
class ParityReport:
    n_pairs: int
    n_queries: int
    max_abs_diff: float
    mean_abs_diff: float
    kendall_tau: float | None          # mean over queries with >= 2 documents
    kendall_tau_min: float | None
    top10_overlap: float | None        # mean share of the top 10 (or all, if fewer) in common
    verdict: str
    ok: bool
    worst: list[tuple[str, str, float, float]] = field(default_factory=list)  # (query, doc, a, b)
    label_a: str = "A"
    label_b: str = "B"

    def lines(self) -> list[str]:
        tau = "n/a" if self.kendall_tau is None else f"{self.kendall_tau:.4f} (min {self.kendall_tau_min:.4f})"
        ov = "n/a" if self.top10_overlap is None else f"{self.top10_overlap:.3f}"
        out = [f"A: {self.label_a}", f"B: {self.label_b}",
               f"pairs: {self.n_pairs} over {self.n_queries} quer{'y' if self.n_queries == 1 else 'ies'}",
               f"max |Δscore|:  {self.max_abs_diff:.3g}", f"mean |Δscore|: {self.mean_abs_diff:.3g}",
               f"Kendall τ (per query): {tau}", f"top-10 overlap: {ov}"]
        if self.worst and self.max_abs_diff > IDENTICAL:
            q, d, a, b = self.worst[0]
            out.append(f"largest difference: query '{q}', document '{d}': {a:.6f} vs {b:.6f}")
        out.append(f"verdict: {self.verdict}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("n_pairs", "n_queries", "max_abs_diff", "mean_abs_diff",
                                               "kendall_tau", "kendall_tau_min", "top10_overlap",
                                               "verdict", "ok", "label_a", "label_b")}


def _flat(values: list[float]) -> bool:
    return len(values) >= 4 and statistics.pstdev(values) < FLAT_STD


def parity_report(a: dict[Key, float], b: dict[Key, float], *, label_a: str = "A",
                  label_b: str = "B", k: int = 10, tolerance: float = IDENTICAL) -> ParityReport:
    """Compare two score maps {(query_id, doc_id): score} over the pairs both have.
    `ok` is True when max |Δ| <= `tolerance` (default 1e-4: the same computation)."""
    from scipy.stats import kendalltau

    common = [key for key in a if key in b]
    if not common:
        raise InputError.coded("parity.no_common_pairs")
    diffs = [abs(float(a[key]) - float(b[key])) for key in common]
    by_query: dict[str, list[str]] = {}
    for q, d in common:
        by_query.setdefault(q, []).append(d)
    taus: list[float] = []
    overlaps: list[float] = []
    for q, docs in by_query.items():
        sa = [float(a[(q, d)]) for d in docs]
        sb = [float(b[(q, d)]) for d in docs]
        if len(docs) >= 2:
            tau = kendalltau(sa, sb).statistic
            if tau == tau:  # NaN when one side is constant
                taus.append(float(tau))
            else:
                taus.append(1.0 if sa == sb else 0.0)
        n = min(k, len(docs))
        top_a = {docs[i] for i in sorted(range(len(docs)), key=lambda i: -sa[i])[:n]}
        top_b = {docs[i] for i in sorted(range(len(docs)), key=lambda i: -sb[i])[:n]}
        overlaps.append(len(top_a & top_b) / n if n else 1.0)
    mx = max(diffs)
    mean = sum(diffs) / len(diffs)
    tau = sum(taus) / len(taus) if taus else None
    tau_min = min(taus) if taus else None
    overlap = sum(overlaps) / len(overlaps) if overlaps else None
    flat_a = _flat([float(a[key]) for key in common])
    flat_b = _flat([float(b[key]) for key in common])
    if mx <= IDENTICAL:
        verdict = f"identical (max |Δ| {mx:.1e} <= {IDENTICAL:g}): the same scores up to float noise"
    elif flat_a != flat_b:
        side = label_b if flat_b else label_a
        verdict = (f"DIFFERENT: {side} gives nearly the same score to every pair (the classic symptom of a "
                   "wrong chat template, a missing generation prompt or wrong yes/no tokens); check its "
                   "prompt format / template")
    elif mx <= CLOSE and (tau is None or tau >= 0.99):
        verdict = (f"close, not identical (max |Δ| {mx:.1e}, τ {tau if tau is not None else 1:.3f}): expected "
                   "between dtypes (bfloat16 vs float32) or kernels; with the same dtype on both sides it "
                   "points at a prompt difference (format, template whitespace, image resizing)")
    elif tau is not None and tau >= 0.9:
        verdict = (f"DIFFERENT but correlated (max |Δ| {mx:.2g}, τ {tau:.3f}): check dtype, image resizing "
                   "(min/max pixels) and the prompt format on both sides")
    else:
        verdict = (f"DIFFERENT (max |Δ| {mx:.2g}, τ {tau if tau is not None else float('nan'):.3f}): the "
                   "backends do not score the same; check the model, the prompt format/template "
                   "(whitespace matters) and image settings")
    ok = mx <= tolerance
    order = sorted(range(len(common)), key=lambda i: -diffs[i])[:5]
    worst = [(common[i][0], common[i][1], float(a[common[i]]), float(b[common[i]])) for i in order]
    return ParityReport(n_pairs=len(common), n_queries=len(by_query), max_abs_diff=mx, mean_abs_diff=mean,
                        kendall_tau=tau, kendall_tau_min=tau_min, top10_overlap=overlap, verdict=verdict,
                        ok=ok, worst=worst, label_a=label_a, label_b=label_b)


def score_both(reranker_a, reranker_b, sets: Iterable, instruction: str | None = None, *,
               cache=None, progress: Callable[[str, int, int], None] | None = None
               ) -> tuple[dict[Key, float], dict[Key, float]]:
    """Score every candidate set with both rerankers: ({(qid, did): score}, {...})."""
    out_a: dict[Key, float] = {}
    out_b: dict[Key, float] = {}
    for cset in sets:
        for rr, out, tag in ((reranker_a, out_a, "A"), (reranker_b, out_b, "B")):
            report = (lambda d, t, tag=tag, q=cset.query.id: progress(f"{tag} {q}", d, t)) if progress else None
            ranked = rr.rank(cset.query, cset.documents, instruction, cache=cache, progress=report)
            for r in ranked:
                out[(cset.query.id, r.doc_id)] = float(r.score)
    return out_a, out_b


def runs_parity(runs_a: Iterable, runs_b: Iterable) -> ParityReport:
    """Backend parity of stored runs (each a `Run` with scores): runs are matched by query id."""
    runs_a, runs_b = list(runs_a), list(runs_b)

    def scores(runs) -> dict[Key, float]:
        return {(r.query_id, s.doc_id): float(s.score) for r in runs for s in r.scores}

    def label(runs) -> str:
        r = runs[0] if runs else None
        return f"{r.backend} {r.model_id} {r.params.get('protocol', '')}".strip() if r else "?"

    return parity_report(scores(runs_a), scores(runs_b), label_a=label(runs_a), label_b=label(runs_b))
