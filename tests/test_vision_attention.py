"""Grouped-window vision attention (workbench.rerank.qwen_vl.vision_attention) against transformers' own
per-window path, on real checkpoints (no mocks): the tiny Qwen2.5-VL and Qwen3-VL checkpoints and
a Qwen2.5-VL checkpoint with the real tower layout (32 blocks, full attention at 7/15/23/31,
112-px windows) at small width.

Exactness: the tower output is bit-identical in fp32 (torch.equal), scores agree within 1e-6.
Kernel calls are counted by watching torch (every scaled_dot_product_attention call inside the
tower), independently of the module's own counters, and compared with the count worked out
here from the image grids: one call per window (stock) vs one per distinct window length.
"""

from __future__ import annotations

import math

import pytest

from workbench.model import Document, Query
from workbench.rerank import get_reranker
from workbench.rerank.qwen_vl import vision_attention as va
from workbench.testing.tiny import REAL_TOWER, build_tiny_checkpoint
from tests.helpers import random_image

def assert_active(info: dict) -> None:
    """These tests need the grouped path; they run against the locked transformers, whose vision
    attention is a checked one. When it is not active, say why (e.g. an unlocked, changed release)."""
    assert info["active"], (f"the grouped vision attention is not active on transformers "
                            f"{info.get('transformers')}: {info.get('reason')}")


INSTR = "Given a user's search query, rank products by visual and textual relevance"

# (t, h, w) patch grids. Qwen2.5-VL windows are 8x8 patches (112 px / 14 px).
GRIDS = {
    "one image, whole windows": [[1, 16, 16]],
    "one image, partial windows": [[1, 22, 30]],
    "one image smaller than a window": [[1, 4, 6]],
    "mixed sizes": [[1, 24, 32], [1, 18, 24], [1, 20, 30], [1, 14, 14], [1, 6, 10], [1, 24, 32],
                    [1, 22, 30]],
}


@pytest.fixture(scope="module")
def real_tower_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real-tower") / "ckpt"
    return str(build_tiny_checkpoint(folder, size="tiny", **REAL_TOWER))


@pytest.fixture(scope="module")
def real_model(real_tower_checkpoint):
    """The real-layout model, loaded once; every test starts from transformers' own path."""
    model = _load(real_tower_checkpoint)
    yield model


@pytest.fixture
def real(real_model):
    va.install(real_model, enabled=False)
    real_model.model.visual.config._attn_implementation = "sdpa"
    yield real_model
    va.install(real_model, enabled=False)


def _load(path, attn="sdpa"):
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    import torch
    from transformers import AutoModelForImageTextToText

    return AutoModelForImageTextToText.from_pretrained(path, dtype=torch.float32,
                                                       attn_implementation=attn).eval()


def _pixels(grids, patch: int, seed: int = 0):
    import torch

    g = torch.tensor(grids)
    n = int(g.prod(-1).sum())
    return torch.randn(n, 3 * 2 * patch * patch, generator=torch.Generator().manual_seed(seed)), g


def _window_lengths(grid, window_patches: int = 8) -> list[int]:
    """Every window's patch count for one (t, h, w) image, worked out from the grid alone."""
    t, h, w = grid
    rows = [min(window_patches, h - r) for r in range(0, h, window_patches)]
    cols = [min(window_patches, w - c) for c in range(0, w, window_patches)]
    return [r * c for _ in range(t) for r in rows for c in cols]


def _tower(model):
    return model.model.visual


def _run_tower(model, pixels, grid):
    import torch

    with torch.inference_mode(), va.count_tower_attention_calls(model) as calls:
        out = _tower(model)(pixels, grid_thw=grid)
    extra = getattr(out, "deepstack_features", None) or []
    return out.last_hidden_state, out.pooler_output, list(extra), calls


@pytest.mark.parametrize("case", list(GRIDS))
def test_real_layout_tower_identical_and_one_call_per_length(real, case):
    import torch

    model = real
    cfg = model.config.vision_config
    assert (cfg.depth, list(cfg.fullatt_block_indexes), cfg.window_size) == (32, [7, 15, 23, 31], 112)
    pixels, grid = _pixels(GRIDS[case], 14)
    stock = _run_tower(model, pixels, grid)
    info = va.install(model)
    assert_active(info)
    assert info["modules"] == 32, info
    grouped = _run_tower(model, pixels, grid)

    assert torch.equal(stock[0], grouped[0]) and torch.equal(stock[1], grouped[1])
    windows = [n for g in GRIDS[case] for n in _window_lengths(g)]
    images = [g[1] * g[2] for g in GRIDS[case]]
    n_full, n_win = 4, 28
    assert stock[3] == [n_win * len(windows) + n_full * len(images)]
    assert grouped[3] == [n_win * len(set(windows)) + n_full * len(set(images))]
    stats = va.tower_stats(model)
    assert stats["groupings"] == 2          # once per cu_seqlens tensor per forward, not per layer
    assert stats["kernel_calls"] == grouped[3][0] and stats["stock_calls"] == 0


