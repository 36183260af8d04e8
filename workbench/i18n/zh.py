"""The app's texts in 中文 (简体): one catalog, key -> template (see workbench/i18n/__init__.py).

Sections belong to parts of the code; keep a key in the section of the code that uses it,
and add every key to both catalogs (tests/test_i18n.py checks)."""

MESSAGES: dict[str, str] = {}

# ======================================================================= common
# words used on several pages (buttons, counts, statuses)
MESSAGES.update({
    'count.sets': '{n} 个集合',
})


# ======================================================================= app
# app.py: page titles, navigation; ui/state.py; ui/widgets.py (sidebar, errors, model choice, uploads)
MESSAGES.update({
    'app.title': 'Lychee 重排序工作台',
    'app.language': '语言',
    'nav.home': '首页',
    'nav.import': '导入',
    'nav.ocr': 'OCR 识别',
    'nav.rerank': '重排序',
    'nav.compare': '对比',
    'nav.matrix': '矩阵',
    'nav.label': '标注',
    'nav.sessions': '会话',
    'err.how_to_fix': '解决方法：',
})


# ======================================================================= jobs
# ui/jobs.py: progress, cancel, job outcomes
MESSAGES.update({
})


# ======================================================================= frames
# ui/frames.py, ui/results.py: table headings, result texts
MESSAGES.update({
})


# ======================================================================= home
# pages/home_page.py
MESSAGES.update({
    'home.title': 'Lychee 重排序工作台',
    'home.caption': '导入候选集 · 图片 OCR 识别 · 用 Lychee-rerank-mm 重排序 · 对比指令 · 标注 · 导出',
    'home.quick_start': '快速开始',
    'home.empty_database': '数据库是空的。加载自带的示例集合，即可试用每个页面。',
    'home.load_samples': '加载示例集合',
    'home.open_in_rerank': '在重排序页面直接打开一个候选集：',
    'home.n_docs': '{n} 个文档',
    'home.n_labels': '{n} 个标注',
    'home.rerank_button': '重排序',
    'home.recent_sessions': '最近的会话',
    'home.no_sessions': '还没有会话。',
    'home.gpu_title': '运行 GPU 模型',
    'home.checks_unavailable': '环境检查暂不可用。',
    'home.all_ok': 'Qwen-VL 模型所需的一切均已就绪。',
    'home.fix': '解决方法：',
    'home.all_checks': '全部检查',
    'home.col_check': '检查项',
    'home.col_ok': '通过',
    'home.col_detail': '详情',
    'home.col_fix': '解决方法',
    'home.no_gpu_hint': '没有 GPU 也能用词法（BM25）后端使用每个页面。',
})


