"""Import: upload CSV/JSONL/ZIP or images (or pick a sample), preview, validate, save to a session."""

import streamlit as st

import ui
from ui import frames, t, tn
from ui.frames import esc
from workbench import formats, i18n, service
from workbench.formats import beir

ui.init_state()
st.title(t("import.title"))
store = ui.get_store()
MAX_MB = st.get_option("server.maxUploadSize")
ENCODINGS = ("utf-8", "gbk", "gb18030", "big5", "utf-16", "shift_jis", "euc-kr", "latin-1", "cp1252")

src_file, src_images, src_sample, src_beir = st.tabs([t("import.tab_file"), t("import.tab_images"),
                                                     t("import.tab_samples"), t("import.tab_beir")])
with src_file:
    st.caption(t("import.file_help", max_mb=MAX_MB))
    # Spreadsheets are accepted here only so that io can say how to re-save them as CSV.
    up = st.file_uploader(t("import.file_label"), type=["csv", "jsonl", "json", "zip", "tsv", "xlsx", "xls", "ods"],
                          key="import_file")
    encodings = {"": t("import.encoding_auto"), **{e: e for e in ENCODINGS}}
    encoding = st.selectbox(t("import.encoding"), list(encodings), format_func=encodings.get, key="import_encoding",
                            help=t("import.encoding_help"))
    if up is not None and st.button(t("import.read_file"), type="primary", key="import_read"):
        st.session_state.import_result = st.session_state.import_failed = None
        st.session_state.pop("import_new_name", None)      # the next name follows the new file
        with ui.errors_shown("import"):
            path, _ = ui.widgets.save_upload(up, "imports")
            st.session_state.import_source = up.name
            st.session_state.import_result = ui.widgets.import_kept(formats.read_candidates, path,
                                                                    encoding or None)
with src_images:
    imgs = st.file_uploader(t("import.images_label"), type=["png", "jpg", "jpeg", "webp", "heic", "avif", "gif",
                                                             "bmp", "tif", "tiff"],
                            accept_multiple_files=True, key="import_images")
    q_text, q_id = st.columns([3, 1])
    qtext = q_text.text_input(t("import.query_text"), key="import_qtext")
    qid = q_id.text_input(t("import.query_id"), key="import_qid", help=t("import.query_id_help"))
    st.caption(t("import.images_help"))
    if imgs and st.button(t("import.read_images"), type="primary", key="import_read_images"):
        st.session_state.import_result = st.session_state.import_failed = None
        st.session_state.pop("import_new_name", None)      # the next name follows the new file
        name = qid.strip() or frames.short(qtext, 40) or "images"
        st.session_state.import_source = t("import.images_source", name=name, images=tn("import.n_images", len(imgs)))
        with ui.errors_shown("import images"):  # i18n: not UI text
            folder = ui.widgets.uploads_folder(imgs, name)
            st.session_state.import_result = ui.widgets.import_kept(
                formats.import_folder, folder, qtext, qid.strip() or None)
with src_sample:
    samples = formats.list_samples()
    if not samples:
        st.caption(t("import.no_samples"))
    else:
        pick = st.selectbox(t("import.sample"), samples, format_func=lambda s: f"{s.title} ({s.name})",
                            key="import_sample")
        if st.button(t("import.read_sample"), type="primary", key="import_read_sample"):
            st.session_state.import_result = st.session_state.import_failed = None
            st.session_state.pop("import_new_name", None)
            st.session_state.import_source = pick.title
            with ui.errors_shown("import sample"):  # i18n: not UI text
                st.session_state.import_result = ui.widgets.import_kept(formats.read_candidates, pick.path)

with src_beir:                     # corpus + queries + qrels (+ a first-stage run): read and saved in one go
    st.caption(t("import.beir_help", max_mb=MAX_MB))
    beir_zip = st.file_uploader(t("import.beir_zip_label"), type=["zip"], key="import_beir_zip")
    beir_run = st.file_uploader(t("import.beir_run_label"), type=["trec", "run", "txt"], key="import_beir_run",
                                help=t("import.beir_run_help"))
    depth_col, split_col, name_col = st.columns(3)
    depth = depth_col.number_input(t("import.beir_depth"), min_value=1, max_value=10_000, value=beir.DEFAULT_DEPTH,
                                   key="import_beir_depth")
    split = split_col.text_input(t("import.beir_split"), key="import_beir_split", help=t("import.beir_split_help"))
    beir_name = name_col.text_input(t("import.beir_session"), key="import_beir_session",
                                    placeholder=beir_zip.name.rsplit(".", 1)[0] if beir_zip else "")
    clip = st.checkbox(t("import.beir_clip"), key="import_beir_clip")
    unjudged = st.checkbox(t("import.beir_all_queries"), key="import_beir_unjudged")
    if beir_zip is not None and st.button(t("import.beir_button"), type="primary", key="import_beir_go"):
        st.session_state.import_result = st.session_state.import_failed = st.session_state.beir_done = None
        st.session_state.import_source = beir_zip.name
        with ui.errors_shown("import beir"):  # i18n: not UI text
            zip_path, _ = ui.widgets.save_upload(beir_zip, "imports")
            run_path = ui.widgets.save_upload(beir_run, "imports")[0] if beir_run is not None else None
            read = ui.widgets.import_kept(beir.read_beir, zip_path, run=run_path, depth=int(depth),
                                          split=split.strip() or None, clip_grades=clip, include_unjudged=unjudged)
            sid = store.get_or_create_session(beir_name.strip() or beir_zip.name.rsplit(".", 1)[0]).id
            saved = service.import_beir(store, sid, read)
            st.session_state.session_id = sid
            st.session_state.set_id = read.sets[0].id
            st.session_state.run_ids = []
            st.session_state.beir_done = (read, saved, store.get_session(sid).name)
    done = st.session_state.get("beir_done")
    if done:
        read, saved, name = done
        st.success(t("beir.saved", session=esc(name), sets=saved["saved"], same=saved["identical"],
                     runs=saved["runs"], batches=saved["batches"], seconds=f"{saved['seconds']:.1f}"))
        st.text("\n".join(i18n.localize(line) for line in read.report()))
        for note in read.notes:
            st.text(ui.errors.short_paths(note))
        ui.widgets.rejected_rows(read, uploaded=st.session_state.import_source)

