"""The app's texts in English: one catalog, key -> template (see workbench/i18n/__init__.py).

Sections belong to parts of the code; keep a key in the section of the code that uses it,
and add every key to both catalogs (tests/test_i18n.py checks)."""

MESSAGES: dict[str, str] = {}

# ======================================================================= common
# words used on several pages (buttons, counts, statuses)
MESSAGES.update({
    'count.sets': '{n} set|{n} sets',
})


# ======================================================================= app
# app.py: page titles, navigation; ui/state.py; ui/widgets.py (sidebar, errors, model choice, uploads)
MESSAGES.update({
    'app.title': 'Lychee rerank workbench',
    'app.language': 'Language',
    'nav.home': 'Home',
    'nav.import': 'Import',
    'nav.ocr': 'OCR',
    'nav.rerank': 'Rerank',
    'nav.compare': 'Compare',
    'nav.matrix': 'Matrix',
    'nav.label': 'Label',
    'nav.sessions': 'Sessions',
    'err.how_to_fix': 'How to fix:',
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
_ENGINE_MODEL_FIX = ("Download the weights on a machine with Hugging Face access: "
              "`huggingface-cli download {model_id} --local-dir /models/lychee-rerank-mm`, "
              "copy the folder here, then set WORKBENCH_MODEL=/models/lychee-rerank-mm (or pass --model PATH). "
              "To try the workbench without the real weights, build a test model with "
              "`workbench tiny-checkpoint DIR` and point WORKBENCH_MODEL at DIR.")
_ENGINE_HUB_FIX = ("Download the model on a machine with internet access and copy its folder here, then "
            "type that folder's path as the model; or connect this machine to the internet.")
MESSAGES.update({
    # --- backends and models (rerank/registry.py, rerank/qwen_vl, hub.py)
    'err.backend.unknown': "Unknown reranker backend '{name}'.",
    'err.backend.unknown.fix': 'Use one of: {names}.',
    'err.model.none_named': 'No reranker was named.',
    'err.model.none_named.fix': "Give 'bm25', or the folder of a Lychee-rerank-mm / Qwen3-VL-Reranker checkpoint.",
    'err.model.not_backend_or_folder': "'{key}' is neither a reranker backend nor a model folder.",
    'err.model.not_backend_or_folder.fix': 'Use one of: {names}, or the folder of a Lychee-rerank-mm / '
                                           'Qwen3-VL-Reranker checkpoint.',
    'err.backend.missing_packages': "The '{key}' backend needs {packages}, which is not installed.",
    'err.backend.missing_packages.fix': '{pip}',
    'err.backend.import_failed': "The '{key}' backend could not be imported ({detail}).",
    'err.backend.import_failed.fix': '{pip}',
    'err.backend.qwen_missing': 'The qwen-vl backend needs torch, transformers and qwen-vl-utils ({detail}).',
    'err.backend.qwen_missing.fix': '{pip}',
    'err.backend.no_cuda': "Device '{device}' was requested but no CUDA GPU is visible.",
    'err.backend.no_cuda.fix': 'Use --device cpu, or check the NVIDIA driver with `nvidia-smi`.',
    'err.backend.unknown_dtype': "Unknown dtype '{dtype}'.",
    'err.backend.unknown_dtype.fix': 'Use float32, bfloat16 or float16.',
    'err.backend.transformers_too_old': "This transformers ({version}) cannot load '{path}': {detail}",
    'err.backend.transformers_too_old.fix': 'pip install -U transformers',
    'err.model.not_configured': 'No Qwen-VL reranker model is configured.',
    'err.model.not_configured.fix': _ENGINE_MODEL_FIX,
    'err.model.no_config': "'{path}' could not be loaded (no config.json in that folder).",
    'err.model.no_config.fix': _ENGINE_MODEL_FIX,
    'err.model.is_file': "'{path}' could not be loaded (it is a file, not a model folder).",
    'err.model.is_file.fix': _ENGINE_MODEL_FIX,
    'err.model.no_folder': "'{path}' could not be loaded (the folder does not exist).",
    'err.model.no_folder.fix': _ENGINE_MODEL_FIX,
    'err.model.load_failed': "'{path}' could not be loaded ({detail}).",
    'err.model.load_failed.fix': _ENGINE_MODEL_FIX,
    'err.model.cannot_load': "'{path}' could not be loaded.",
    'err.model.cannot_load.fix': _ENGINE_MODEL_FIX,
    'err.model.incomplete': "The model folder '{folder}' is incomplete: it has no {missing}.",
    'err.model.incomplete.fix': "Copy the whole checkpoint folder (every file of the model's download, e.g. "
                                '`huggingface-cli download {model_id} --local-dir DIR` on a machine with '
                                'Hugging Face access), or point --model / WORKBENCH_MODEL at the complete folder.',
    'err.model.not_yes_no': "The tokenizer of '{path}' splits '{word}' into {n} tokens; a yes/no reranker "
                            'needs it as one token.',
    'err.model.not_yes_no.fix': 'Point WORKBENCH_MODEL at a Lychee-rerank-mm / Qwen-VL reranker checkpoint.',
    'err.model.hub_offline': "Model '{model}' is not a local folder and not in the Hugging Face cache, "
                             'and the hub is switched off here (HF_HUB_OFFLINE).',
    'err.model.hub_offline.fix': _ENGINE_HUB_FIX,
    'err.model.hub_unreachable': "Model '{model}' is not a local folder and not in the Hugging Face cache, "
                                 'and the Hugging Face hub ({host}) cannot be reached from this machine ({error}).',
    'err.model.hub_unreachable.fix': _ENGINE_HUB_FIX,
    # --- scoring (rerank/qwen_vl/reranker.py, rerank/remote.py)
    'err.rank.image_unreadable': 'An image could not be read for scoring ({detail}).',
    'err.rank.image_unreadable.fix': 'Check the image files of this set, or re-import them.',
    'err.rank.gpu_out_of_memory': "The GPU ran out of memory on document '{doc}' even alone.",
    'err.rank.gpu_out_of_memory.fix': 'Lower max_pixels or max_length, close other GPU programs, or use a bigger GPU.',
    'err.rank.query_image_missing': "The image of query '{id}' ('{path}') does not exist.",
    'err.rank.query_image_missing.fix': 'Re-import the set with its images, or fix the image path.',
    'err.rank.doc_image_missing': "The image of document '{id}' ('{path}') does not exist.",
    'err.rank.doc_image_missing.fix': 'Re-import the set with its images, or fix the image path.',
})
