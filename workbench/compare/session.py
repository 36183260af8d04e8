"""Every comparison table of a session in one call (what the Compare page shows)."""

from __future__ import annotations

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


@dataclass
class SessionComparison:
    """Every comparison table of a session (what the Compare page shows)."""

    groups: RunGroups
    k: int
    rank_tables: dict[str, pd.DataFrame]          # query_id -> rank_table
    correlations: Correlations
    discrimination: pd.DataFrame
    discrimination_summary: pd.DataFrame
    scores: pd.DataFrame                          # score_distribution
    metrics: MetricsResult | None                 # None without labels
    significance: pd.DataFrame | None
    win_loss: dict[tuple[str, str], pd.DataFrame]  # (baseline, challenger) -> frame
    notes: list[str] = field(default_factory=list)


def compare_session(runs, labels: Labels | None = None, k: int = DEFAULT_K,
                    baseline: str | None = None, metric: str | None = None,
                    n_resamples: int = 10_000, seed: int = 0) -> SessionComparison:
    """Compute all comparison tables of a session in one call.

    ``baseline`` (default: the first label) anchors rank shifts and win/loss.
    Metrics, significance (all pairs) and win/loss need ``labels``; without any
    relevant label they are None/empty and ``notes`` says why.
    """
    groups = _as_groups(runs)
    labs = groups.labels
    _check_runs(labs, 1)
    base = baseline if baseline is not None else labs[0]
    if base not in labs:
        raise InputError.coded("compare.baseline_not_in_session", {"baseline": base, "labels": ", ".join(labs)})
    notes = list(groups.warnings)
    tables = {}
    for q in groups.query_ids:
        runs_q = groups.for_query(q)
        lab_q = [lab for lab in labs if q in groups.runs[lab]]
        b = lab_q.index(base) if base in lab_q else 0
        tables[q] = rank_table(runs_q, baseline=b)
    corr = correlations(groups, k) if len(labs) >= 2 else Correlations(pd.DataFrame(), k, labs)
    disc = discrimination_table(groups)
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
                sig = significance_table(met, metric, n_resamples=n_resamples, seed=seed)
                mb = base if base in met.labels else met.labels[0]
                for lab in met.labels:
                    if lab != mb:
                        wl[(mb, lab)] = win_loss(met, mb, lab, metric)
    else:
        notes.append(t("advice.note_no_labels"))
    return SessionComparison(groups, k, tables, corr, disc, discrimination_summary(disc),
                             score_distribution(groups), met, sig, wl, notes)