# ======================================================================= import
# pages/import_page.py and the import report
MESSAGES.update({
    'import.title': '导入候选集',
    'import.tab_file': 'CSV / JSONL / ZIP',
    'import.tab_images': '图片 + 查询',
    'import.tab_samples': '示例集合',
    'import.file_help': '列：`query_id, query_text, query_image, doc_id, doc_text, doc_image`（值可以为空），以及可选的 '
                        '`label`（0/1/2）；也支持 `text`、`image`、`query` 和 `document`。图片路径相对于文件所在位置；单独上传的 CSV/JSONL '
                        '不会带上图片，请把文件和图片文件夹一起打包成一个 **ZIP** 再上传。上传文件最大 {max_mb} MB。',
    'import.file_label': '候选文件',
    'import.read_file': '读取文件',
    'import.images_label': '文档图片',
    'import.query_text': '查询文本',
    'import.query_id': '查询 ID（可选）',
    'import.query_id_help': '用作候选集的名称；默认为查询文本。',
    'import.images_help': '每张图片成为一个文档；文件名即文档 ID。',
    'import.read_images': '读取图片',
    'import.images_source': '{name}（{images}）',
    'import.n_images': '{n} 张图片',
    'import.no_samples': '此安装没有自带示例集合。',
    'import.sample': '示例',
    'import.read_sample': '读取示例',
    'import.preview': '预览',
    'import.preview_summary': '{source}：{sets}，共 {docs}',
    'import.preview_encoding': '（编码 {encoding}）',
    'import.n_sets': '{n} 个候选集',
    'import.n_documents': '{n} 个文档',
    'import.n_docs': '{n} 个文档',
    'import.metric_sets': '候选集',
    'import.metric_documents': '文档',
    'import.metric_rejected': '被拒绝的行',
    'import.set_title': '{name}：“{query}” — {docs}',
    'import.col_doc_id': '文档 ID',
    'import.col_text': '文本',
    'import.col_image': '图片',
    'import.col_label': '标注',
    'import.save_title': '保存到会话',
    'import.session': '会话',
    'import.new_session': '➕ 新建会话',
    'import.new_session_name': '新会话名称',
    'import.save_button': '保存到会话',
    'import.saved': '已将 {sets}保存到“{session}”',
    'import.saved_same': '；其中 {n} 个相同的集合已经存在。',
    'import.saved_end': '。',
    'import.report_title': '校验报告：{rows}',
    'import.n_rejected_rows': '{n} 行被拒绝',
    'import.report_zip_hint': '上传的 CSV/JSONL 中的图片路径会在文件旁边查找，而单独上传不会带上文件夹。**请把文件和图片文件夹打包成一个 ZIP，然后上传该 ZIP。**',
    'import.report_download': '下载被拒绝的行（CSV）',
    'import.col_line': '行号',
    'import.col_column': '列',
    'import.col_error': '错误',
    'import.col_fix': '解决方法',
    'import.col_source': '来源',
    'import.note_blank_rows': '跳过了 {n} 个空行',
    'import.note_blank_lines': '跳过了 {n} 个空行',
    'import.note_not_images': '忽略了 {n} 个不是图片的文件',
    'import.note_mixed_utf8': '{name} 是 UTF-8 编码，但有 {n} 行（{lines}）含有非 UTF-8 字节；这些行被拒绝，其余已导入',
    'import.note_legacy': '{name} 不是 UTF-8 编码：已按 {encoding} '
                          '读取（自动检测）{sample}。如果文字看起来不对，请指定正确的编码重新导入（命令行：--encoding NAME，例如 --encoding gbk 或 '
                          '--encoding latin-1），或把文件另存为 UTF-8。',
    'import.note_legacy_sample': '；第 {line} 行为：{sample}',
    'import.note_trailing_mb': '图片“{image}”在图像结束后还有 {mb} MB 其他数据；只保留了图片本身',
    'import.note_trailing_bytes': '图片“{image}”在图像结束后还有 {n} 字节其他数据；只保留了图片本身',
})


