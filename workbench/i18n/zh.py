"""The app's texts in 中文 (简体): one catalog, key -> template (see workbench/i18n/__init__.py).

Sections belong to parts of the code; keep a key in the section of the code that uses it,
and add every key to both catalogs (tests/test_i18n.py checks)."""

MESSAGES: dict[str, str] = {}

# ======================================================================= common
# words used on several pages (buttons, counts, statuses)
MESSAGES.update({
    'count.sets': '{n} 个集合',
    'count.candidate_sets': '{n} 个候选集',
    'count.identical_sets': '{n} 个相同的集合',
    'count.runs': '{n} 次运行',
    'count.identical_runs': '{n} 次相同的运行',
    'count.docs': '{n} 篇文档',
    'count.documents': '{n} 篇文档',
    'count.pasted_documents': '{n} 篇粘贴的文档',
    'count.selected_documents': '{n} 篇选中的文档',
    'count.queries': '{n} 个查询',
    'count.labels': '{n} 个标注',
    'count.rows': '{n} 行',
    'count.rejected_rows': '{n} 行被拒绝',
    'count.images': '{n} 张图片',
    'count.warnings': '{n} 条警告',
    'count.models': '{n} 个模型',
    'count.instructions': '{n} 条指令',
    'count.cached_scores': '{n} 个缓存分数',
    'count.descriptions': '{n} 条描述',
    'count.changed_descriptions': '{n} 条改动的描述',
    'count.judgments': '{n} 条相关性判断',
    'common.choose_option': '请选择',
    'common.choose_options': '请选择（可多选）',
    'common.no_options': '没有可选项',
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
    'app.sidebar_title': 'Lychee 工作台',
    'app.unexpected': '出错了（错误编号 **{error_id}**）。已保存的内容都还在。详细信息记录在工作台的错误日志中（工作台主目录下的 {log}）；报告问题时请附上这个编号。',
    'app.wording.encoding_gbk': '文件编码（例如 gbk）——请把文件另存为 UTF-8 后重新上传',
    'app.wording.eg_encoding': '例如另存为 UTF-8',
    'app.wording.encoding': '把文件另存为 UTF-8 后重新上传',
    'app.wording.model_box': '“模型路径或 ID”输入框',
    'app.wording.lexical': '词法（BM25）后端',
    'app.wording.k10': 'k = 10',
    'app.wording.k': 'k',
    'app.wording.error_log': '错误日志',
    'app.wording.upload': '上传的文件',
    'app.loading_reranker': '正在加载重排序模型（每个模型只加载一次）…',
    'err.ui.no_server_url': '没有填写服务器地址。',
    'err.ui.no_server_url.fix': '在“服务器地址”框中填写推理服务的地址，例如 http://127.0.0.1:8000/v1，然后点击“测试连接”。',
    'err.ui.no_server_url_probe': '没有填写服务器地址。',
    'err.ui.no_server_url_probe.fix': '在“服务器地址”框中填写地址，例如 http://127.0.0.1:8000/v1。',
    'app.backend': '后端',
    'app.backend.qwen_vl': 'Qwen-VL 模型（Lychee-rerank-mm）',
    'app.backend.remote': '推理服务（vLLM、SGLang、workbench serve）',
    'app.backend.lexical': '词法（BM25 基线）',
    'app.format.auto': '自动：按模型选择（Qwen2.5-VL 用 lychee，Qwen3-VL 用 qwen3-vl-reranker）',
    'app.format.lychee': 'Lychee-rerank-mm：指令、查询、文档分段传入（与公开的 Lychee 示例代码一致）',
    'app.format.lychee_v1': '首个版本的布局：指令与查询标记合为一段（可复现 lychee 格式出现之前保存的运行）',
    'app.format.qwen3_vl_reranker': 'Qwen3-VL-Reranker 参考格式：分段传入，空的一侧填 NULL',
    'app.model_path': '模型路径或 ID',
    'app.model_path.help': '默认取 $WORKBENCH_MODEL。可以是存放 Lychee-rerank-mm 权重（或小型测试检查点）的本地文件夹，也可以是 Hugging Face 模型 ID。',
    'app.server_url': '服务器地址',
    'app.server_url.help': 'vLLM、SGLang 服务器或 `workbench serve` 的 OpenAI 兼容地址。多个副本：用逗号分隔各自的 URL。API 密钥从 WORKBENCH_API_KEY 读取。',
    'app.test_connection': '测试连接',
    'app.connected': '已连接。协议：{protocol} · 模型：{models}',
    'app.prompt_format': '提示词格式',
    'app.prompt_format.help': '指令、查询和文档如何排布后送入模型。lychee-v1 可复现 lychee 格式出现之前保存的运行。',
    'app.prompt_sent': '发送给模型的提示词',
    'app.prompt_caption': '提示词格式 {format} · 第一篇文档“{doc}”',
    'app.prompt_tokens': '{n} 个 token',
    'app.prompt_no_tokens': 'token 数：需要本地模型文件夹',
    'app.prompt_image_tokens': '图像 token {tokens}',
    'app.upload_zip_hint': '上传的 CSV/JSONL 中的图片路径是相对于文件本身查找的，而单独上传文件不会带上文件夹。**请把文件和它的图片文件夹打包成一个 ZIP，再上传这个 ZIP。**',
    'app.validation_report': '校验报告：{rows}',
    'app.download_rejected': '下载被拒绝的行（CSV）',
    'app.doctor_spinner': '正在检查 GPU、flash-attn、tesseract 和模型…',
    'app.check_fix': '解决方法：{fix}',
    'app.check.python': 'Python 版本过旧',
    'app.check.torch': 'torch 未安装或无法导入：只能使用 BM25 和程序库',
    'app.check.transformers': 'transformers 无法导入',
    'app.check.cuda': '没有可用的 CUDA GPU；Qwen-VL 后端将在 CPU 上运行（小模型可以，7B 的 Lychee 权重会非常慢）',
    'app.check.gpu_memory': 'GPU 显存不足以运行 bf16 的 Lychee-rerank-mm 7B',
    'app.check.gpu_memory.name': 'GPU 显存',
    'app.check.bf16': '该 GPU 不支持 bfloat16',
    'app.check.flash_attn': '未安装 flash-attn：注意力计算改用 sdpa（结果正确，稍慢，长图像输入占用更多显存）',
    'app.check.tesseract': 'tesseract 缺失或无法运行：OCR 不可用',
    'app.check.tesseract_languages': '部分 OCR 语言包未安装',
    'app.check.tesseract_languages.name': 'tesseract 语言包',
    'app.check.model': '未设置可用的模型（WORKBENCH_MODEL）：只能使用词法（BM25）后端和测试检查点',
    'app.check.model.name': '模型',
    'app.check.app_port': '应用端口已被占用',
    'app.check.app_port.name': '应用端口',
    'app.check.scoring_smoke_test': '评分冒烟测试失败',
    'app.check.scoring_smoke_test.name': '评分冒烟测试',
    'app.check.doctor': '环境检查无法运行',
    'app.check.doctor.name': '环境检查',
    'app.session_option': '{name}（{sets}，{runs}）',
    'app.session': '会话',
    'app.no_sessions': '还没有会话——导入一个集合即可创建。',
    'app.database': '数据库：{name}',
    'app.backend_device': '后端与设备',
    'app.checks_pass': '{total} 项检查中 {good} 项通过：{names}',
    'app.model': '模型：{name}',
    'app.model_not_set': '模型：未设置（WORKBENCH_MODEL）',
    'app.score_cache': '分数缓存',
    'app.no_session_yet': '还没有会话。导入一个候选集（“导入”页），或在“首页”选择一个示例，即可创建会话。',
    'app.candidate_set': '候选集',
    'app.st.upload': '上传',
    'app.st.upload_limit': '单个文件不超过 {mb}MB',
    'app.list_sep': '、',
})


