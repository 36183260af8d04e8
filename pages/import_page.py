"""Import: upload CSV/JSONL/ZIP or images (or pick a sample), preview, validate, save to a session."""

import pandas as pd
import streamlit as st

import ui_common as ui
from workbench import config, formats, service

ui.init_state()
st.title("Import candidate sets")
store = ui.get_store()

src_file, src_images, src_sample = st.tabs(["CSV / JSONL / ZIP", "Images + query", "Sample sets"])
with src_file:
    st.caption("Columns: `query_id, query_text, query_image, doc_id, text, image, label, …`. "
               "Image paths are relative to the file, and a CSV/JSONL uploaded on its own brings no "
               "images along: put the file and its image folder in one **ZIP** and upload that.")
    # Spreadsheets are accepted here only so that io can say how to re-save them as CSV.
    up = st.file_uploader("Candidate file", type=["csv", "jsonl", "json", "zip", "tsv", "xlsx", "xls", "ods"],
                          key="import_file")
    if up is not None and st.button("Read file", type="primary", key="import_read"):
        st.session_state.import_result = st.session_state.import_failed = None
        with ui.errors_shown():
            path, _ = ui.save_upload(up, "imports")
            st.session_state.import_source = up.name
            st.session_state.import_result = ui.import_kept(formats.read_candidates, path)
with src_images:
    imgs = st.file_uploader("Document images", type=["png", "jpg", "jpeg", "webp", "heic", "avif", "gif", "bmp", "tif", "tiff"],
                            accept_multiple_files=True, key="import_images")
    q_text, q_id = st.columns([3, 1])
    qtext = q_text.text_input("Query text", key="import_qtext")
    qid = q_id.text_input("Query id (optional)", key="import_qid", help="Names the candidate set; "
                          "defaults to the upload's folder name.")
    st.caption("Each image becomes one document; its file name is the doc id.")
    if imgs and st.button("Read images", type="primary", key="import_read_images"):
        st.session_state.import_result = st.session_state.import_failed = None
        st.session_state.import_source = f"{len(imgs)} images"
        with ui.errors_shown():
            folder = ui.uploads_folder(imgs)
            st.session_state.import_result = ui.import_kept(formats.import_folder, folder, qtext, qid.strip() or None)
with src_sample:
    samples = formats.list_samples()
    if not samples:
        st.caption(f"No sample sets in `{config.SAMPLES_DIR}`.")
    else:
        pick = st.selectbox("Sample", samples, format_func=lambda s: f"{s.title} ({s.name})", key="import_sample")
        if st.button("Read sample", type="primary", key="import_read_sample"):
            st.session_state.import_result = st.session_state.import_failed = None
            st.session_state.import_source = pick.title
            with ui.errors_shown():
                st.session_state.import_result = ui.import_kept(formats.read_candidates, pick.path)

failed = st.session_state.import_failed
if failed is not None:             # nothing valid: the error is shown above; offer every rejected row
    ui.rejected_rows(failed, uploaded=st.session_state.import_source)
result = st.session_state.import_result
if result is None:
    st.stop()

st.divider()
st.subheader(f"Preview — {st.session_state.import_source}")
st.text(result.summary().splitlines()[0])
for note in result.notes:
    st.caption(note)
ok_col, bad_col = st.columns(2)
ok_col.metric("Candidate sets", len(result.sets))
ok_col.metric("Documents", sum(len(s.documents) for s in result.sets))
bad_col.metric("Rejected rows", len(result.rejected))
if result.rejected:
    ui.rejected_rows(result, uploaded=st.session_state.import_source)
for cset in result.sets[:20]:
    with st.expander(f"{cset.name or cset.query.id}: “{ui.short(cset.query.text, 80)}” — {len(cset.documents)} docs"):
        st.dataframe(pd.DataFrame([{"doc_id": d.id, "text": ui.short(d.text, 200), "image": d.image,
                                    "label": d.label} for d in cset.documents]),
                     hide_index=True, width="stretch")

st.subheader("Save into a session")
sessions = store.list_sessions()
options = ["➕ New session"] + [s.id for s in sessions]
current = st.session_state.session_id
target = st.selectbox("Session", options, index=options.index(current) if current in options else 0,
                      format_func=lambda v: v if isinstance(v, str) else next(s.name for s in sessions if s.id == v),
                      key="import_target")
new_name = ""
if target == options[0]:
    new_name = st.text_input("New session name", value=(st.session_state.import_source or "import").rsplit(".", 1)[0],
                             key="import_new_name")
if st.button("Save to session", type="primary", icon=":material/save:", disabled=not result.sets,
             key="import_save"):
    with ui.errors_shown():
        sid = store.get_or_create_session(new_name.strip()).id if target == options[0] else target
        saved, same = service.save_sets(store, sid, result.sets)
        st.session_state.session_id = sid
        st.session_state.set_id = result.sets[0].id
        st.session_state.import_result = None
        st.toast(f"Saved {len(saved)} candidate sets"
                 + (f"; {len(same)} identical sets were already in the session." if same else "."))
        st.rerun()