# ======================================================================= ocr
# pages/ocr_page.py, ui/ocr_tools.py
MESSAGES.update({
    'ocr.title': 'OCR 识别',
    'ocr.caption': '商品图和扫描件中的文字对模型和词法基线都有帮助。运行 OCR，纠正识别错误并保存：之后的排名会使用 `[OCR] … [TEXT] …` 描述。',
    'ocr.no_sets': '此会话还没有候选集：请先导入一个。',
    'ocr.counts': '{docs}中有 {with_image} 个带图片；其中 {with_text} 个已有 OCR 文本。',
    'ocr.n_documents': '{n} 个文档',
    'ocr.n_images': '{n} 张图片',
    'ocr.n_sets': '{n} 个集合',
    'ocr.what': 'OCR 识别',
    'ocr.session_done': 'OCR 在 {sets}的 {images}中读出了 {ok} 张的文字；描述已保存。',
    'ocr.col_set': '集合',
    'ocr.col_text_read': '读出文字',
    'ocr.col_no_text': '未发现文字',
    'ocr.col_errors': '错误',
    'ocr.nothing_read': '每张图片都已有 OCR 文本，因此没有读取任何图片。取消勾选“只识别没有 OCR 文本的图片”即可全部重新识别（您的修改会保留）。',
    'ocr.set_done': 'OCR 在 {images}中读出了 {ok} 张的文字；描述已保存。',
    'ocr.no_text_in_image': '**{doc}**：图片中未发现文字。如果图片里有文字，请在下方输入。',
    'ocr.languages': '识别语言（tesseract）',
    'ocr.only_missing': '只识别没有 OCR 文本的图片',
    'ocr.run': '运行 OCR',
    'ocr.job_set': '正在识别“{set}”的图片',
    'ocr.run_session': '对本会话的每个集合运行 OCR',
    'ocr.run_session_help': '用左侧的识别语言和选项识别本会话全部 {sets}的图片；取消时已完成的部分会保留。',
    'ocr.job_session': '正在识别“{session}”每个集合的图片（{sets}）',
    'ocr.tools_title': '原始与修改后的 OCR 文本对照 · 清除所选文档的 OCR',
    'ocr.page': '页',
    'ocr.text_box': 'OCR 文本（可编辑）',
    'ocr.description_title': '用于排名的描述',
    'ocr.empty': '（空）',
    'ocr.save': '保存 {changed}',
    'ocr.n_changed': '{n} 个已修改的描述',
    'ocr.saved': '已保存 {descriptions}。',
    'ocr.n_descriptions': '{n} 个描述',
    'ocr.status_not_read': '未识别',
    'ocr.status_no_image': '无图片',
    'ocr.status_no_text': '未发现文字',
    'ocr.status_text': '有文字',
    'ocr.status_edited': '已修改',
    'ocr.status_count': '{status} {n}',
    'ocr.status_help': '未识别：尚未运行 OCR · 未发现文字：tesseract 没有找到有把握的文字行（照片） · 有文字：正在使用 OCR 文本 · 已修改：正在使用您的修改',
    'ocr.col_doc_id': '文档 ID',
    'ocr.col_status': '状态',
    'ocr.col_raw': '原始 OCR 文本',
    'ocr.col_edited': '您的修改',
    'ocr.col_in_use': '当前使用',
    'ocr.col_description': '描述',
    'ocr.clear_edits_too': '同时清除我的修改',
    'ocr.clear_edits_help': '关闭时：您修改过的文本会保留并继续使用。',
    'ocr.clear_button': '清除 {docs}的 OCR',
    'ocr.n_selected': '{n} 个所选文档',
    'ocr.cleared': '已清除 {docs}的 OCR 文本',
    'ocr.cleared_edits_kept': '（您的修改已保留）',
    'ocr.cleared_end': '。',
})


