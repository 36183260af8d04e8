"""The sidebar on every page: the language switch, the session picker, the annotator (team mode,
ui.annotators), the session's running
work (ui.jobs), the doctor's cheap checks, the model and the score cache; and Streamlit's own
English (the file uploader's words) in the UI's language.

User text shown through any Markdown-rendering call goes through `frames.esc` first.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench import config, i18n
from workbench.errors import WorkbenchError
from workbench.i18n import t, tn

from . import annotators
from . import jobs as ui_jobs
from . import state
from .errors import short_paths, show_error
from .frames import esc


@st.cache_data(ttl=600, show_spinner=False)
def _doctor_summary(lang: str) -> list[dict] | None:
    """Cheap doctor checks (no smoke scoring pass), cached ten minutes per UI language (the
    doctor writes its details in the current language)."""
    from workbench import doctor

    with i18n.language(lang), i18n.surface("app"):
        try:
            checks = doctor.run_checks(smoke=False, port=False)
        except WorkbenchError as err:
            message, fix = i18n.error_text(err, surface="app")
            return [{"name": "doctor", "ok": False, "detail": message, "fix": fix or ""}]
    return [{"name": c.name, "ok": bool(c.ok), "detail": str(c.detail or ""), "fix": str(c.fix or "")}
            for c in checks]


def doctor_summary() -> list[dict] | None:
    """Cheap doctor checks (no smoke scoring pass), cached ten minutes."""
    with st.spinner(t("app.doctor_spinner")):
        return _doctor_summary(i18n.get_language())


def _check_key(name: str) -> str:
    return "app.check." + "".join(c if c.isalnum() else "_" for c in name.lower())


def check_name(name: str) -> str:
    """A doctor check's name in the UI's language (tool names stay as they are)."""
    key = _check_key(name) + ".name"
    return t(key) if i18n.has(key) else name


def check_text(check: dict) -> tuple[str, str | None]:
    """(what the sidebar says about a failed check, its tooltip). English shows the doctor's
    own detail and fix; another language shows the check's translated summary, with the
    doctor's detail and fix (English, they carry versions and paths) in the tooltip."""
    detail, fix = short_paths(check["detail"]), short_paths(check["fix"]) if check["fix"] else ""
    key = _check_key(check["name"])
    if i18n.get_language() != "en" and i18n.has(key):
        return t(key), "\n\n".join(p for p in (detail, t("app.check_fix", fix=fix) if fix else "") if p)
    return detail, t("app.check_fix", fix=fix) if fix else None


