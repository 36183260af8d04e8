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
    'rerank.title': '重排序',
    'rerank.job_what': '排序',
    'rerank.instruction': '指令',
    'rerank.template': '场景模板',
    'rerank.instruction_text': '指令文本',
    'rerank.instruction_placeholder': '输入指令，例如“给定用户的问题，检索……”',
    'rerank.precise': '要求精确，避免模糊措辞',
    'rerank.sent_to_model': '发送给模型：{text}',
    'rerank.instruction_empty': '指令为空：请输入一条，或选择一个场景模板。',
    'rerank.query_and_documents': '查询与文档',
    'rerank.documents_from': '文档来源',
    'rerank.mode_stored': '已保存的候选集',
    'rerank.mode_pasted': '粘贴多行（批量）',
    'rerank.mode_single': '单个文档',
    'rerank.no_sets': '此会话还没有候选集：请导入一个，或直接粘贴文档。',
    'rerank.set_picker': '候选集',
    'rerank.query_image_caption': '查询图片',
    'rerank.query_line': '查询：{query}',
    'rerank.image_only': '（仅图片）',
    'rerank.query_text': '查询文本',
    'rerank.query_image': '查询图片（可选）',
    'rerank.documents_lines': '文档，每行一个',
    'rerank.document': '文档',
    'rerank.save_adhoc': '在当前会话中保存为新的候选集（保留标注和运行）',
    'rerank.backend': '后端',
    'rerank.run_name': '运行名称（可选）',
    'rerank.run_name_placeholder': '默认为模板名称，例如“e-commerce + precise”',
    'rerank.run_button': '运行重排序',
    'rerank.job_label_set': '正在为“{set}”打分（{template}）',
    'rerank.count_pasted': '{n} 个粘贴的文档',
    'rerank.job_label_pasted': '正在为 {docs}打分',
    'err.rerank.empty_instruction': '指令为空，模型不知道要找什么。',
    'err.rerank.empty_instruction.fix': '在“指令文本”框中输入指令，或选择一个场景模板。',
})


