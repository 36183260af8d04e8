"""User text made literal for Streamlit calls that render Markdown (no Streamlit here).

THE one escaping helper of the UI: every session, set, run, query and document name or text,
instruction, note, OCR text, file name or metadata value that a page puts into Markdown
(st.markdown / caption / write, alerts, toasts, expander / tab / button / page_link labels,
`help=` tooltips, metric labels) goes through `esc`. Widgets that render plain text
(selectbox / multiselect options, st.text, st.code, dataframe cells and headers) need none.

What `esc` defuses, measured against Streamlit 1.67's Markdown (react-markdown + GFM, math,
directives, emoji and Material icons):

* images, links and reference links: `!`, `[`, `]`, `(`, `)` are backslash-escaped;
* HTML and `<…>` autolinks: `<`, `>`, and `&` (so `&lt;img&gt;` / `&#33;` show as typed);
* emphasis, code, strike-through, tables, headings: `*`, `_`, `` ` ``, `~`, `|`, `#`;
* LaTeX (`$`), colored text / directives and emoji shortcodes (`:red[…]`, `:smile:`): `:`;
* Material icons: Streamlit rewrites the *source* text `:material/` before parsing, so an
  escaped colon is not enough; the slash after `material` is escaped too;
* GFM autolink literals (`http://…`, `https://…`, `www.…`, `name@host.org`), which are found in
  the parsed *text*, after escapes are gone: a WORD JOINER (U+2060, invisible, zero width)
  goes between the scheme / `www` / `@` and what follows, so no link is made;
* a leading list or quote marker (`- `, `+ `, `1. `, `1) `), since whitespace (newlines
  included) is collapsed to single spaces, only the text's start can be a block start.

The text reads the same on the page: each backslash disappears when the Markdown renders.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

# Backslash-escaped everywhere: CommonMark lets any ASCII punctuation be escaped, these are the
# ones that start Markdown, HTML, LaTeX, directives or emoji in Streamlit.
_SPECIAL = re.compile(r"([\\`*_\[\]()<>!$~|#:&])")
_MATERIAL = re.compile(r"(material)/", re.IGNORECASE)            # `:material/icon:` (after `\:`)
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|xmpp)(?=\\:)|(www)(?=\.)")
_EMAIL_AT = re.compile(r"@")
_LIST_MARK = re.compile(r"^[+\-=]")                                 # `- a`, `+ a` (`*`, `>`, `#` are escaped)
_ORDERED = re.compile(r"^(\d+)\.")                                  # `1. a` (`1)` is escaped)


def esc(text) -> str:
    """`text` (any value; None -> "") as Markdown that renders exactly as typed, on one line:
    `![x](http://…)`, `[a](…)`, `<img src=…>`, `:red[x]`, `$x$`, `**b**` show their characters
    and nothing is fetched, linked, styled or turned into an icon."""
    out = " ".join(str(text if text is not None else "").split())
    out = _SPECIAL.sub(r"\\\1", out)
    out = _MATERIAL.sub(r"\1\\/", out)
    out = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + WORD_JOINER, out)
    out = _EMAIL_AT.sub("@" + WORD_JOINER, out)
    out = _LIST_MARK.sub(lambda m: "\\" + m.group(0), out)
    return _ORDERED.sub(r"\1\\.", out)


def unescape(markdown: str) -> str:
    """What `esc(text)` shows on the page (its text, whitespace collapsed): for tests and for
    comparing a shown string with the data."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")
