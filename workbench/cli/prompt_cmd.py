"""`workbench prompt`: print the exact text the model receives for one pair.

    workbench prompt --query "red shoes" --doc "red running shoes" [--instruction …]
                     [--query-image P] [--doc-image P] [--prompt-format lychee|lychee-v1|qwen3-vl-reranker]
                     [--model DIR]   (a checkpoint folder: its tokenizer counts the tokens)
"""

from __future__ import annotations

import argparse

from .. import config
from ..errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    from ..rerank.prompts import PRESETS

    p = sub.add_parser("prompt", help="print the exact prompt the model receives for one (query, document) pair",
                       description="Print the chat text the reranker receives for one pair under a prompt "
                                   "format, images shown as <|image_pad|>×N with their token counts, and "
                                   "the token count (with --model or $WORKBENCH_MODEL).")
    p.add_argument("--instruction", default=None, help="instruction (default: the format's default)")
    p.add_argument("--query", default="", help="query text")
    p.add_argument("--query-image", default=None, metavar="PATH", help="query image file")
    p.add_argument("--doc", default="", help="document text")
    p.add_argument("--doc-image", default=None, metavar="PATH", help="document image file")
    p.add_argument("--prompt-format", default=None, choices=list(PRESETS),
                   help="prompt format (default: the model's, else lychee)")
    p.add_argument("--model", default=None, metavar="DIR",
                   help="checkpoint folder whose tokenizer counts the tokens (default: $WORKBENCH_MODEL)")
    p.set_defaults(func=cmd_prompt)


def cmd_prompt(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..rerank.prompts import get_format, preview
    from ..rerank.qwen_vl.checkpoint import _read_config, detect_family

    if not (args.query or args.query_image):
        raise InputError("The query is empty.", "Give --query TEXT and/or --query-image PATH.")
    if not (args.doc or args.doc_image):
        raise InputError("The document is empty.", "Give --doc TEXT and/or --doc-image PATH.")
    for flag, path in (("--query-image", args.query_image), ("--doc-image", args.doc_image)):
        if path and not Path(path).is_file():
            raise InputError(f"{flag} '{path}' is not a file.", f"Give {flag} the path of an image file.")
    model = args.model or config.model_path()
    family = None
    if model:
        folder = Path(model).expanduser()
        if not (folder / "config.json").is_file():
            raise InputError(f"'{model}' is not a model folder (it has no config.json).",
                             "Give --model the folder of a checkpoint, or leave it out to skip the token count.")
        family = detect_family(str(folder), _read_config(folder))
    fmt = get_format(args.prompt_format, family)
    pv = preview(fmt, args.instruction, args.query, args.query_image, args.doc, args.doc_image,
                 tokenizer=str(Path(model).expanduser()) if model else None)
    print(f"# prompt format: {fmt.name} ({fmt.description})")
    print(pv.text, end="" if pv.text.endswith("\n") else "\n")
    images = f"; image tokens: {' + '.join(map(str, pv.image_tokens))}" if pv.image_tokens else ""
    if pv.tokens is not None:
        print(f"# tokens: {pv.tokens} (tokenizer of {pv.tokenizer}){images}")
    else:
        print(f"# tokens: not counted (give --model DIR or set WORKBENCH_MODEL){images}")
    return 0
