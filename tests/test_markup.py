"""ui.markup.esc: user text in Markdown shows as typed, nothing is fetched, linked or styled.

Rendered with markdown-it-py (CommonMark + tables + strike-through, what Streamlit's
react-markdown parses), and checked against the two text-level rewrites Streamlit's frontend
does that escapes alone do not stop: `:material/…:` icons and GFM autolink literals (their
regular expressions as shipped in Streamlit 1.67's StreamlitMarkdown bundle). The real
browser check is tests/test_browser_markdown.py.
"""

from __future__ import annotations

import html
import re

import pytest

from ui import frames
from ui.markup import WORD_JOINER, esc, unescape

markdown_it = pytest.importorskip("markdown_it")

URL = "http://127.0.0.1:8999"
HOSTILE = [
    f"![x]({URL}/image.png)",
    f"[link]({URL}/link)",
    f"[ref][r]\n\n[r]: {URL}/ref",
    f'<img src="{URL}/raw.png">',
    f"<{URL}/autolink>",
    "&lt;img src=x&gt; &#33;[x](y) &amp;",
    "**bold** __bold__ *it* _it_ `code` ~~strike~~",
    "$x^2$ and $$\\frac{1}{2}$$",
    ":red[colored] :smile: :material/home: :MATERIAL/home:",
    "# heading",
    "> quote",
    "- item",
    "+ item",
    "1. item",
    "2) item",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "back\\slash \\*kept\\*",
    f"{URL}/bare.png www.example.com someone@example.org mailto:someone@example.org",
    f"_{URL}/after-underscore.png",
    "d-1.png (copy) query?x=1&y=2 q_7",
    "多语言 ![图](http://127.0.0.1:8999/zh.png)",
]


def _render(markdown: str) -> str:
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return md.render(markdown)


def _parsed_text(markdown: str) -> str:
    """The text Streamlit's text-level plugins see: backslash escapes resolved, nothing else."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_one_plain_paragraph_of_exactly_the_text(text):
    out = _render(esc(text))
    shown = " ".join(text.split())
    assert re.fullmatch(r"<p>(.*)</p>\n", out, re.DOTALL), out          # no heading, list, quote, table, code
    inner = out[3:-5]
    assert "<" not in inner.replace("&lt;", ""), out                # no <img>, <a>, <em>, <strong>, <code>, <del>
    assert html.unescape(inner).replace(WORD_JOINER, "") == shown   # every character shown, as typed
    assert unescape(esc(text)) == shown


@pytest.mark.parametrize("text", HOSTILE)
def test_no_icon_colour_or_autolink_survives_streamlits_text_rewrites(text):
    escaped = esc(text)
    assert ":material/" not in escaped                   # Streamlit rewrites this in the source
    parsed = _parsed_text(escaped)
    # mdast-util-gfm-autolink-literal (Streamlit 1.67): URLs and e-mails found in the parsed text
    for m in re.finditer(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", parsed, re.IGNORECASE):
        before = parsed[m.start() - 1] if m.start() else " "
        assert not (before.isspace() or not before.isalnum() and before != WORD_JOINER), (text, parsed)
    assert not re.search(r"(?:^|(?<=\s)|(?<=[^\w\s]))([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", parsed), parsed


def test_unescaped_text_would_render_markup():
    """The checks above can fail: the same renderer makes an image, a link and emphasis of raw text."""
    out = _render(f"![x]({URL}/image.png) [a]({URL}/a) **b** <{URL}/c>")
    assert "<img" in out and "<a href" in out and "<strong>" in out
    assert re.search(r"https?://", _parsed_text(f"see {URL}/bare.png"))


def test_none_numbers_and_whitespace():
    assert esc(None) == ""
    assert esc(3) == "3"
    assert esc("  a\n\n b\tc  ") == "a b c"          # one line: no block can start mid-text


def test_plain_words_stay_readable():
    assert esc("red running shoes") == "red running shoes"
    assert esc("qwen3-vl d-1.png 0.5") == "qwen3-vl d-1.png 0.5"   # '-' and '.' only matter at the start


def test_frames_esc_is_the_same_helper():
    assert frames.esc is esc
    import ui

    assert ui.esc is esc
