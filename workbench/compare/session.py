"""Every comparison table of a session in one call (what the Compare page shows)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError
from ..i18n import error_text, t, tn
from .agreement import Correlations, correlations
from .advice import (
    discrimination_summary,
    discrimination_table,
    score_distribution,
)
from .evaluate import MetricsResult, metrics
from .runs import (
    DEFAULT_K,
    Labels,
    RunGroups,
    _as_groups,
    _check_runs,
)
from .shifts import rank_table
from .significance import significance_table, win_loss

# --------------------------------------------------------------------------- all at once


class RankTables(Mapping):
    """``query_id -> rank_table``, each computed when first read (a session of 1,000 queries
    shows one at a time; the export reads them all)."""

    def __init__(self, groups: RunGroups, base: str) -> None:
        self._groups, self._base, self._done = groups, base, {}
        self._qids = groups.query_ids

    def __getitem__(self, q: str) -> pd.DataFrame:
        if q not in self._done:
            if q not in self._groups.query_ids:
                raise KeyError(q)
            labs = self._groups.labels
            lab_q = [lab for lab in labs if q in self._groups.runs[lab]]
            b = lab_q.index(self._base) if self._base in lab_q else 0
            self._done[q] = rank_table(self._groups.for_query(q), baseline=b)
        return self._done[q]

    def __iter__(self):
        return iter(self._qids)

    def __len__(self) -> int:
        return len(self._qids)


@dataclass
class SessionComparison:
    """Every comparison table of a session (what the Compare page shows)."""

    groups: RunGroups
    k: int
    rank_tables: Mapping[str, pd.DataFrame]       # query_id -> rank_table (RankTables: lazy)
    correlations: Correlations
    discrimination: pd.DataFrame
    discrimination_summary: pd.DataFrame
    scores: pd.DataFrame                          # score_distribution
    metrics: MetricsResult | None                 # None without labels
    significance: pd.DataFrame | None
    win_loss: dict[tuple[str, str], pd.DataFrame]  # (baseline, challenger) -> frame
    notes: list[str] = field(default_factory=list)
    detail: bool = True                           # False: agreement and score spread left out


def compare_session(runs, labels: Labels | None = None, k: int = DEFAULT_K,
                    baseline: str | None = None, metric: str | None = None,
                    n_resamples: int = 10_000, seed: int = 0, detail: bool = True,
                    all_pairs: bool = True) -> SessionComparison:
    """Compute all comparison tables of a session in one call.

    ``baseline`` (default: the first label) anchors rank shifts and win/loss.
    Metrics, significance (all pairs) and win/loss need ``labels``; without any
    relevant label they are None/empty and ``notes`` says why. Rank tables are computed when
    read (`RankTables`). ``detail=False`` leaves out what grows with every score of every query
    (agreement, score spread, discrimination: empty frames), what a session of 1,000 queries
    computes on request; ``all_pairs=False`` tests each run against the baseline only.
    """
    groups = _as_groups(runs)
    labs = groups.labels
    _check_runs(labs, 1)
    base = baseline if baseline is not None else labs[0]
    if base not in labs:
        raise InputError.coded("compare.baseline_not_in_session", {"baseline": base, "labels": ", ".join(labs)})
    notes = list(groups.warnings)
    tables = RankTables(groups, base)
    if detail:
        corr = correlations(groups, k) if len(labs) >= 2 else Correlations(pd.DataFrame(), k, labs)
        disc = discrimination_table(groups)
        scores = score_distribution(groups)
    else:
        corr = Correlations(pd.DataFrame(), k, labs)
        disc = discrimination_table([])
        scores = pd.DataFrame(columns=["run", "query_id", "doc_id", "score", "rank"])
    met = sig = None
    wl: dict[tuple[str, str], pd.DataFrame] = {}
    if labels:
        try:
            met = metrics(groups, labels, k)
        except InputError as err:
            notes.append(error_text(err)[0])
        if met is not None:
            if met.skipped:
                notes.append(tn("advice.note_skipped", len(met.skipped)))
            if len(met.labels) >= 2:
                mb = base if base in met.labels else met.labels[0]
                sig = significance_table(met, metric, baseline=None if all_pairs else mb,
                                         n_resamples=n_resamples, seed=seed)
                mb = base if base in met.labels else met.labels[0]
                for lab in met.labels:
                    if lab != mb:
                        wl[(mb, lab)] = win_loss(met, mb, lab, metric)
    else:
        notes.append(t("advice.note_no_labels"))
    return SessionComparison(groups, k, tables, corr, disc, discrimination_summary(disc),
                             scores, met, sig, wl, notes, detail)
