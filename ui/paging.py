"""Pickers and tables that stay small at benchmark scale (1,000 queries and more).

A selectbox of thousands of options sends every option to the browser on every run, and a table
of thousands of rows is hard to read: past `PAGE_SIZE` items the pickers here become a search box
plus a page of at most `PAGE_SIZE` options (the current choice always among them), and tables are
shown a page at a time. Under `PAGE_SIZE` they are the plain widgets, unchanged.

The search and the page slicing (`search`, `page_slice`) are plain Python (unit-tested); the
widgets are thin."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from workbench.i18n import t

from . import frames

PAGE_SIZE = 100


def search(items: Sequence[Any], text: str | None, haystack: Callable[[Any], str] = str) -> list[Any]:
    """The items whose `haystack` contains every word of `text` (case-insensitive); all without text."""
    words = (text or "").casefold().split()
    if not words:
        return list(items)
    return [it for it in items if all(w in haystack(it).casefold() for w in words)]


def pages_of(n: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, (n - 1) // page_size + 1)


def page_slice(n: int, page: int, page_size: int = PAGE_SIZE) -> slice:
    """Rows of page `page` (1-based, clamped to the pages there are) of `n` rows."""
    page = max(1, min(pages_of(n, page_size), int(page or 1)))
    return slice((page - 1) * page_size, min(n, page * page_size))


def _page_input(key: str, n: int, page_size: int, container=st) -> int:
    pages = pages_of(n, page_size)
    if pages <= 1:
        return 1
    if not isinstance(st.session_state.get(key), int) or not 1 <= st.session_state[key] <= pages:
        st.session_state[key] = 1
    return int(container.number_input(t("paging.page", pages=pages), min_value=1, max_value=pages, step=1,
                                      key=key))


def picker(label: str, options: Sequence[Any], key: str, *, current: Any = None,
           format_func: Callable[[Any], str] = str, haystack: Callable[[Any], str] | None = None,
           on_pick: Callable[[Any], None] | None = None, page_size: int = PAGE_SIZE, help: str | None = None) -> Any:
    """A selectbox of `options` bound to `current`; past `page_size` options, a search box and a page
    of matches (the current choice stays first on every page). `on_pick(value)` runs when the
    analyst picks another option. Returns the option in force."""
    options = list(options)
    if not options:
        return None
    if current not in options:
        current = options[0]
    st.session_state[key] = current

    def picked() -> None:
        if on_pick is not None:
            on_pick(st.session_state[key])

    if len(options) <= page_size:
        return st.selectbox(label, options, key=key, format_func=format_func, on_change=picked, help=help)
    haystack = haystack or format_func
    c_pick, c_search, c_page = st.columns([4, 3, 1.3], vertical_alignment="bottom")
    text = c_search.text_input(t("paging.search"), key=f"{key}_search", placeholder=t("paging.search_placeholder"))
    matches = search(options, text, haystack)
    page = _page_input(f"{key}_page", len(matches), page_size, c_page)
    shown = matches[page_slice(len(matches), page, page_size)]
    if current not in shown:
        shown = [current, *shown]
    value = c_pick.selectbox(label, shown, key=key, format_func=format_func, on_change=picked, help=help)
    rows = page_slice(len(matches), page, page_size)
    st.caption(t("paging.showing", first=rows.start + 1 if matches else 0, last=rows.stop, matches=len(matches),
                 total=len(options)))
    return value


def set_picker(sets, key: str, label: str | None = None) -> int | None:
    """`ui.state.set_picker` that stays small at scale: a candidate-set picker bound to the state's set
    (and so to the URL), searchable by set name, query id and query text past `PAGE_SIZE` sets."""
    from . import state

    if len(sets) <= PAGE_SIZE:
        return state.set_picker(sets, key, label=label)
    by_id = {s.id: s for s in sets}
    st.session_state.set_id = state.pick_set(sets)

    def pick(value) -> None:
        st.session_state.set_id = value
        st.session_state.run_ids = []

    return picker(label or t("app.candidate_set"), list(by_id), key, current=st.session_state.set_id,
                  format_func=lambda i: frames.set_option(by_id[i]),
                  haystack=lambda i: f"{by_id[i].name} {by_id[i].query_id} {by_id[i].query_text}", on_pick=pick)


def table(frame: pd.DataFrame, key: str, page_size: int = PAGE_SIZE, **kwargs) -> pd.DataFrame:
    """st.dataframe of `frame`, a page of `page_size` rows at a time past that many (a page picker
    and "rows a–b of n" under it). Returns the rows shown."""
    if len(frame) <= page_size:
        st.dataframe(frame, **kwargs)
        return frame
    page = _page_input(f"{key}_page", len(frame), page_size)
    rows = page_slice(len(frame), page, page_size)
    shown = frame.iloc[rows]
    st.dataframe(shown, **kwargs)
    st.caption(t("paging.rows", first=rows.start + 1, last=rows.stop, total=len(frame)))
    return shown


def lazy_table(items: Sequence[Any], build: Callable[[Sequence[Any]], pd.DataFrame], key: str,
               page_size: int = PAGE_SIZE, **kwargs) -> Sequence[Any]:
    """`table` for a frame that is costly per row (translated cells): `build(items)` is called on the
    shown page's items only, so a page of a run's 1,000 rankings builds 100 rows. Returns those items."""
    if len(items) <= page_size:
        st.dataframe(build(items), **kwargs)
        return items
    page = _page_input(f"{key}_page", len(items), page_size)
    rows = page_slice(len(items), page, page_size)
    shown = items[rows]
    st.dataframe(build(shown), **kwargs)
    st.caption(t("paging.rows", first=rows.start + 1, last=rows.stop, total=len(items)))
    return shown