# ======================================================================= sessions
# pages/sessions_page.py
MESSAGES.update({
    'sessions.title': '会话',
    'sessions.filter': '按名称筛选',
    'sessions.filter_placeholder': '输入会话名称的一部分',
    'sessions.none_match': '没有匹配的会话。',
    'sessions.none_yet': '还没有会话：请先导入一个候选集。',
    'sessions.col_session': '会话',
    'sessions.col_sets': '集合数',
    'sessions.col_runs': '运行数',
    'sessions.col_created': '创建时间',
    'sessions.col_description': '说明',
    'sessions.sample_description': '自带示例“{name}”（{file}）',
    'sessions.open': '打开会话',
    'sessions.rename_or_delete': '重命名或删除',
    'sessions.new_name': '新名称',
    'sessions.rename': '重命名',
    'sessions.renamed': '已将“{old}”重命名为“{new}”。',
    'sessions.confirm_delete': '删除“{session}”及其 {sets}和 {runs}？此操作无法撤销。',
    'sessions.n_sets': '{n} 个集合',
    'sessions.n_runs': '{n} 次运行',
    'sessions.delete_yes': '是的，删除',
    'sessions.deleted': '已删除会话“{session}”。',
    'sessions.delete_no': '保留',
    'sessions.delete': '删除会话…',
    'sessions.tab_runs': '运行',
    'sessions.tab_labels': '标注与备注',
    'sessions.tab_rerun': '重新运行',
    'sessions.tab_io': '导出 / 导入',
    'sessions.no_runs': '此会话还没有运行。',
    'sessions.col_run': '运行',
    'sessions.col_name': '名称',
    'sessions.col_set': '集合',
    'sessions.col_backend': '后端',
    'sessions.col_status': '状态',
    'sessions.col_instruction': '指令',
    'sessions.col_started': '开始时间',
    'sessions.review_run': '查看运行',
    'sessions.rerun_caption': '用另一条指令为本会话的每个集合重新打分（已缓存的分数会被复用）。',
    'sessions.template': '模板',
    'sessions.template_custom': '自定义',
    'sessions.instruction': '指令',
    'sessions.precise': '要求精确，避免含糊的措辞',
    'sessions.rerun_what': '重新运行',
    'sessions.rerun_done': '已保存 {runs}（见“运行”标签页）。可在对比页面中比较它们。',
    'sessions.rerun_button': '重新运行会话',
    'sessions.empty_instruction': '指令为空，模型不知道要找什么。',
    'sessions.empty_instruction_fix': '在“指令”框中输入一条指令，或选择一个模板。',
    'sessions.rerun_job': '正在重新运行“{session}”（{sets}）',
    'sessions.export_title': '导出排序结果',
    'sessions.shape': '格式',
    'sessions.shape_long': '长表（每个运行 × 文档一行）',
    'sessions.shape_wide': '宽表（每个文档一行）',
    'sessions.bom': '兼容 Excel（带 BOM 的 UTF-8）',
    'sessions.bom_help': '默认开启：这样 Excel 能正确显示中文。对于不接受 BOM 的工具请关闭。',
    'sessions.export_runs': '要导出的运行（留空：本会话的全部运行）',
    'sessions.download_csv': '下载 CSV',
    'sessions.export_count': '{runs}，{rows}。',
    'sessions.n_rows': '{n} 行',
    'sessions.download_trec': '下载 TREC 运行文件',
    'sessions.download_trec_help': 'qid Q0 docid rank score tag — 适用于 trec_eval、ranx、ir-measures',
    'sessions.nothing_to_export': '还没有可导出的内容。',
    'sessions.download_qrels': '下载标注（TREC qrels）',
    'sessions.download_qrels_help': 'qid 0 docid grade（0/1/2）',
    'sessions.import_runs_title': '导入排序结果',
    'sessions.ranked_label': '排序结果 CSV：query_id、doc_id、score 和/或 rank；可选 system（每个 system '
                             '一次运行）、instruction、backend、model',
    'sessions.import_runs': '作为运行导入',
    'sessions.imported_runs': '已导入 {runs}',
    'sessions.imported_runs_from': '已从 {file} 导入 {runs}',
    'sessions.identical_runs': '；其中 {n} 次相同的运行已导入过。',
    'sessions.end': '。',
    'sessions.trec_run_label': 'TREC 运行文件：qid Q0 docid rank score tag',
    'sessions.trec_run_help': '每个 tag 一次运行；查询和文档 ID 必须与本会话的集合一致。',
    'sessions.import_trec': '导入 TREC 运行文件',
    'sessions.import_qrels_title': '导入标注（TREC qrels）',
    'sessions.qrels_label': 'Qrels 文件：qid 0 docid grade',
    'sessions.qrels_help': '等级 0（不相关）、1（部分相关）、2（相关）。每一行都会先检查；只要有未知的查询或文档，就不会应用任何标注。',
    'sessions.qrels_clip': '把等级限制在 0–2（负数 → 0，大于 2 → 2）',
    'sessions.qrels_skip': '跳过集合之外的判断（qrels 基于更大的文档池）',
    'sessions.import_qrels': '导入标注',
    'sessions.qrels_read': '{queries}的 {judgments}',
    'sessions.n_judgments': '{n} 条判断',
    'sessions.n_queries': '{n} 个查询',
    'sessions.qrels_clipped': '；{n} 个超出 0–2 的等级已限制到 0–2',
    'sessions.qrels_applied': '已读取 {read}。已将 {labels}应用到 {sets}（新增 {new}，修改 {changed}，未变 {unchanged}）',
    'sessions.n_labels': '{n} 个标注',
    'sessions.qrels_skipped': '；跳过了集合之外的 {n} 条判断。',
})


# ======================================================================= rerank
# pages/rerank_page.py
MESSAGES.update({
})


# ======================================================================= compare
# pages/compare_page.py, ui/comparison.py, ui/matrix_links.py
MESSAGES.update({
})


# ======================================================================= matrix
# pages/matrix_page.py
MESSAGES.update({
})


# ======================================================================= label
# pages/label_page.py
MESSAGES.update({
})


# ======================================================================= advice
# workbench/compare (advice, significance texts shown in the app)
MESSAGES.update({
})


# ======================================================================= err_data
# errors of workbench/formats, ocr, store, service, samples, labelling, limits (err.<code>)
MESSAGES.update({
})


# ======================================================================= err_engine
# errors of workbench/rerank, compare, parity, jobs, hub, config, doctor (err.<code>)
MESSAGES.update({
})