# ======================================================================= jobs
# ui/jobs.py: progress, cancel, job outcomes
MESSAGES.update({
    'jobs.kind.rerank': '重排序',
    'jobs.kind.compare': '对比',
    'jobs.kind.rerun': '重新运行',
    'jobs.kind.ocr': 'OCR 识别',
    'jobs.what.rerank': '排序',
    'jobs.what.compare': '对比',
    'jobs.what.rerun': '重新运行',
    'jobs.what.ocr': 'OCR 识别',
    'jobs.what.work': '任务',
    'jobs.stopping': '{title}：当前批次完成后停止…（{done}/{total}）',
    'jobs.waiting': '{title}：等待模型（另一个任务正在使用）',
    'jobs.starting': '{title}：正在启动…',
    'jobs.progress': '{title}：{done}/{total} · {elapsed}',
    'jobs.cancel': '取消',
    'jobs.cancel.help': '在当前批次完成后停止；已评分的结果会保存。',
    'jobs.running_work': '正在运行的任务',
    'jobs.cancelled': '{what}已取消。停止前完成的部分都已保存（状态为*已取消*）。',
    'jobs.label.rerank_set': '正在评分“{set}”（{template}）',
    'jobs.label.custom': '自定义',
    'jobs.label.rerank_pasted': '正在为{docs}评分',
    'jobs.label.ocr': '正在识别“{set}”的图片',
    'jobs.label.rerun': '正在重新运行“{session}”（{sets}）',
    'jobs.label.compare': '正在 {sets} 上对比 {instructions}',
})


