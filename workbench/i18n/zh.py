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
    'advice.the_metric': '该指标',
    'advice.verdict_too_few': '查询太少，无法判定胜者：共同标注的查询只有 {n} 个（至少需要 {need} 个）。'
                              '请先标注更多查询，再相信 {metric} 上的差异。',
    'advice.verdict_not_significant': '“{run_a}”与“{run_b}”在 {metric} 上无显著差异'
                                      '（平均差 {diff}，p = {p}，n = {n} 个查询）。',
    'advice.verdict_significant': '“{winner}”在 {metric} 上优于“{loser}”，高出 {diff}'
                                  '（p = {p}，n = {n} 个查询；{wins} 个更好，{losses} 个更差，{ties} 个持平）。',
    'advice.note_skipped': '{n} 个查询没有相关标注，未计入指标。',
    'advice.note_no_labels': '没有标注：指标、显著性检验和胜负对比都需要相关性标注。',
    'advice.note_superseded': '运行 {id}（“{run}”，查询 {query}）已被同名的新运行取代；对比使用最新的运行。',
    'advice.list_sep': '、',
    'advice.clause_sep': '；',
    'advice.why_graded_2': '标注为 2，但排名第 {rank}（相关文档共 {relevant} 个）',
    'advice.why_graded_0': '标注为 0，但排名第 {rank}（位于前 {relevant} 名）',
    'advice.why_moved': '位移：{moves}',
    'advice.why_move': '{run} 中 {shift}',
    'advice.why_missing': '{runs} 中缺少',
    'advice.why_run': '{run}：{reason}',
    'advice.remedy_template': '用针对具体场景的指令代替通用指令（例如电商模板：“{template}”）。',
    'advice.remedy_documents': '给模型更具体的文档：加入 OCR 文本、商品描述或关键属性，让每个文档都有可供判断的依据。',
    'advice.remedy_precise': '在指令末尾加上“{suffix}”（即“要求精确”选项）。',
    'advice.message': '分数几乎没有区分度：{reasons}。可以尝试：{remedies}',
    'advice.reason_tied': '{share} 的文档分数完全相同',
    'advice.reason_mid': '{share} 的分数落在 {low} 到 {high} 之间',
    'advice.reason_std': '标准差 {std} < {limit}',
    'advice.reason_iqr': '四分位距 {iqr} < {limit}',
})


# ======================================================================= err_data
# errors of workbench/formats, ocr, store, service, samples, labelling, limits (err.<code>)
MESSAGES.update({
})


# ======================================================================= err_engine
# errors of workbench/rerank, compare, parity, jobs, hub, config, doctor (err.<code>)
MESSAGES.update({
})