def test_partial_windows_really_occur_in_the_cases():
    # the cases exercise what they claim: partial windows exist / do not
    assert set(_window_lengths([1, 16, 16])) == {64}
    assert set(_window_lengths([1, 22, 30])) == {64, 48, 36} and len(_window_lengths([1, 22, 30])) == 12
    assert _window_lengths([1, 4, 6]) == [24]


def test_no_host_sync_per_layer(real):
    """Host syncs (Tensor.tolist / item) inside one tower forward: the stock path has three per
    layer (`lengths.tolist()` for each of q, k, v), the grouped one two in all (one per
    cu_seqlens tensor); the rest is transformers' own set-up before the layers."""
    import torch
    from torch.overrides import TorchFunctionMode

    model = real
    pixels, grid = _pixels(GRIDS["mixed sizes"], 14)

    class Syncs(TorchFunctionMode):
        n = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func in (torch.Tensor.tolist, torch.Tensor.item):
                Syncs.n += 1
            return func(*args, **(kwargs or {}))

    def syncs():
        Syncs.n = 0
        with torch.inference_mode(), Syncs():
            _tower(model)(pixels, grid_thw=grid)
        return Syncs.n

    stock = syncs()
    va.install(model)
    grouped = syncs()
    assert stock - grouped == 3 * 32 - 2


def test_eager_attention_identical_too(real):
    import torch

    model = real
    model.model.visual.config._attn_implementation = "eager"
    pixels, grid = _pixels(GRIDS["mixed sizes"], 14, seed=3)
    stock = _run_tower(model, pixels, grid)
    assert_active(va.install(model))
    grouped = _run_tower(model, pixels, grid)
    assert torch.equal(stock[1], grouped[1])
    windows = [n for g in GRIDS["mixed sizes"] for n in _window_lengths(g)]
    images = {g[1] * g[2] for g in GRIDS["mixed sizes"]}
    assert grouped[3] == [28 * len(set(windows)) + 4 * len(images)]   # eager: one softmax per call


def test_tiny_checkpoint_tower_identical(tiny_checkpoint):
    import torch

    model = _load(tiny_checkpoint)
    grids = GRIDS["mixed sizes"]
    pixels, grid = _pixels(grids, 14, seed=1)
    stock = _run_tower(model, pixels, grid)
    va.install(model)
    grouped = _run_tower(model, pixels, grid)
    assert torch.equal(stock[1], grouped[1])
    depth = model.config.vision_config.depth          # 2 blocks: windows in 0, full in 1
    windows = [n for g in grids for n in _window_lengths(g)]
    assert depth == 2 and stock[3] == [len(windows) + len(grids)]
    assert grouped[3] == [len(set(windows)) + len({g[1] * g[2] for g in grids})]


@pytest.mark.parametrize("grids", [[[1, 8, 10]], [[1, 12, 8], [1, 6, 6], [1, 12, 8], [1, 10, 14]]])
def test_qwen3_tower_identical_and_one_call_per_image_size(tiny_qwen3_checkpoint, grids):
    """Qwen3-VL has no windows, but the same per-image loop: images of one size go together."""
    import torch

    model = _load(tiny_qwen3_checkpoint)
    pixels, grid = _pixels(grids, 16, seed=2)
    stock = _run_tower(model, pixels, grid)
    info = va.install(model)
    assert_active(info)
    assert info["towers"] == ["Qwen3VLVisionModel"], info
    grouped = _run_tower(model, pixels, grid)
    assert torch.equal(stock[0], grouped[0]) and torch.equal(stock[1], grouped[1])
    assert len(stock[2]) == len(grouped[2]) >= 1
    assert all(torch.equal(a, b) for a, b in zip(stock[2], grouped[2]))   # DeepStack features
    depth = model.config.vision_config.depth
    assert stock[3] == [depth * len(grids)]
    assert grouped[3] == [depth * len({g[1] * g[2] for g in grids})]


@pytest.fixture(scope="module")
def mixed_images(tmp_path_factory):
    d = tmp_path_factory.mktemp("va-imgs")
    sizes = [(336, 252), (140, 112), (224, 168), (84, 84), (336, 252), (308, 196), (56, 56), (252, 140)]
    return [random_image(d / f"i{k}.png", w, h, k) for k, (w, h) in enumerate(sizes)]


