"""Does a run discriminate? Score spread per run, the 'barely discriminates' rule and its remedies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import INSTRUCTION_TEMPLATES, PRECISE_SUFFIX
from ..i18n import t
from ..model import Run
from .runs import (
    _as_groups,
    ordered_scores,
    query_key,
    run_label,
)

# --------------------------------------------------------------------------- discrimination

# The remedies in English (the CLI's); `remedies()` gives them in the current language.
# The templates written for one scenario (web and QA are the generic ones).
SCENARIO_TEMPLATES = ("e-commerce", "papers", "legal", "product similarity")

# No template is named as THE fix: a run knows nothing of its queries' scenario (the Compare page
# suggests one only where the queries show it, see `suggest_template`).
REMEDIES = (
    ("Use a scenario-specific instruction instead of a generic one: say what the documents are and what "
     f"makes one relevant (a template only where it is your scenario: {', '.join(SCENARIO_TEMPLATES)})."),
    "Give the model more concrete documents: add the OCR text, a product description or "
    "key attributes so each document carries evidence to judge.",
    f"Append \"{PRECISE_SUFFIX}\" to the instruction (the 'Be precise' option).",
)



def remedies() -> list[str]:
    """The three remedies of a run that barely discriminates, in the current language."""
    return [t("advice.remedy_template", templates=t("advice.list_sep").join(SCENARIO_TEMPLATES)),
            t("advice.remedy_documents"), t("advice.remedy_precise", suffix=PRECISE_SUFFIX)]


# Words in the queries that show a scenario template fits them (English and Chinese). A template
# is suggested only on such evidence: a generic instruction over expense-policy questions gets no
# "use the e-commerce template" tip. The generic templates (web, QA) are never suggested.
TEMPLATE_EVIDENCE: dict[str, tuple[str, ...]] = {
    "e-commerce": ("buy", "price", "cheap", "shop", "shopping", "product", "products", "sale", "discount",
                   "order online", "shoes", "sneakers", "shirt", "t-shirt", "jacket", "dress", "jeans", "bag",
                   "handbag", "phone case", "brand", "size", "商品", "购买", "价格", "便宜", "包邮", "优惠",
                   "鞋", "衣服", "外套", "裙", "同款", "款式", "尺码", "品牌"),
    "papers": ("paper", "papers", "research", "study", "studies", "arxiv", "abstract", "journal", "survey",
               "citation", "论文", "研究", "文献", "期刊", "综述"),
    "legal": ("court", "case law", "precedent", "ruling", "judgment", "judgement", "statute", "plaintiff",
              "defendant", "lawsuit", "litigation", "法院", "判决", "判例", "案例", "诉讼", "原告", "被告"),
    "product similarity": ("similar to", "looks like", "alternative to", "same style", "相似", "类似", "相同款"),
}


def _mentions(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(r"(?<![a-z0-9])" + re.escape(word) + r"(?![a-z0-9])", text) is not None
    return word in text


def suggest_template(texts, exclude=()) -> str | None:
    """The scenario template whose words occur in the most of `texts` (the queries), or None when
    none occurs, or when two templates are equally likely: no evidence, no suggestion.
    Templates in `exclude` (those the runs already use) are never suggested."""
    lowered = [" ".join(str(x or "").lower().split()) for x in texts]
    hits = {key: sum(any(_mentions(text, w) for w in words) for text in lowered)
            for key, words in TEMPLATE_EVIDENCE.items() if key not in set(exclude)}
    best = max(hits.values(), default=0)
    winners = [key for key, n in hits.items() if n == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


# Thresholds of the "scores barely discriminate" rule (see `discrimination`).
MID_LOW, MID_HIGH = 0.4, 0.6
MAX_SHARE_MID = 0.5
MIN_STD = 0.05
MIN_IQR = 0.1
MAX_SHARE_TIED = 0.5
MIN_DOCS = 3


@dataclass
class Discrimination:
    """How well one run's scores separate its documents."""

    label: str
    query_id: str
    n: int
    std: float
    iqr: float
    top1_minus_median: float
    share_mid: float | None          # share of scores in [0.4, 0.6]; None unless probabilities
    share_tied: float                # largest share of documents sharing one exact score
    probabilistic: bool              # all scores within [0, 1]
    flagged: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def remedies(self) -> list[str]:
        return remedies() if self.flagged else []

    @property
    def message(self) -> str:
        if not self.flagged:
            return ""
        return t("advice.message", reasons=t("advice.clause_sep").join(self.reasons),
                 remedies=" ".join(f"({i}) {r}" for i, r in enumerate(remedies(), 1)))