# ======================================================================= compare
# pages/compare_page.py, ui/comparison.py, ui/matrix_links.py
MESSAGES.update({
    'compare.title': '对比指令与后端',
    'compare.no_sets': '此会话还没有候选集：请先导入一个。',
    'compare.scope': '范围',
    'compare.set_picker': '候选集',
    'compare.scope_set': '单个候选集',
    'compare.scope_session': '整个会话',
    'compare.scope_session_n': '整个会话（{sets}）',
    'compare.job_what': '对比',
    'compare.scored_cache': '已完成 {runs} 的打分；{total} 个分数中有 {hits} 个来自分数缓存。',
    'compare.scored': '已完成 {runs} 的打分。',
    'compare.count_runs': '{n} 个运行',
    'compare.count_instructions': '{n} 条指令',
    'compare.new_comparison': '运行新的对比',
    'compare.instructions': '指令（2–4 条）',
    'compare.custom_instructions': '其他自定义指令，每行一条',
    'compare.precise': '要求精确，避免模糊措辞',
    'compare.also_lexical': '同时运行词法基线（BM25）',
    'compare.run_button': '运行对比',
    'compare.job_label': '在 {sets} 上对比 {instructions}',
    'compare.runs_to_compare': '要对比的运行',
    'compare.pick_two': '请至少选择两个不同指令或后端的运行（或在上方运行一次对比）。',
    'compare.baseline': '基线运行（排名变化和胜负都相对于它计算）',
    'compare.k': 'k（NDCG@k、P@k、Recall@k、overlap@k）',
    'compare.image_only': '（仅图片）',
    'compare.export': '**导出**（CSV）',
    'compare.table_metrics': '指标',
    'compare.table_per_query_metrics': '逐查询指标',
    'compare.table_significance': '显著性',
    'compare.table_rank_shifts': '排名变化',
    'compare.table_correlations': '相关性',
    'compare.table_discrimination': '区分度',
    'compare.template_custom': '自定义',
    'compare.template_e_commerce': '电商',
    'compare.template_papers': '论文',
    'compare.template_legal': '法律',
    'compare.template_web': '网页',
    'compare.template_qa': '问答',
    'compare.template_product_similarity': '相似商品',
    'compare.col_run': '运行',
    'compare.col_run_a': '运行 A',
    'compare.col_run_b': '运行 B',
    'compare.col_query': '查询',
    'compare.col_doc': '文档',
    'compare.col_description': '描述',
    'compare.col_metric': '指标',
    'compare.col_n_queries': '查询数',
    'compare.col_n_flagged': '被标记的查询数',
    'compare.col_share_flagged': '被标记比例',
    'compare.col_mean_std': '平均标准差',
    'compare.col_mean_iqr': '平均四分位距',
    'compare.col_mean_share_mid': '0.4–0.6 平均占比',
    'compare.col_mean_a': 'A 的均值',
    'compare.col_mean_b': 'B 的均值',
    'compare.col_mean_diff': '均值差',
    'compare.col_p_ttest': 'p（t 检验）',
    'compare.col_p_permutation': 'p（随机化检验）',
    'compare.col_wins_b': 'B 更好',
    'compare.col_losses_b': 'B 更差',
    'compare.col_ties': '持平',
    'compare.col_winner': '胜者',
    'compare.col_verdict': '结论',
    'compare.col_n_common': '共同文档数',
    'compare.col_kendall_tau': 'Kendall τ',
    'compare.col_spearman_rho': 'Spearman ρ',
    'compare.col_overlap': '前 {k} 重合度',
    'compare.col_max_shift': '最大 |位移|',
    'compare.col_matrix': '矩阵',
    'compare.col_run_shift': '{run} 位移',
    'compare.col_run_rank': '{run} 排名',
    'compare.col_run_score': '{run} 分数',
    'compare.open_matrix': '在矩阵中打开',
    'compare.open_matrix_help': '此查询的矩阵视图：所对比运行的排名，并设好基线',
    'compare.open_matrix_query': '在矩阵中打开查询 {query}（这些运行、这个基线）',
    'compare.advice_where': '（{of} 个查询中有 {n} 个）',
    'compare.advice_why_bm25': '分数几乎无法区分文档{where}：{reasons}；大多数文档与查询没有共同的词。',
    'compare.advice_tip_bm25': '给文档补充文字（在 OCR 页面把图片识别成描述），或改用 Qwen-VL 模型排序。'
                               'BM25 不看指令，所以改指令没有任何作用。',
    'compare.advice_centre_unsure': '大多数分数在 0.5 附近：模型拿不准',
    'compare.advice_centre_bunch': '分数都挤在 {median} 附近',
    'compare.advice_why_model': '分数几乎没有区分度{where}：{reasons}；{centre}。',
    'compare.advice_tip_template': '用针对具体场景的指令代替通用指令（例如{template}模板：“{text}”）。',
    'compare.advice_tip_documents': '给模型更具体的文档：加入 OCR 文本、商品描述或关键属性，让每个文档都有可供判断的依据。',
    'compare.advice_tip_precise': '打开“{suffix}”。',
    'compare.advice_box': '{runs}：{why}\n\n**可以尝试：** {tips}',
    'compare.tab_metrics': '指标',
    'compare.tab_shifts': '排名变化',
    'compare.tab_scores': '分数分布',
    'compare.tab_agreement': '一致性',
    'compare.no_labels': '请先标注文档（重排序或会话页面：0/1/2），才能看到 NDCG、MRR、P@k、Recall@k 和 MAP。',
    'compare.metrics_heading': '**运行 × 指标**（已标注查询上的平均值）',
    'compare.more_verdicts': '……还有 {n} 条（见配对检验）',
    'compare.paired_tests': '配对检验',
    'compare.per_query_heading': '**逐查询**（每一行都可打开该查询的矩阵）',
    'compare.per_query_metric': '逐查询指标',
    'compare.win_loss_heading': '**逐查询胜负**：{challenger} 对比基线 {baseline}，指标 {metric}（持平：零线上的灰色菱形）',
    'compare.query': '查询',
    'compare.only_changed': '只显示有变化的',
    'compare.shift_caption': '位移 = 基线排名 − 该运行中的排名：绿色为上升，红色为下降。',
    'compare.prob_caption': 'P(yes) 取值 0–1。阴影带：0.4–0.6；大多数分数落在其中说明指令几乎没有区分度。',
    'compare.raw_caption': '原始分数（BM25 或导入的）按各自的刻度单独显示，不与 P(yes) 混在一起。',
    'compare.no_agreement': '一致性需要两个对相同文档打分的运行。',
    'compare.outcome_win': '胜',
    'compare.outcome_tie': '平',
    'compare.outcome_loss': '负',
    'compare.chart_query': '查询',
    'compare.chart_outcome': '结果',
    'compare.chart_baseline_value': '基线值',
    'compare.chart_challenger_value': '挑战者值',
    'compare.chart_diff': '挑战者 − 基线',
    'compare.chart_raw_score': '原始分数（不是概率）',
    'compare.chart_score': '分数',
    'compare.chart_rank': '排名',
    'compare.chart_moved': '有变化',
    'compare.chart_changed': '是',
    'compare.chart_unchanged': '否',
})


