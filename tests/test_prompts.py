"""Prompt formats as data: rendering equals the checkpoints' chat templates, `workbench prompt`
shows what the engine really sends, and `workbench rerank --prompt-format` equals an independent
implementation of each Lychee layout on all four modality pairs."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from workbench.cli import main
from workbench.errors import InputError
from workbench.model import Document, Query
from workbench.rerank import get_reranker
from workbench.rerank.prompts import PRESETS, get_format, preview
from tests.helpers import random_image
from tests.test_engine import reference_scores

INSTR = "Given a web search query, retrieve relevant passages that answer the query"
PAIRS = [("text", "text"), ("text", "image"), ("image", "text"), ("image+text", "image+text")]


@pytest.fixture(scope="module")
def imgs(tmp_path_factory):
    d = tmp_path_factory.mktemp("prompt-imgs")
    return {"q": random_image(d / "q.png", 84, 56, 5), "d": random_image(d / "d.png", 112, 112, 6)}


def _pair(kind_q, kind_d, imgs):
    q = Query("q", text="red running shoes" if "text" in kind_q else "",
              image=imgs["q"] if "image" in kind_q else None)
    d = Document("d", text="lightweight red mesh shoes" if "text" in kind_d else "",
                 image=imgs["d"] if "image" in kind_d else None)
    return q, d


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("kind_q,kind_d", PAIRS)
def test_render_equals_the_checkpoint_chat_template(name, kind_q, kind_d, imgs, tiny_checkpoint,
                                                    tiny_qwen3_checkpoint):
    from transformers import AutoProcessor

    fmt = get_format(name)
    path = tiny_qwen3_checkpoint if fmt.family == "qwen3-vl" else tiny_checkpoint
    processor = AutoProcessor.from_pretrained(path)
    q, d = _pair(kind_q, kind_d, imgs)
    messages = fmt.messages(INSTR, q.text, q.image, d.text, d.image)
    expected = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert fmt.render(messages) == expected


def test_lychee_layouts_differ_by_exactly_the_newline_before_query():
    new = get_format("lychee").render(get_format("lychee").messages("I", "q", None, "d", None))
    old = get_format("lychee-v1").render(get_format("lychee-v1").messages("I", "q", None, "d", None))
    assert "<Instruct>: I<Query>:q" in new and "<Instruct>: I\n<Query>:q" in old
    assert old.replace("I\n<Query>", "I<Query>") == new


@pytest.mark.parametrize("kind_q,kind_d", [("text", "text"), ("image+text", "image+text")])
@pytest.mark.parametrize("name", ["lychee", "lychee-v1"])
def test_preview_token_count_equals_what_the_engine_encodes(name, kind_q, kind_d, imgs, tiny_checkpoint):
    rr = get_reranker(tiny_checkpoint, prompt_format=name)
    q, d = _pair(kind_q, kind_d, imgs)
    encoded = rr.encode([rr._fit(INSTR, q, d)])
    pv = preview(name, INSTR, q.text, q.image, d.text, d.image, tokenizer=tiny_checkpoint)
    assert pv.tokens == encoded["input_ids"].shape[1]
    assert len(pv.image_tokens) == (kind_q != "text") + (kind_d != "text")
    if pv.image_tokens:
        assert sum(pv.image_tokens) == int((encoded["input_ids"] == rr.image_token_id).sum())
        assert f"<|image_pad|>×{pv.image_tokens[0]}" in pv.text


def test_format_of_another_family_is_refused(tiny_checkpoint):
    with pytest.raises(InputError) as info:
        get_reranker(tiny_checkpoint, prompt_format="qwen3-vl-reranker")
    assert "lychee" in info.value.fix
    with pytest.raises(InputError) as info:
        get_format("lychee-v2")
    assert "lychee-v1" in info.value.fix


def test_cli_prompt_text_and_image_pair(tiny_checkpoint, imgs, capsys):
    assert main(["prompt", "--query", "red running shoes", "--doc", "red mesh shoes",
                 "--model", tiny_checkpoint]) == 0
    out = capsys.readouterr().out
    assert "# prompt format: lychee " in out
    assert "<Instruct>: Given a web search query, retrieve relevant passages that answer the query<Query>:red running shoes\n<Document>:red mesh shoes<|im_end|>" in out
    assert out.rstrip().splitlines()[-1].startswith("# tokens: ")
    assert main(["prompt", "--query", "red running shoes", "--doc-image", imgs["d"],
                 "--prompt-format", "lychee-v1"]) == 0
    out = capsys.readouterr().out
    assert "\n<Query>:red running shoes" in out and "<|image_pad|>×16<|vision_end|>" in out
    assert "not counted" in out
    assert main(["prompt", "--query", "x", "--doc-image", "/nope.png"]) == 2
    assert "not a file" in capsys.readouterr().err


@pytest.mark.parametrize("layout", ["lychee", "lychee-v1"])
def test_cli_rerank_prompt_format_equals_independent_layout_on_all_four_pairs(layout, tiny_checkpoint,
                                                                               imgs, tmp_path, capsys):
    rows, expected = [], {}
    for i, (kq, kd) in enumerate(PAIRS):
        q, d = _pair(kq, kd, imgs)
        q.id, d.id = f"q{i}", f"d{i}"
        rows.append({"query_id": q.id, "query_text": q.text, "query_image": q.image or "",
                     "doc_id": d.id, "doc_text": d.text, "doc_image": d.image or ""})
        expected[(q.id, d.id)] = reference_scores(tiny_checkpoint, INSTR, q, [d], layout)[0]
    src = tmp_path / "pairs.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    # image paths must sit beside the file
    import shutil

    for r in rows:
        for col in ("query_image", "doc_image"):
            if r[col]:
                shutil.copy(r[col], tmp_path / r[col].split("/")[-1])
    text = src.read_text().replace(str(imgs["q"]), "q.png").replace(str(imgs["d"]), "d.png")
    src.write_text(text)
    out = tmp_path / "ranked.csv"
    assert main(["rerank", "--input", str(src), "--model", tiny_checkpoint, "--instruction", INSTR,
                 "--prompt-format", layout, "--output", str(out), "--no-cache"]) == 0
    got = {(r["query_id"], r["doc_id"]): float(r["score"])
           for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert set(got) == set(expected)
    np.testing.assert_allclose([got[k] for k in expected], list(expected.values()), atol=1e-5, rtol=0)


def test_cli_rerank_bad_prompt_format_fails_before_work(tmp_path, capsys):
    src = tmp_path / "c.csv"
    src.write_text("query_id,query_text,query_image,doc_id,doc_text,doc_image\nq,a,,d,b,\n")
    assert main(["rerank", "--input", str(src), "--model", "bm25", "--prompt-format", "lychee-v9",
                 "--output", str(tmp_path / "o.csv")]) == 2
    assert "lychee-v1" in capsys.readouterr().err
    assert main(["rerank", "--input", str(src), "--model", "bm25", "--prompt-format", "lychee",
                 "--output", str(tmp_path / "o.csv")]) == 2
    assert "BM25 has no prompt" in capsys.readouterr().err