# ======================================================================= frames
# ui/frames.py, ui/results.py: table headings, result texts
MESSAGES.update({
    'frames.image_only': '（只有图片：还没有文字；可在 OCR 页识别）',
    'frames.set_n': '集合 {id}',
    'frames.set_option': '{name} — {docs}',
    'frames.no_instruction': '（无指令）',
    'frames.run_label': '#{id} {name} · {backend} · {status}',
    'frames.status.done': '完成',
    'frames.status.cancelled': '已取消',
    'frames.status.failed': '失败',
    'frames.status.running': '运行中',
    'frames.status.pending': '等待中',
    'frames.status.interrupted': '已中断',
    'frames.status.imported': '已导入',
    'frames.backend.lexical': '词法',
    'frames.backend.remote': '远程服务',
    'frames.backend.imported': '导入的结果',
    'frames.score_pyes': '分数 P(yes)',
    'frames.score_pyes.help': '模型判断文档满足指令的概率（0–1）。',
    'frames.score_bm25': 'BM25 分数',
    'frames.score': '分数',
    'frames.score_raw.help': '原始分数，不是概率：只有在本集合内的先后顺序有意义。条形按本次运行的分数范围（{lo}–{hi}）缩放。',
    'frames.grade_0': '0 级',
    'frames.grade_1': '1 级',
    'frames.grade_2': '2 级',
    'frames.unlabelled': '未标注',
    'frames.metric.status': '状态',
    'frames.metric.scored': '已评分',
    'frames.metric.cache_hits': '缓存命中',
    'frames.metric.cache_hits.imported': '导入的排序不在这里评分。',
    'frames.metric.cache_hits.help': '从分数缓存中复用的分数。',
    'frames.metric.cache_hits.stopped': '运行结束时统计；中途停止的运行不统计。',
    'frames.metric.time': '用时',
    'frames.metric.time.imported': '导入的排序没有评分用时。',
    'frames.metric.labelled': '已标注',
    'err.ui.no_documents': '没有可排序的文档。',
    'err.ui.no_documents.fix': '每行粘贴一篇文档、输入单篇文档，或选择一个已保存的集合。',
    'frames.col.session': '会话',
    'frames.col.sets': '集合数',
    'frames.col.runs': '运行数',
    'frames.col.created': '创建时间',
    'frames.col.description': '描述',
    'frames.col.run': '运行',
    'frames.col.name': '名称',
    'frames.col.set': '集合',
    'frames.col.backend': '后端',
    'frames.col.status': '状态',
    'frames.col.instruction': '指令',
    'frames.col.started': '开始时间',
    'frames.col.doc_id': '文档 ID',
    'frames.col.text': '文本',
    'frames.col.image': '图片',
    'frames.col.label': '标注',
    'frames.col.rank': '排名',
    'frames.col.score': '分数',
    'frames.col.thumbnail': '缩略图',
    'frames.col.note': '备注',
    'frames.col.query_id': '查询 ID',
    'frames.col.query_text': '查询文本',
    'frames.col.query': '查询',
    'frames.col.document': '文档',
    'frames.col.doc_text': '文档文本',
    'frames.col.line': '行号',
    'frames.col.column': '列',
    'frames.col.error': '错误',
    'frames.col.fix': '解决方法',
    'frames.col.ocr_text': 'OCR 文本',
    'frames.col.docs': '文档数',
    'frames.col.labels': '标注数',
    'frames.col.labelled': '已标注',
    'frames.col.progress': '进度',
    'frames.h.rank': '排名',
    'frames.h.image': '图片',
    'frames.h.doc': '文档',
    'frames.h.description': '描述',
    'frames.h.label': '标注',
    'frames.h.label.help': '0 不相关 · 1 部分相关 · 2 相关',
    'frames.h.note': '备注',
    'frames.chart.rank': '排名',
    'frames.chart.label': '标注',
    'frames.warnings_while_scoring': '评分时出现 {warnings}：',
    'frames.results': '结果',
    'frames.results_caption': '{run} · 指令：{instruction}',
    'frames.cancelled_run': '已取消的运行：停止前 {total} 篇文档中有 {scored} 篇已评分，结果已保存。',
    'frames.save_labels': '保存标注',
    'frames.saved_labels_for': '已为“{set}”保存 {labels}。',
    'frames.export_csv': '导出 CSV',
    'frames.score_chart': '分数图',
    'frames.results_unsaved': '结果（未保存）',
    'frames.results_unsaved_caption': '{backend} · {instruction} — 勾选“另存为新的候选集”并重新运行，即可保留标注和运行结果。',
    'frames.save_labels_notes': '保存标注和备注',
    'frames.saved_labels': '已保存 {labels}。',
    'frames.saved_labels_removed': '已保存 {labels}，删除 {removed} 个。',
})


# ======================================================================= home
# pages/home_page.py
MESSAGES.update({
})


# ======================================================================= import
# pages/import_page.py and the import report
MESSAGES.update({
})


# ======================================================================= ocr
# pages/ocr_page.py, ui/ocr_tools.py
MESSAGES.update({
})


# ======================================================================= sessions
# pages/sessions_page.py
MESSAGES.update({
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