def language_switch() -> None:
    """English / 中文, remembered in the URL (?lang=); the options name themselves."""
    def changed() -> None:
        picked = st.session_state["sb_lang"] or st.session_state.get("ui_lang")   # a click on the chosen one
        st.session_state.ui_lang = i18n.set_language(picked)

    st.session_state["sb_lang"] = st.session_state.get("ui_lang") or i18n.DEFAULT
    st.segmented_control(t("app.language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get,
                         key="sb_lang", on_change=changed, label_visibility="collapsed",
                         selection_mode="single")


# Streamlit's own English that the pages show (toolbarMode=minimal hides the rest): the file
# uploader's button and size line. Checked against Streamlit 1.67's DOM: the dropzone
# <section data-testid="stFileUploaderDropzone"> holds the button
# (data-testid="stBaseButton-secondary" > … > stMarkdownContainer > <p>Upload</p>) and
# <div data-testid="stFileUploaderDropzoneInstructions"> <div> <span>200MB per file • CSV, …</span>.
# The original text is hidden (visibility, so innerText skips it; no font size, so it takes
# no room) and the translation is drawn by ::after.
_UPLOADER_BUTTON = ('[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] '  # i18n: not UI text
                    '[data-testid="stMarkdownContainer"] > p')
_UPLOADER_LIMIT = '[data-testid="stFileUploaderDropzoneInstructions"] span'  # i18n: not UI text


def _css_string(text: str) -> str:
    return '"' + "".join(c if c.isalnum() or c in " .,:;()•/-—%" or ord(c) > 127 else f"\\{ord(c):x} "
                         for c in text) + '"'


def localize_streamlit() -> None:
    """Streamlit's own English in the UI's language (one CSS block; nothing in English)."""
    if i18n.get_language() == "en":
        return
    try:
        limit = int(st.get_option("server.maxUploadSize"))
    except Exception:  # noqa: BLE001 - an odd config value: the default
        limit = 200
    rules = []
    for selector, text, size in ((_UPLOADER_BUTTON, t("app.st.upload"), "1rem"),
                                 (_UPLOADER_LIMIT, t("app.st.upload_limit", mb=limit), "0.875rem")):
        rules.append(f"{selector} {{visibility: hidden; font-size: 0;}}")
        rules.append(f"{selector}::after {{content: {_css_string(text)}; visibility: visible; "
                     f"font-size: {size};}}")
    st.html("<style>" + "\n".join(rules) + "</style>")


def sidebar() -> None:
    """On every page (app.py draws it): language, session, running work, checks, model, cache."""
    with st.sidebar:
        st.markdown(f"### :material/filter_vintage: {t('app.sidebar_title')}")
        localize_streamlit()
        language_switch()
        store = None
        try:
            store = state.get_store()
        except WorkbenchError as err:
            show_error(err)
        if store is not None:
            sessions = store.list_sessions()
            ids = [s.id for s in sessions]
            names = {s.id: t("app.session_option", name=s.name, sets=tn("count.sets", s.n_sets),
                               runs=tn("count.runs", s.n_runs)) for s in sessions}
            if st.session_state.session_id not in ids:     # a new tab: the newest session, not a sample
                st.session_state.session_id = max(sessions, key=lambda s: s.id).id if ids else None
            if ids:
                st.session_state["sb_session"] = st.session_state.session_id
                st.selectbox(t("app.session"), ids, format_func=names.get, key="sb_session",
                             on_change=state.session_picker_changed, args=("sb_session",))
            else:
                st.caption(t("app.no_sessions"))
            annotators.sidebar_picker(store, st.session_state.session_id)   # team mode: who grades (URL)
            with st.container():         # always drawn: the elements below keep their place
                ui_jobs.sidebar_panel()
        st.caption(t("app.database", name=esc(config.db_short_label())), help=esc(config.db_label()))

        checks = doctor_summary()
        model = config.model_path()
        model_line = t("app.model", name=esc(Path(model).name or model)) if model else t("app.model_not_set")
        if checks:
            # one line (how many checks pass, how many warn), the details in a popover
            bad = [c for c in checks if not c["ok"]]
            icon = ":material/warning:" if bad else ":material/check_circle:"
            summary = t("app.checks_line", good=len(checks) - len(bad), total=len(checks)) + (
                " · " + tn("app.n_warnings", len(bad)) if bad else "")
            with st.popover(f"{icon} {t('app.backend_device')}: {summary}", width="stretch"):
                good = [c for c in checks if c["ok"]]
                st.caption(":material/check_circle: " + t("app.checks_pass", good=len(good), total=len(checks),
                                                          names=t("app.list_sep").join(esc(check_name(c["name"])) for c in good)))
                for c in bad:
                    text, help_ = check_text(c)
                    st.caption(f":material/warning: **{esc(check_name(c['name']))}** — {esc(text)}", help=help_)
                st.caption(model_line)
        else:
            st.caption(model_line)

        if store is not None:
            stats = store.cache_stats() or {}
            st.markdown(f"**{t('app.score_cache')}**")
            st.caption(" · ".join((tn("count.cached_scores", stats.get("entries", 0)),
                                   tn("count.models", stats.get("models", 0)),
                                   tn("count.instructions", stats.get("instructions", 0)))))
