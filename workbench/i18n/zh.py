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
})