def _docs(images):
    return [Document(f"d{k}", image=p, text="red running shoes" if k % 3 == 0 else "")
            for k, p in enumerate(images)] + [Document("t", text="stainless steel water bottle")]


@pytest.mark.parametrize("which", ["tiny", "real", "qwen3"])
def test_scores_equal_with_and_without(which, tiny_checkpoint, tiny_qwen3_checkpoint,
                                       real_tower_checkpoint, mixed_images):
    path = {"tiny": tiny_checkpoint, "real": real_tower_checkpoint, "qwen3": tiny_qwen3_checkpoint}[which]
    on = get_reranker("qwen-vl", model_path=path, batch_size=4)
    off = get_reranker("qwen-vl", model_path=path, batch_size=4, grouped_vision_attention=False)
    assert_active(on.vision_attention)
    assert not off.vision_attention["active"]
    assert "grouped_vision_attention=False" in off.vision_attention["reason"]
    q = Query("q", image=mixed_images[0], text="shoes")
    docs = _docs(mixed_images)
    with va.count_tower_attention_calls(on.model) as calls_on, \
            va.count_tower_attention_calls(off.model) as calls_off:
        s_on = on.rank(q, docs, INSTR).scores_in_input_order()
        s_off = off.rank(q, docs, INSTR).scores_in_input_order()
    assert max(abs(a - b) for a, b in zip(s_on, s_off)) <= 1e-6
    assert len(set(round(s, 6) for s in s_on)) > 3          # the scores really differ per doc
    assert len(calls_on) == len(calls_off) >= 2
    assert sum(calls_on) < sum(calls_off)
    assert on.params() == off.params()                       # exact: not part of the cache key


def test_switches_and_guards(tiny_checkpoint, monkeypatch):
    import transformers

    model = _load(tiny_checkpoint)
    attn = [m for m in model.modules() if type(m).__name__ == "Qwen2_5_VLVisionAttention"]
    assert_active(va.install(model))
    assert all("forward" in vars(m) for m in attn)
    assert va.is_active(model)

    off = va.install(model, enabled=False)
    assert not off["active"] and not va.is_active(model)
    assert all("forward" not in vars(m) for m in attn)       # transformers' own forward again

    monkeypatch.setenv(va.ENV, "0")
    info = va.install(model)
    assert not info["active"] and va.ENV in info["reason"]
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint)
    assert not rr.vision_attention["active"]
    monkeypatch.delenv(va.ENV)

    # the decision rests on the code, not the version number: a newer (or older) version string
    # with the same forward keeps the fast path
    for version in ("5.99.0", "6.0.0.dev0", "4.57.1"):
        monkeypatch.setattr(transformers, "__version__", version)
        info = va.install(model)
        assert info["active"] and not info["changed"], (version, info)
    monkeypatch.undo()


def _changed_forward(self, hidden_states, cu_seqlens, position_embeddings=None, max_seqlen=None, **kwargs):
    return self.proj(hidden_states)   # stands in for a release whose forward is not the per-window loop


def test_changed_transformers_code_falls_back_and_says_so(tiny_checkpoint, monkeypatch):
    import sys

    import transformers

    model = _load(tiny_checkpoint)
    cls = next(type(m) for m in model.modules() if type(m).__name__ == "Qwen2_5_VLVisionAttention")
    assert va.source_fingerprint(cls.forward) in va.KNOWN_FORWARDS, (
        f"the locked transformers {transformers.__version__} should carry a checked vision attention; "
        f"its fingerprint is {va.source_fingerprint(cls.forward)}")
    monkeypatch.setattr(cls, "forward", _changed_forward)
    monkeypatch.setattr(transformers, "__version__", "5.24.0")   # a version that once had the checked code
    info = va.install(model)
    assert not info["active"] and info["changed"]
    assert "changed in this transformers version" in info["reason"] and va.ENV in info["reason"]
    assert all("forward" not in vars(m) for m in model.modules() if type(m) is cls)
    monkeypatch.setenv(va.ENV, "force")                           # the analyst may still try it
    assert va.install(model)["active"]
    monkeypatch.delenv(va.ENV)
    monkeypatch.undo()

    # a module-level name grouped_forward calls was renamed: fall back at install, not fail at call time
    mod = sys.modules[cls.__module__]
    monkeypatch.delattr(mod, "apply_rotary_pos_emb_vision")
    monkeypatch.setenv(va.ENV, "force")                           # not even force installs it then
    info = va.install(model)
    assert not info["active"] and info["changed"] and "apply_rotary_pos_emb_vision" in info["reason"]
    monkeypatch.undo()
    assert va.install(model)["active"]