def discrimination(run: Run, label: str | None = None) -> Discrimination:
    """Spread statistics of one run's scores and the "scores barely discriminate" flag.

    Statistics: population std, interquartile range (Q3 − Q1), top-1 score minus the
    median, share of scores in [0.4, 0.6], and the largest share of documents that
    share one exact score.

    The rule (only with at least 3 scored documents). A run is flagged when:

    * **share tied ≥ 0.5** (any scale): half the candidates got one identical score, so
      their order is arbitrary — e.g. BM25 giving 0 to every document without a query term.
    * Only for runs whose `Run.score_kind` is "probability" (Lychee's P(yes)):
      - **share in [0.4, 0.6] ≥ 0.5**: the model is unsure about half the candidates; a
        coin-flip band that wide means the instruction does not tell it what to look for;
      - **std < 0.05**: all scores sit within a few points of each other, so small input
        noise (OCR errors, image resizing) can reorder the list;
      - **IQR < 0.1**: the middle half of the list is packed into under a tenth of the
        probability scale — the ranking of the bulk is not trustworthy even if one
        outlier keeps std up.

    These thresholds are on the probability scale, so they would misfire on BM25 or
    imported scores (score_kind "raw", even when they happen to lie in [0, 1]); those only
    get the scale-free tie rule. A uniform spread over
    [0, 1] has std ≈ 0.29, IQR ≈ 0.5 and share-mid ≈ 0.2, far from every threshold.
    """
    lab = label if label is not None else run_label(run)
    x = np.array([s.score for s in run.scores if s.score is not None], dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Discrimination(lab, query_key(run), 0, float("nan"), float("nan"), float("nan"),
                              None, float("nan"), False, False, [])
    std = float(np.std(x))
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    iqr = float(q3 - q1)
    top1 = float(np.max(x) - med)
    probabilistic = run.score_kind == "probability"
    share_mid = float(np.mean((x >= MID_LOW) & (x <= MID_HIGH))) if probabilistic else None
    _, counts = np.unique(x, return_counts=True)
    share_tied = float(counts.max() / n)
    reasons: list[str] = []
    if n >= MIN_DOCS:
        if share_tied >= MAX_SHARE_TIED:
            reasons.append(t("advice.reason_tied", share=f"{share_tied:.0%}"))
        if probabilistic:
            if share_mid >= MAX_SHARE_MID:
                reasons.append(t("advice.reason_mid", share=f"{share_mid:.0%}", low=MID_LOW, high=MID_HIGH))
            if std < MIN_STD:
                reasons.append(t("advice.reason_std", std=f"{std:.3f}", limit=MIN_STD))
            if iqr < MIN_IQR:
                reasons.append(t("advice.reason_iqr", iqr=f"{iqr:.3f}", limit=MIN_IQR))
    return Discrimination(lab, query_key(run), n, std, iqr, top1, share_mid, share_tied,
                          probabilistic, bool(reasons), reasons)


def _labelled_runs(runs) -> list[tuple[str, Run]]:
    groups = _as_groups(runs)
    return [(lab, r) for lab, per_q in groups.runs.items() for r in per_q.values()]


def discrimination_table(runs) -> pd.DataFrame:
    """One row per run (per query for a session): the statistics, ``flagged``,
    ``reasons`` and ``remedies`` as text. Accepts a list of runs or a session."""
    items = _labelled_runs(runs)
    rows = []
    for lab, run in items:
        d = discrimination(run, lab)
        rows.append({
            "run": d.label, "query_id": d.query_id, "n": d.n, "std": d.std, "iqr": d.iqr,
            "top1_minus_median": d.top1_minus_median,
            "share_mid": np.nan if d.share_mid is None else d.share_mid,
            "share_tied": d.share_tied, "probabilistic": d.probabilistic, "flagged": d.flagged,
            "reasons": t("advice.clause_sep").join(d.reasons), "remedies": " ".join(d.remedies),
        })
    return pd.DataFrame(rows, columns=["run", "query_id", "n", "std", "iqr", "top1_minus_median",
                                       "share_mid", "share_tied", "probabilistic", "flagged",
                                       "reasons", "remedies"])


def discrimination_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per run: queries, queries flagged, share flagged, mean std/IQR/share_mid."""
    g = table.groupby("run", sort=False)
    out = pd.DataFrame({
        "n_queries": g.size(),
        "n_flagged": g["flagged"].sum().astype(int),
        "mean_std": g["std"].mean(),
        "mean_iqr": g["iqr"].mean(),
        "mean_share_mid": g["share_mid"].mean(),
    })
    out.insert(2, "share_flagged", out["n_flagged"] / out["n_queries"])
    return out.reset_index()


def score_distribution(runs) -> pd.DataFrame:
    """Altair-ready long frame of all scores: ``run, query_id, doc_id, score, rank``
    (e.g. ``alt.Chart(df).mark_boxplot().encode(x="run", y="score")``)."""
    items = _labelled_runs(runs)
    rows = [(lab, query_key(r), str(s.doc_id), s.score, pos)
            for lab, r in items for pos, s in enumerate(ordered_scores(r), start=1)]
    return pd.DataFrame(rows, columns=["run", "query_id", "doc_id", "score", "rank"])