# ======================================================================= matrix
# pages/matrix_page.py
MESSAGES.update({
    'matrix.title': '矩阵',
    'matrix.caption': '运行为列，文档为行。单元格：排名（分数）。各运行结果不一致的行会高亮显示；位移列把每个运行与基线相比。',
    'matrix.no_runs': '此会话还没有完成的运行：请对一个集合做重排序（重排序页面），或导入运行。',
    'matrix.runs': '运行（列）',
    'matrix.runs_help': '此会话中的指令、后端、提示格式和导入的系统。',
    'matrix.pick_one': '请至少选择一个运行。',
    'matrix.query': '查询',
    'matrix.previous': '上一个',
    'matrix.next': '下一个',
    'matrix.baseline': '基线运行',
    'matrix.k': 'k（位移）',
    'matrix.k_help': '某个运行把文档移动至少 k 位的行会高亮显示。',
    'matrix.only_diff': '只看差异',
    'matrix.count_rows': '{n} 行',
    'matrix.status': '第 {i} 个查询，共 {n} 个 · 基线：{baseline} · {total} 行中有 {rows}不一致（位移 ≥ {k}、'
                     '某个运行缺少该文档，或排名与标注矛盾；{relevant} 个标注为相关）',
    'matrix.col_image': '图片',
    'matrix.col_doc': '文档',
    'matrix.col_label': '标注',
    'matrix.col_label_help': '0 不相关 · 1 部分相关 · 2 相关；空：未标注',
    'matrix.col_text': '文本',
    'matrix.col_why': '差异原因',
    'matrix.col_label_it': '去标注',
    'matrix.label_link': '标注',
    'matrix.label_link_help': '在标注模式中打开此文档',
    'matrix.shift_help': '相对基线（{baseline}）移动的位数；+ 表示上升',
    'matrix.cell_help': '排名（分数）',
})


# ======================================================================= label
# pages/label_page.py
MESSAGES.update({
    'label.title': '标注',
    'label.no_sets': '此会话还没有候选集：请先导入一个（导入页面）。',
    'label.grade_button_0': '不相关',
    'label.grade_button_1': '部分相关',
    'label.grade_button_2': '相关',
    'label.grade_name_0': '不相关',
    'label.grade_name_1': '部分相关',
    'label.grade_name_2': '相关',
    'label.query': '查询',
    'label.unlabelled_only': '只看未标注',
    'label.unlabelled_help': '只显示还没有评分的文档（当前查看的文档保留）。',
    'label.count_documents': '{n} 个文档',
    'label.progress_query': '此查询：{docs}中已评分 {done} 个',
    'label.progress_session': '会话：{total} 个文档中已评分 {done} 个',
    'label.query_image': '查询图片',
    'label.all_graded': '此查询的所有文档都已评分。取消“只看未标注”可以复查，或选择下一个查询。',
    'label.saved': '已保存：{doc} = {grade}',
    'label.undone_ungraded': '已撤销：{doc} 恢复为未评分',
    'label.undone_back': '已撤销：{doc} 恢复为 {grade}',
    'label.note_saved': '已保存 {doc} 的备注',
    'label.no_image': '（无图片）',
    'label.position': '第 {i} 个文档，共 {n} 个 · id {doc}',
    'label.grade_line': '**评分：** {grade}',
    'label.grade_value': '{grade}（{name}）',
    'label.not_graded': '尚未评分',
    'label.text': '文本',
    'label.none': '（无）',
    'label.ocr_text': 'OCR 文本',
    'label.no_text_found': '未识别到文字',
    'label.not_read': '（未识别）',
    'label.previous': '上一个',
    'label.next': '下一个',
    'label.undo': '撤销',
    'label.undo_help': '撤销你给出的上一个评分',
    'label.note': '备注（离开输入框时保存）',
    'label.keys': '快捷键：0 / 1 / 2 评分 · ← → 移动 · U 撤销。评分和备注会立即保存。',
    'label.progress_per_query': '各查询进度',
    'label.all_queries': '全部',
    'label.col_set_id': '集合 id',
    'label.col_query_id': '查询',
    'label.col_query_text': '查询文本',
    'label.col_documents': '文档数',
    'label.col_labelled': '已标注',
    'label.col_share': '完成度',
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
