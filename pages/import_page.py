"""Import: upload CSV/JSONL/ZIP or images (or pick a sample), preview, validate, save to a session."""

import streamlit as st

import ui
from ui import frames
from ui.frames import esc
from workbench import config, formats, service

ui.init_state()
st.title("Import candidate sets")
store = ui.get_store()
MAX_MB = st.get_option("server.maxUploadSize")

src_file, src_images, src_sample = st.tabs(["CSV / JSONL / ZIP", "Images + query", "Sample sets"])
with src_file:
    st.caption("Columns: `query_id, query_text, query_image, doc_id, doc_text, doc_image` (values may be "
               "empty) and optional `label` (0/1/2); `text`, `image`, `query` and `document` are understood "
               "too. Image paths are relative to the file; a CSV/JSONL uploaded on its own brings no images "
               "along, so put the file and its image folder in one **ZIP** and upload that. "
               f"Uploads up to {MAX_MB} MB.")
    # Spreadsheets are accepted here only so that io can say how to re-save them as CSV.
    up = st.file_uploader("Candidate file", type=["csv", "jsonl", "json", "zip", "tsv", "xlsx", "xls", "ods"],
                          key="import_file")
    if up is not None and st.button("Read file", type="primary", key="import_read"):
        st.session_state.import_result = st.session_state.import_failed = None
        st.session_state.pop("import_new_name", None)      # the next name follows the new file
        with ui.errors_shown("import"):
            path, _ = ui.widgets.save_upload(up, "imports")
            st.session_state.import_source = up.name
            st.session_state.import_result = ui.widgets.import_kept(formats.read_candidates, path)
with src_images:
    imgs = st.file_uploader("Document images", type=["png", "jpg", "jpeg", "webp", "heic", "avif", "gif", "bmp",
                                                     "tif", "tiff"],
                            accept_multiple_files=True, key="import_images")
    q_text, q_id = st.columns([3, 1])
    qtext = q_text.text_input("Query text", key="import_qtext")
    qid = q_id.text_input("Query id (optional)", key="import_qid",
                          help="Names the candidate set; defaults to the query text.")
    st.caption("Each image becomes one document; its file name is the doc id.")
    if imgs and st.button("Read images", type="primary", key="import_read_images"):
        st.session_state.import_result = st.session_state.import_failed = None
        st.session_state.pop("import_new_name", None)      # the next name follows the new file
        name = qid.strip() or frames.short(qtext, 40) or "images"
        st.session_state.import_source = f"{name} ({frames.plural(len(imgs), 'image')})"
        with ui.errors_shown("import images"):
            folder = ui.widgets.uploads_folder(imgs, name)
            st.session_state.import_result = ui.widgets.import_kept(
                formats.import_folder, folder, qtext, qid.strip() or None)
with src_sample:
    samples = formats.list_samples()
    if not samples:
        st.caption("No sample sets are bundled with this installation.")
    else:
        pick = st.selectbox("Sample", samples, format_func=lambda s: f"{s.title} ({s.name})", key="import_sample")
        if st.button("Read sample", type="primary", key="import_read_sample"):
            st.session_state.import_result = st.session_state.import_failed = None
            st.session_state.pop("import_new_name", None)
            st.session_state.import_source = pick.title
            with ui.errors_shown("import sample"):
                st.session_state.import_result = ui.widgets.import_kept(formats.read_candidates, pick.path)

failed = st.session_state.import_failed
if failed is not None:             # nothing valid: the error is shown above; offer every rejected row
    ui.widgets.rejected_rows(failed, uploaded=st.session_state.import_source)
result = st.session_state.import_result
if result is None:
    st.stop()

st.divider()
source = st.session_state.import_source or "import"
st.subheader("Preview")
st.text(f"{source}: {frames.plural(len(result.sets), 'candidate set')} with "
        f"{frames.plural(result.n_docs, 'document')}" + (f" (encoding {result.encoding})" if result.encoding else ""))
for note in result.notes:
    st.text(note)
ok_col, bad_col = st.columns(2)
ok_col.metric("Candidate sets", len(result.sets))
ok_col.metric("Documents", sum(len(s.documents) for s in result.sets))
bad_col.metric("Rejected rows", len(result.rejected))
if result.rejected:
    ui.widgets.rejected_rows(result, uploaded=source)
for cset in result.sets[:20]:
    with st.expander(f"{esc(cset.name or cset.query.id)}: “{esc(frames.short(cset.query.text, 80))}” — "
                     f"{frames.plural(len(cset.documents), 'doc')}"):
        st.dataframe(frames.preview_frame(cset), hide_index=True, width="stretch")

st.subheader("Save into a session")
sessions = store.list_sessions()
NEW = "➕ New session"
options = [NEW] + [s.id for s in sessions]
# A new session named after the file is the default: saving into whatever session
# happens to be open mixes unrelated imports.
target = st.selectbox("Session", options, index=0,
                      format_func=lambda v: v if isinstance(v, str) else next(s.name for s in sessions if s.id == v),
                      key="import_target")
new_name = ""
if target == NEW:
    stem = source.rsplit(".", 1)[0] if "." in source[-6:] else source
    new_name = st.text_input("New session name", value=stem, key="import_new_name")
if st.button("Save to session", type="primary", icon=":material/save:", disabled=not result.sets,
             key="import_save"):
    with ui.errors_shown("save import"):
        sid = store.get_or_create_session(new_name.strip() or "import").id if target == NEW else target
        saved, same = service.save_sets(store, sid, result.sets)
        st.session_state.session_id = sid
        st.session_state.set_id = result.sets[0].id
        st.session_state.run_ids = []
        st.session_state.import_result = None
        ui.state.flash("success", f"Saved {frames.plural(len(saved), 'candidate set')} into "
                                  f"“{esc(store.get_session(sid).name)}”"
                       + (f"; {frames.plural(len(same), 'identical set')} "
                          f"{'was' if len(same) == 1 else 'were'} already there." if same else "."))
        st.rerun()
