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
_ENGINE_MODEL_FIX = ("请在能访问 Hugging Face 的机器上下载权重："
              "`huggingface-cli download {model_id} --local-dir /models/lychee-rerank-mm`，"
              "把该文件夹复制到本机，然后设置 WORKBENCH_MODEL=/models/lychee-rerank-mm（或传入 --model PATH）。"
              "若想在没有真实权重的情况下试用工作台，可用 `workbench tiny-checkpoint DIR` 生成一个测试模型，"
              "并将 WORKBENCH_MODEL 指向 DIR。")
_ENGINE_HUB_FIX = ("请在能上网的机器上下载该模型，把它的文件夹复制到本机，然后将该文件夹的路径填为模型；"
            "或者让本机连接互联网。")
_ENGINE_NOT_YES_NO_FIX = "请提供一个 yes/no 重排序模型的检查点（例如用 vLLM 加载 Lychee-rerank-mm 文件夹），或让工作台指向正确的服务器。"
_ENGINE_TOO_LONG_FIX = "请用更大的 --max-model-len 启动服务器，或调低 max_pixels / 缩短文档文本。"
_ENGINE_RETRIES_FIX = "请查看各服务器的日志并确认它们在运行，然后重新运行：已打分的文档对会保留，不会重复发送。"
_ENGINE_PACKAGE_FIX = "请安装：{pip}（或安装全部：{pip_all}），然后重启工作台。"
MESSAGES.update({
    # --- backends and models (rerank/registry.py, rerank/qwen_vl, hub.py)
    'err.backend.unknown': "未知的重排序后端“{name}”。",
    'err.backend.unknown.fix': '请使用以下之一：{names}。',
    'err.model.none_named': '没有指定重排序模型。',
    'err.model.none_named.fix': "请填写 'bm25'，或 Lychee-rerank-mm / Qwen3-VL-Reranker 检查点所在的文件夹。",
    'err.model.not_backend_or_folder': "“{key}”既不是重排序后端，也不是模型文件夹。",
    'err.model.not_backend_or_folder.fix': '请使用以下之一：{names}，或 Lychee-rerank-mm / Qwen3-VL-Reranker '
                                           '检查点所在的文件夹。',
    'err.backend.missing_packages': "“{key}”后端需要 {packages}，但尚未安装。",
    'err.backend.missing_packages.fix': '请安装：{pip}',
    'err.backend.import_failed': "无法导入“{key}”后端（{detail}）。",
    'err.backend.import_failed.fix': '请重新安装：{pip}',
    'err.backend.qwen_missing': 'qwen-vl 后端需要 torch、transformers 和 qwen-vl-utils（{detail}）。',
    'err.backend.qwen_missing.fix': '请安装：{pip}',
    'err.backend.no_cuda': "指定了设备“{device}”，但看不到任何 CUDA GPU。",
    'err.backend.no_cuda.fix': '请改用 --device cpu，或用 `nvidia-smi` 检查 NVIDIA 驱动。',
    'err.backend.unknown_dtype': "未知的数据类型“{dtype}”。",
    'err.backend.unknown_dtype.fix': '请使用 float32、bfloat16 或 float16。',
    'err.backend.transformers_too_old': "当前的 transformers（{version}）无法加载“{path}”：{detail}",
    'err.backend.transformers_too_old.fix': '请升级 transformers：pip install -U transformers',
    'err.model.not_configured': '尚未配置 Qwen-VL 重排序模型。',
    'err.model.not_configured.fix': _ENGINE_MODEL_FIX,
    'err.model.no_config': "无法加载“{path}”（该文件夹中没有 config.json）。",
    'err.model.no_config.fix': _ENGINE_MODEL_FIX,
    'err.model.is_file': "无法加载“{path}”（它是一个文件，不是模型文件夹）。",
    'err.model.is_file.fix': _ENGINE_MODEL_FIX,
    'err.model.no_folder': "无法加载“{path}”（该文件夹不存在）。",
    'err.model.no_folder.fix': _ENGINE_MODEL_FIX,
    'err.model.load_failed': "无法加载“{path}”（{detail}）。",
    'err.model.load_failed.fix': _ENGINE_MODEL_FIX,
    'err.model.cannot_load': "无法加载“{path}”。",
    'err.model.cannot_load.fix': _ENGINE_MODEL_FIX,
    'err.model.incomplete': "模型文件夹“{folder}”不完整：缺少 {missing}。",
    'err.model.incomplete.fix': '请复制完整的检查点文件夹（模型下载的全部文件，例如在能访问 Hugging Face 的机器上运行 '
                                '`huggingface-cli download {model_id} --local-dir DIR`），'
                                '或将 --model / WORKBENCH_MODEL 指向完整的文件夹。',
    'err.model.not_yes_no': "“{path}”的分词器把“{word}”切成了 {n} 个词元；yes/no 重排序模型要求它是单个词元。",
    'err.model.not_yes_no.fix': '请将 WORKBENCH_MODEL 指向 Lychee-rerank-mm / Qwen-VL 重排序模型的检查点。',
    'err.model.hub_offline': "模型“{model}”既不是本地文件夹，也不在 Hugging Face 缓存中，"
                             '而本机已关闭 Hugging Face Hub 访问（HF_HUB_OFFLINE）。',
    'err.model.hub_offline.fix': _ENGINE_HUB_FIX,
    'err.model.hub_unreachable': "模型“{model}”既不是本地文件夹，也不在 Hugging Face 缓存中，"
                                 '而本机无法连接 Hugging Face Hub（{host}）（{error}）。',
    'err.model.hub_unreachable.fix': _ENGINE_HUB_FIX,
    # --- scoring (rerank/qwen_vl/reranker.py, rerank/remote.py)
    'err.rank.image_unreadable': '打分时有一张图片无法读取（{detail}）。',
    'err.rank.image_unreadable.fix': '请检查该候选集的图片文件，或重新导入。',
    'err.rank.gpu_out_of_memory': "即使单独处理，文档“{doc}”也超出了 GPU 显存。",
    'err.rank.gpu_out_of_memory.fix': '请调低 max_pixels 或 max_length，关闭其他占用 GPU 的程序，或使用显存更大的 GPU。',
    'err.rank.query_image_missing': "查询“{id}”的图片（“{path}”）不存在。",
    'err.rank.query_image_missing.fix': '请连同图片重新导入该候选集，或修正图片路径。',
    'err.rank.doc_image_missing': "文档“{id}”的图片（“{path}”）不存在。",
    'err.rank.doc_image_missing.fix': '请连同图片重新导入该候选集，或修正图片路径。',
    'err.rank.image_file_missing': "图片“{path}”不存在。",
    'err.rank.image_file_missing.fix': '请连同图片重新导入该候选集，或修正图片路径。',
    # --- serving engines over HTTP (rerank/remote.py)
    'err.backend.no_httpx': '远程后端需要 httpx，但尚未安装。',
    'err.backend.no_httpx.fix': "请安装：pip install 'lychee-workbench[serve]'（httpx）",
    'err.remote.not_a_url': "“{url}”不是服务器 URL。",
    'err.remote.not_a_url.fix': '请按 http://HOST:PORT/v1 的形式填写，例如 --model http://127.0.0.1:8000/v1。',
    'err.remote.no_url': '没有填写服务器 URL。',
    'err.remote.no_url.fix': '请按 --model http://HOST:PORT/v1 的形式填写一个。',
    'err.remote.refused': '位于 {url} 的服务器拒绝了请求（{status}：{detail}）。',
    'err.remote.refused.fix': '请把服务器的 API 密钥放入环境变量 {env}（例如 `export {env}=...`，即服务器启动时 '
                              '--api-key 所用的密钥），或在 API 密钥输入框中填写。',
    'err.remote.html_page': '{url} 对 {what} 返回了一个 HTML 页面（HTTP {status}），而不是 OpenAI 兼容 API 的 JSON：'
                            '该 URL 指向的是网页或代理，而不是推理引擎。',
    'err.remote.html_page.fix': '请填写引擎的 API 地址，例如 http://HOST:8000/v1（vLLM、SGLang 或 `workbench serve`），'
                                '并确认前面没有代理或登录页面。',
    'err.remote.http_error': '{url} 对 {what} 返回了 HTTP {status}：{detail}',
    'err.remote.http_error.fix': '请查看服务器日志；原因见上面的信息。',
    'err.remote.not_json': '{url} 对 {what} 返回的内容不是 JSON：{body}',
    'err.remote.not_json.fix': '请填写引擎的 API 地址，例如 http://HOST:8000/v1。',
    'err.remote.unreachable': '无法连接位于 {url} 的服务器（{error}）。',
    'err.remote.unreachable.fix': '请检查 URL 和端口、服务器是否在运行、本机能否访问它（防火墙、VPN）。'
                                  '启动服务器的示例：{command}（CPU 版本：python -m '
                                  'vllm.entrypoints.openai.api_server --model DIR ...）',
    'err.remote.no_models_route': '{base}/models 不存在（HTTP 404）：{base} 不是 OpenAI 兼容的 API 地址。',
    'err.remote.no_models_route.fix': '请填写以 /v1 结尾的引擎 API 地址，例如 http://HOST:8000/v1。',
    'err.remote.no_model_list': '{base}/models 的回答中没有模型列表：{body}',
    'err.remote.no_model_list.fix': '请填写以 /v1 结尾的引擎 API 地址，例如 http://HOST:8000/v1。',
    'err.remote.tokenizer_failed': "无法加载分词器“{tokenizer}”（{detail}）。",
    'err.remote.tokenizer_failed.fix': '请为 --tokenizer 指定服务器所服务模型的文件夹（或 Hub ID）。',
    'err.remote.tokenizer_not_yes_no': "分词器“{tokenizer}”把 {words} 切成了多个词元：该模型不是 yes/no 重排序模型"
                                       '（Lychee-rerank-mm、Qwen3-VL-Reranker）。',
    'err.remote.tokenizer_not_yes_no.fix': _ENGINE_NOT_YES_NO_FIX,
    'err.remote.server_not_yes_no': "服务器的分词器（{base}，模型“{model}”）把 {words} 切成了多个词元："
                                    '该模型不是 yes/no 重排序模型（Lychee-rerank-mm、Qwen3-VL-Reranker）。',
    'err.remote.server_not_yes_no.fix': _ENGINE_NOT_YES_NO_FIX,
    'err.remote.not_yes_no': '{where} 把 {words} 切成了多个词元：该模型不是 yes/no 重排序模型'
                             '（Lychee-rerank-mm、Qwen3-VL-Reranker）。',
    'err.remote.not_yes_no.fix': _ENGINE_NOT_YES_NO_FIX,
    'err.remote.unknown_protocol': "未知的协议“{protocol}”。",
    'err.remote.unknown_protocol.fix': '请使用 --protocol chat 或 --protocol rerank（或不填，自动检测）。',
    'err.remote.no_model': '{base} 没有提供任何模型。',
    'err.remote.no_model.fix': '请用重排序模型启动服务器。',
    'err.remote.wrong_model': "位于 {base} 的服务器没有名为“{model}”的模型；它提供的是：{models}。",
    'err.remote.wrong_model.fix': '请使用其中一个名称（--served-model {first}），或用 --served-model-name {model} '
                                  '启动服务器。',
    'err.remote.replicas_differ': '各副本提供的模型不同：{replicas}。',
    'err.remote.replicas_differ.fix': '各副本必须以相同的名称提供同一个模型（--served-model-name）。',
    'err.remote.several_models': '该服务器提供多个模型（{models}）；哪一个是重排序模型？',
    'err.remote.several_models.fix': '请用 --served-model {first} 指定。',
    'err.remote.tokenizer_mismatch': "--tokenizer“{tokenizer}”给出的 yes/no 词元 ID 为 {lyes}/{lno}，"
                                     '而服务器为 {yes}/{no}：它不是所服务模型的分词器。',
    'err.remote.tokenizer_mismatch.fix': '请为 --tokenizer 指定服务器所服务模型的文件夹，或者不填。',
    'err.remote.no_rerank_route': "位于 {base} 的服务器（模型“{model}”）不响应 /v1/rerank（{why}）。",
    'err.remote.no_rerank_route.fix': '请用 pooling runner 启动 vLLM 来提供 yes/no 重排序模型，例如：'
                                      '{command}；或者对生成式服务器使用 --protocol chat。',
    'err.remote.no_logprobs': "位于 {base} 的服务器（模型“{model}”）在 /v1/chat/completions 上不返回 yes/no 的"
                              '对数概率（{why}）。',
    'err.remote.no_logprobs.fix': '请以开启 logprobs 的生成模型方式提供该重排序模型（vLLM：{command}；'
                                  '不要传 --max-logprobs 0），或对 pooling 服务器使用 --protocol rerank。',
    'err.remote.not_a_reranker': "位于 {base} 的模型“{model}”在 /v1/rerank 和 /v1/chat/completions 上都不返回分数"
                                 '（rerank：{why}）。它看起来不是一个正在提供服务的 yes/no 重排序模型。',
    'err.remote.not_a_reranker.fix': '请用 vLLM 提供 Lychee-rerank-mm / Qwen3-VL-Reranker：chat 协议用 '
                                     '`{chat_command}`，/v1/rerank 用 `{rerank_command}`。',
    'err.remote.answer_no_logprobs': "服务器的 chat 回答中没有 logprobs（模型“{model}”）。",
    'err.remote.answer_no_logprobs.fix': '请以开启 logprobs 的方式提供该模型（vLLM：{command}），'
                                         '或对 pooling 服务器使用 --protocol rerank。',
    'err.remote.yes_no_not_in_top': "“yes”或“no”不在服务器返回的前 {n} 个 logprobs 中（{tokens}），"
                                    '因此无法精确计算 P(yes)。',
    'err.remote.yes_no_not_in_top.fix': '请使用 vLLM（它的 logprob_token_ids 会精确返回 yes/no 的 logprobs；'
                                        '若服务器没有 /tokenize，请指定 --tokenizer），或对 pooling 服务器使用 '
                                        '--protocol rerank。',
    'err.remote.rerank_no_results': '/v1/rerank 的回答中没有结果：{body}',
    'err.remote.rerank_no_results.fix': '请确认服务器运行的是重排序模型（vLLM：--runner pooling）。',
    'err.remote.rerank_incomplete': '/v1/rerank 的回答只给 {n} 个文档中的 {scored} 个打了分。',
    'err.remote.rerank_incomplete.fix': '请不要在服务器端设置 top_n；并查看服务器日志。',
    'err.remote.all_replicas_out': '所有副本都失败了，已全部移出轮换：{replicas}。',
    'err.remote.all_replicas_out.fix': '请确认各服务器正在运行（它们的日志会说明失败原因），然后重新运行：'
                                       '已打分的文档对会保留，不会重复发送。',
    'err.remote.doc_too_long': "文档“{doc}”超出了服务器的上下文长度（{detail}）。",
    'err.remote.doc_too_long.fix': _ENGINE_TOO_LONG_FIX,
    'err.remote.docs_too_long': "文档“{first}”至“{last}”超出了服务器的上下文长度（{detail}）。",
    'err.remote.docs_too_long.fix': _ENGINE_TOO_LONG_FIX,
    'err.remote.doc_retries_exhausted': "文档“{doc}”的请求失败了 {attempts} 次（最后一次：{reason}，在 {base}）。",
    'err.remote.doc_retries_exhausted.fix': _ENGINE_RETRIES_FIX,
    'err.remote.docs_retries_exhausted': "文档“{first}”至“{last}”的请求失败了 {attempts} 次（最后一次：{reason}，"
                                         '在 {base}）。',
    'err.remote.docs_retries_exhausted.fix': _ENGINE_RETRIES_FIX,
    'err.prompt.unknown_format': "“{name}”不是一种提示格式。",
    'err.prompt.unknown_format.fix': '请从以下格式中选择：{names}。',
    'err.prompt.wrong_family': "提示格式“{name}”是为 {format_family} 检查点设计的，而当前模型是 {family}。",
    'err.prompt.wrong_family.fix': '请选择适合该模型的格式：{fits}。',
    'err.prompt.no_serving_template': "没有名为“{name}”的服务模板。",
    'err.prompt.no_serving_template.fix': '请使用以下之一：{names}（或 {files}）。',
    # --- what a reranker is given, and stopping it (rerank/base.py)
    'err.rank.query_unknown_fields': '查询中有未知字段：{fields}。',
    'err.rank.query_unknown_fields.fix': "请以字符串形式给出查询，或使用包含 'text' 和/或 'image'（文件路径）的字典，"
                                         "可选 'id'。",
    'err.rank.query_empty': '查询既没有文本也没有图片。',
    'err.rank.query_empty.fix': "请为查询提供 'text'、'image'（文件路径），或两者都提供。",
    'err.rank.query_bad_type': '查询的类型是 {type}，重排序模型无法读取。',
    'err.rank.query_bad_type.fix': "请以字符串、包含 'text' 和/或 'image' 的字典，或 Query 对象的形式给出查询。",
    'err.rank.documents_not_list': '文档必须是一个列表，即使只有一个文档。',
    'err.rank.documents_not_list.fix': '请把它放进列表：rank(query, ["one document"])。',
    'err.rank.document_unknown_fields': '文档 {i} 中有未知字段：{fields}。',
    'err.rank.document_unknown_fields.fix': "请以字符串形式给出每个文档，或使用包含 'text' 和/或 'image'（文件路径）的字典，"
                                            "可选 'id' 和 'metadata'。",
    'err.rank.document_bad_type': '文档 {i} 的类型是 {type}，重排序模型无法读取。',
    'err.rank.document_bad_type.fix': "请以字符串、包含 'text' 和/或 'image' 的字典，或 Document 对象的形式给出每个文档。",
    'err.rank.duplicate_document_id': "有两个文档的 ID 都是“{id}”。",
    'err.rank.duplicate_document_id.fix': '请为每个文档指定唯一的 ID，或者不填 ID。',
    'err.rank.cancelled_before_scoring': '已在打分前取消：{total} 个文档中已有 {done} 个有分数。',
    'err.rank.cancelled_before_scoring.fix': '请重新开始运行；已计算的分数都已缓存。',
    'err.rank.cancelled': '已在 {total} 个文档中的 {done} 个完成后取消。',
    'err.rank.cancelled.fix': '请重新开始运行；已计算的分数会保留，并从缓存中复用。',
    # --- comparing runs (compare/*), parity (parity.py)
    'err.compare.too_few_runs': '比较至少需要 {least} 次运行；当前只有 {n} 次。',
    'err.compare.too_few_runs.fix': '请先用其他指令或后端对该候选集重排序，然后再比较。',
    'err.compare.several_queries': '排名表只比较同一个查询的运行，但这些运行属于 {n} 个不同的查询。',
    'err.compare.several_queries.fix': '请先选择一个查询，例如 group_runs(runs).for_query(query_id)。',
    'err.compare.baseline_not_compared': "基线运行“{baseline}”不在参与比较的运行中。",
    'err.compare.baseline_not_compared.fix': '请从以下运行中选择：{labels}。',
    'err.compare.baseline_out_of_range': '基线运行编号 {baseline} 超出范围。',
    'err.compare.baseline_out_of_range.fix': '请选择 0 到 {last} 之间的编号。',
    'err.compare.baseline_not_in_session': "基线运行“{baseline}”不在此会话中。",
    'err.compare.baseline_not_in_session.fix': '请从以下运行中选择：{labels}。',
    'err.compare.no_relevant_labels': '参与比较的查询中没有任何文档被标注为相关，因此无法计算排名指标。',
    'err.compare.no_relevant_labels.fix': '请为每个查询至少标注一个文档为 1（部分相关）或 2（相关），'
                                          '或导入查询 ID 与运行的查询 ID 一致的 TREC qrels。',
    'err.compare.bad_shift_threshold': '排名变化阈值至少为 1（当前为 {k}）。',
    'err.compare.bad_shift_threshold.fix': '例如填 3：某次运行把文档移动 3 位或更多的行会被高亮显示。',
    'err.compare.run_without_metrics': "运行“{run}”没有可比较的指标。",
    'err.compare.run_without_metrics.fix': '请从以下运行中选择：{labels}（运行需要有已标注的查询）。',
    'err.parity.no_common_pairs': '两组分数没有任何共同的（查询，文档）对。',
    'err.parity.no_common_pairs.fix': '请用两个后端为同一个候选集打分。',
    # --- workbench doctor (doctor.py): check names, details and fixes (the app's sidebar shows them)
    'doctor.name.gpu_memory': 'GPU 显存',
    'doctor.name.tesseract_languages': 'tesseract 语言包',
    'doctor.name.model': '模型',
    'doctor.name.app_port': '应用端口',
    'doctor.name.smoke_test': '打分冒烟测试',
    'doctor.install.fix': '请安装：{pip}',
    'doctor.python.fix': '请使用 Python 3.10 或更高版本（./run_workbench.sh setup）。',
    'doctor.torch.missing': '未安装 torch（{error}）：只能使用 BM25 和库本身',
    'doctor.torch.missing.fix': '如需 Qwen-VL 重排序模型：{pip}',
    'doctor.torch.broken': '无法导入 torch：{error}',
    'doctor.torch.broken.fix': "请安装 Qwen-VL 扩展：{pip}（在源码目录中："
                               "PIP_CONSTRAINT=constraints.txt pip install -e '.[all]'）",
    'doctor.transformers.broken': '无法导入 transformers：{error}',
    'doctor.cuda.no_torch': '未安装 torch，未检查 CUDA',
    'doctor.cuda.torch_broken': 'torch 不可用，未检查 CUDA',
    'doctor.cuda.torch_broken.fix': '请先安装 torch。',
    'doctor.cuda.no_gpu': '看不到 CUDA GPU；Qwen-VL 后端将在 CPU 上运行（对小型测试模型没问题，'
                          '对 7B 的 Lychee 权重则太慢）',
    'doctor.cuda.no_gpu.fix': '请在配有 NVIDIA GPU（>= 16 GB）、CUDA 版 torch 和正常驱动（`nvidia-smi`）的机器上运行。',
    'doctor.cuda.ok': '{n} 块 GPU；GPU 0：{name}，CUDA {cuda}',
    'doctor.gpu_memory.detail': 'GPU 0 有 {gb} GB（bf16 下的 Lychee-rerank-mm 7B 约需 {need} GB）',
    'doctor.gpu_memory.fix': '请使用 >= 16 GB 的 GPU，或调低 max_pixels / 批大小，并预期会出现显存不足后的重试。',
    'doctor.bf16.ok': '支持 bfloat16',
    'doctor.bf16.missing': '这块 GPU 不支持 bfloat16',
    'doctor.bf16.fix': '请使用 --dtype float16（分数会略有不同）。',
    'doctor.flash_attn.ok': '已安装 flash-attn：在 CUDA 上注意力使用 flash_attention_2',
    'doctor.flash_attn.missing': '未安装 flash-attn：注意力使用 sdpa（结果正确，只是稍慢，且长图片输入时占用更多显存）',
    'doctor.flash_attn.fix': '在 CUDA 机器上：pip install flash-attn --no-build-isolation',
    'doctor.tesseract.missing': '找不到 tesseract 程序（OCR 不可用）',
    'doctor.tesseract.missing.fix': '请安装：sudo apt-get install -y tesseract-ocr tesseract-ocr-chi-sim',
    'doctor.tesseract.no_pytesseract': '未安装 Python 包 pytesseract（OCR 不可用）',
    'doctor.tesseract.broken': '位于 {exe} 的 tesseract 无法运行：{error}',
    'doctor.tesseract.broken.fix': '请重新安装：sudo apt-get install --reinstall tesseract-ocr',
    'doctor.tesseract.ok': 'tesseract {version}，位于 {exe}',
    'doctor.tesseract_languages.installed': '已安装：{langs}',
    'doctor.tesseract_languages.none': '已安装：无',
    'doctor.tesseract_languages.fix': '请安装：sudo apt-get install -y {packages}',
    'doctor.model.not_set': '未设置 WORKBENCH_MODEL：只能使用词法（BM25）后端和测试检查点',
    'doctor.model.not_set.fix': '在能访问 Hugging Face Hub 的机器上运行 huggingface-cli download {model_id} '
                                '--local-dir /models/lychee-rerank-mm，然后 export WORKBENCH_MODEL=/models/lychee-rerank-mm',
    'doctor.model.ok': '{path}：config.json + {n} 个 safetensors 文件，共 {size} GB',
    'doctor.model.no_weights': '{path} 有 config.json，但没有 *.safetensors 权重',
    'doctor.model.no_weights.fix': '请把下载（huggingface-cli download … --local-dir）完成到该文件夹中。',
    'doctor.model.no_config': 'WORKBENCH_MODEL={path} 中没有 config.json',
    'doctor.model.no_config.fix': '请将 WORKBENCH_MODEL 指向包含 config.json 和权重的文件夹。',
    'doctor.model.missing': 'WORKBENCH_MODEL={path} 在本机上不存在',
    'doctor.model.missing.fix': '请下载 {model_id}（huggingface-cli download … --local-dir DIR），'
                                '并设置 WORKBENCH_MODEL=DIR。',
    'doctor.port.free': '端口 {port} 空闲',
    'doctor.port.busy': '端口 {port} 已被占用（另一个 Streamlit 应用？）',
    'doctor.port.busy.fix': '请停止另一个应用，或用 `streamlit run app.py --server.port {next}` 启动。',
    'doctor.smoke.skipped': '已跳过：未安装 torch',
    'doctor.smoke.detail': '测试检查点运行于 {device}（{dtype}，{attn}）：分数 {scores}，用时 {secs} 秒',
    'doctor.smoke.bad_scores.fix': '分数超出 (0, 1)：请报告此缺陷。',
    'doctor.smoke.failed.fix': '请重新安装环境：./run_workbench.sh setup',
    # --- optional packages (extras.require; the callers in compare/ name their purpose by code)
    'err.backend.package_missing': "未安装 Python 包“{missing}”；{purpose} 需要它。",
    'err.backend.package_missing.fix': _ENGINE_PACKAGE_FIX,
    'err.compare.needs_package': "未安装 Python 包“{missing}”；比较运行需要它。",
    'err.compare.needs_package.fix': _ENGINE_PACKAGE_FIX,
    'err.compare.metrics_need_package': "未安装 Python 包“{missing}”；计算排名指标（NDCG、MRR、P@k、Recall@k、MAP）需要它。",
    'err.compare.metrics_need_package.fix': _ENGINE_PACKAGE_FIX,
    # --- test checkpoints (rerank/tiny.py: `workbench tiny-checkpoint`)
    'err.tiny.unknown_family': "未知的模型系列“{family}”。",
    'err.tiny.unknown_family.fix': '请使用 --family qwen2.5-vl（Lychee-rerank-mm）或 --family qwen3-vl（Qwen3-VL-Reranker）。',
    'err.tiny.unknown_size': "未知的测试检查点规模“{size}”。",
    'err.tiny.unknown_size.fix': '请使用 --size tiny 或 --size small。',
    'err.tiny.unknown_layout': "未知的检查点布局“{layout}”。",
    'err.tiny.unknown_layout.fix': '请使用 --layout current 或 --layout v4。',
    'err.tiny.qwen3_has_no_windows': 'vision_depth / fullatt_block_indexes / window_size 用于设定 Qwen2.5-VL 的'
                                     '窗口注意力视觉塔；Qwen3-VL 没有窗口。',
    'err.tiny.qwen3_has_no_windows.fix': '使用 --family qwen3-vl 时请不要设置它们。',
    'err.tiny.bad_tower': '视觉塔布局 depth={depth}、全注意力层 {full}、窗口 {window} 像素是不可能的。',
    'err.tiny.bad_tower.fix': '请使用 >= 1 的深度、小于深度的全注意力层编号，以及至少 28 像素的窗口'
                              '（例如深度 32，层 7,15,23,31，窗口 112）。',
    'err.tiny.v4_is_qwen25_only': 'v4 布局只适用于 Qwen2.5-VL 检查点（已发布的 Lychee 文件）；'
                                  'Qwen3-VL 需要 transformers 4.57+ 及其当前布局。',
    'err.tiny.v4_is_qwen25_only.fix': '请去掉 --layout v4，或使用 --family qwen2.5-vl。',
})