def test_check_without_a_model_reads_the_same_fingerprint_as_the_loaded_class(tiny_checkpoint, monkeypatch):
    """`workbench doctor` and the app read transformers' source without importing it; the verdict
    and fingerprint must be the ones install() reaches on the loaded classes."""
    model = _load(tiny_checkpoint)
    cls = next(type(m) for m in model.modules() if type(m).__name__ == "Qwen2_5_VLVisionAttention")
    check = va.check_transformers()
    assert check["ok"] and va.source_fingerprint(cls.forward) in check["what"], check
    monkeypatch.setattr(va, "KNOWN_FORWARDS", {})               # a release whose code was never checked
    check = va.check_transformers()
    assert not check["ok"] and "Qwen2_5_VLVisionAttention.forward changed" in check["reason"], check
    info = va.install(model)
    assert not info["active"] and info["changed"] and info["what"] in check["what"]


def test_fingerprint_ignores_layout_and_comments_but_not_code(tmp_path):
    import importlib.util

    def load(name: str, src: str):
        path = tmp_path / f"{name}.py"
        path.write_text(src)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.f

    base = va.source_fingerprint(load("base", "def f(x):\n    return x + 1\n"))
    relaid = load("relaid", "class C:\n    def f(x):  # indented, commented\n\n        return x  +\\\n            1\n"
                            "f = C.f\n")
    changed = load("changed", "def f(x):\n    return x + 2\n")
    assert base and va.source_fingerprint(relaid) == base
    assert va.source_fingerprint(changed) != base
    assert va.source_fingerprint(len) is None                     # no source: never "known"


def test_switches_and_guards_attention_impl(tiny_checkpoint):
    model = _load(tiny_checkpoint)
    # an attention implementation it does not know is left alone
    model.config.vision_config._attn_implementation = "flex_attention"
    info = va.install(model)
    assert not info["active"] and "flex_attention" in info["reason"]


def test_training_mode_falls_back_to_stock(tiny_checkpoint):
    import torch

    model = _load(tiny_checkpoint)
    va.install(model)
    pixels, grid = _pixels(GRIDS["mixed sizes"], 14, seed=4)
    expected = _run_tower(model, pixels, grid)[1]
    model.train()
    with torch.no_grad():
        got = _tower(model)(pixels, grid_thw=grid).pooler_output
    model.eval()
    assert torch.equal(got, expected)
    assert va.tower_stats(model)["stock_calls"] == model.config.vision_config.depth


def test_no_tower_is_reported():
    import torch

    info = va.install(torch.nn.Linear(2, 2))
    assert not info["active"] and "no Qwen2.5-VL" in info["reason"]


def test_real_tower_option_validation(tmp_path):
    from workbench.errors import InputError

    with pytest.raises(InputError, match="not possible"):
        build_tiny_checkpoint(tmp_path / "x", vision_depth=4, fullatt_block_indexes=[7])
    with pytest.raises(InputError, match="Qwen3-VL has no windows"):
        build_tiny_checkpoint(tmp_path / "y", family="qwen3-vl", vision_depth=4)


def test_grid_helper_matches_transformers_windows():
    """The expected counts above come from _window_lengths; check it against transformers'
    own window index on the same grids (a wrong helper would make the count tests vacuous)."""
    import torch
    from transformers.vision_utils import get_vision_window_index

    for grids in GRIDS.values():
        _, cu = get_vision_window_index(torch.tensor(grids), spatial_merge_size=2, window_size=112,
                                        patch_size=14)
        lengths = (cu[1:] - cu[:-1]).tolist()
        assert lengths == [n for g in grids for n in _window_lengths(g)]
        assert math.isclose(sum(lengths), sum(g[1] * g[2] for g in grids))


def test_a_run_with_images_warns_when_transformers_code_changed(tiny_checkpoint, tmp_path, monkeypatch):
    monkeypatch.setattr(va, "KNOWN_FORWARDS", {})                 # the installed code is not a checked one
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint)
    assert not rr.vision_attention["active"] and rr.vision_attention["changed"]
    img = random_image(tmp_path / "d.png", 56, 56, seed=1)
    with_images = rr.rank(Query("q", text="red"), [Document("a", image=str(img)), Document("b", text="red")], INSTR)
    warned = [w for w in with_images.warnings if getattr(w, "key", "") == "warn.vision_attention_changed"]
    assert len(warned) == 1 and "slower path" in warned[0] and "fingerprint" in warned[0]
    text_only = rr.rank(Query("q", text="red"), [Document("c", text="red shoes")], INSTR)
    assert not [w for w in text_only.warnings if getattr(w, "key", "") == "warn.vision_attention_changed"]