failed = st.session_state.import_failed
if failed is not None:             # nothing valid: the error is shown above; offer every rejected row
    ui.widgets.rejected_rows(failed, uploaded=st.session_state.import_source)
result = st.session_state.import_result
if result is None:
    st.stop()

st.divider()
source = st.session_state.import_source or "import"
st.subheader(t("import.preview"))
st.text(t("import.preview_summary", source=source, sets=tn("import.n_sets", len(result.sets)),
          docs=tn("import.n_documents", result.n_docs))
        + (t("import.preview_encoding", encoding=result.encoding) if result.encoding else ""))
for note in result.notes:
    st.text(ui.errors.short_paths(note))    # said for the app: read under i18n.surface("app")
ok_col, bad_col = st.columns(2)
ok_col.metric(t("import.metric_sets"), len(result.sets))
ok_col.metric(t("import.metric_documents"), sum(len(s.documents) for s in result.sets))
bad_col.metric(t("import.metric_rejected"), len(result.rejected))
if result.rejected:
    ui.widgets.rejected_rows(result, uploaded=source)
PREVIEW_HEADINGS = {"doc_id": "import.col_doc_id", "text": "import.col_text", "image": "import.col_image",
                    "label": "import.col_label"}
image_names = getattr(result, "image_names", None) or {}    # stored path -> the name the file used
thumbs = result.n_docs <= 300                               # thumbnails while they stay cheap
PREVIEW_SETS = 20                                           # a preview, not thousands of expanders
if len(result.sets) > PREVIEW_SETS:
    st.caption(t("import.preview_first", shown=PREVIEW_SETS, sets=tn("import.n_sets", len(result.sets))))
for cset in result.sets[:PREVIEW_SETS]:
    q = cset.query
    title = ("import.set_title" if q.text or not q.image else "import.set_title_image")
    with st.expander(t(title, name=esc(cset.name or q.id), query=esc(frames.query_preview(q, image_names)),
                       docs=tn("import.n_docs", len(cset.documents)))):
        if q.image and thumbs and (uri := frames.thumbnail_data_uri(q.image, 96)):
            st.image(uri, caption=esc(frames.image_name(q.image, image_names)), width=96)
        preview = frames.preview_frame(cset, image_names, thumbs=thumbs)
        config = {c: st.column_config.Column(t(k)) for c, k in PREVIEW_HEADINGS.items()}
        if "thumbnail" in preview.columns:
            config["thumbnail"] = st.column_config.ImageColumn(t("import.col_thumbnail"), width="small")
        st.dataframe(preview, hide_index=True, width="stretch", column_config=config, placeholder="")

st.subheader(t("import.save_title"))
sessions = store.list_sessions()
NEW = "new"   # i18n: not UI text (the option's value; its label is import.new_session)
options = [NEW] + [s.id for s in sessions]
# A new session named after the file is the default: saving into whatever session
# happens to be open mixes unrelated imports.
target = st.selectbox(t("import.session"), options, index=0,
                      format_func={NEW: t("import.new_session"), **{s.id: s.name for s in sessions}}.get,
                      key="import_target")
new_name = ""
if target == NEW:
    stem = source.rsplit(".", 1)[0] if "." in source[-6:] else source
    new_name = st.text_input(t("import.new_session_name"), value=stem, key="import_new_name")
if st.button(t("import.save_button"), type="primary", icon=":material/save:", disabled=not result.sets,
             key="import_save"):
    with ui.errors_shown("save import"):  # i18n: not UI text
        sid = store.get_or_create_session(new_name.strip() or "import").id if target == NEW else target
        saved, same = service.save_sets(store, sid, result.sets)
        st.session_state.session_id = sid
        st.session_state.set_id = result.sets[0].id
        st.session_state.run_ids = []
        st.session_state.import_result = None
        ui.state.flash("success", t("import.saved", sets=tn("import.n_sets", len(saved)),
                                    session=esc(store.get_session(sid).name))
                       + (tn("import.saved_same", len(same)) if same else t("import.saved_end")))
        st.rerun()
