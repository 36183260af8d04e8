"""Shared-prefix reuse: the system + instruction + query prefix is identical for every
document of one query, so it is computed once and its KV cache expanded over the batch.

Works because position ids are the explicit 3D mRoPE ids of each FULL sequence (then sliced),
the prefix is a common *token* prefix (BPE merges ':' with what follows), and it stops before
the first document image. Same scores as the plain path to <= 2.4e-7 (fp32).
"""

from __future__ import annotations

class PrefixCacheMixin:
    """Mixed into QwenVLReranker: needs self.model, self._torch, token ids, self.stats."""
    def common_prefix_length(self, inputs, n_query_images: int) -> int:
        """Longest common *token* prefix of the batch's rows (left padding skipped), capped
        before each row's first document <|vision_start|> and so that >= 1 token is left."""
        ids = inputs["input_ids"]
        mask = inputs["attention_mask"]
        lengths = mask.sum(1).tolist()
        L = ids.shape[1]
        rows = [ids[i, L - n:] for i, n in enumerate(lengths)]
        limit = min(lengths) - 1
        for row in rows:
            starts = (row == self.vision_start_id).nonzero().flatten().tolist() \
                if self.vision_start_id is not None else []
            if len(starts) > n_query_images:
                limit = min(limit, starts[n_query_images])
        if limit <= 0:
            return 0
        first = rows[0][:limit]
        same = self._torch.ones(limit, dtype=self._torch.bool, device=first.device)
        for row in rows[1:]:
            same &= row[:limit] == first
        diff = (~same).nonzero()
        return int(diff[0].item()) if diff.numel() else limit

    def prefix_plan(self, inputs, n_query_images: int) -> tuple[int, int] | None:
        """(prefix length, query images) when shared-prefix reuse is used for this batch, else None.

        prefix_reuse=True: whenever the batch has >= 2 rows and a usable prefix; "auto": also
        needs >= prefix_min_tokens common tokens (below that it does not pay); False: never.
        """
        if self.prefix_reuse is False or "mm_token_type_ids" not in inputs:
            return None
        if inputs.get("pixel_values_videos") is not None:
            return None  # video grids (Qwen3-VL: per-frame timestamps) stay on the plain path
        B = inputs["input_ids"].shape[0]
        if B < 2:
            return None
        P = self.common_prefix_length(inputs, n_query_images)
        if P <= 0 or (self.prefix_reuse == "auto" and P < self.prefix_min_tokens):
            return None
        if n_query_images:
            # the query image must lie wholly inside the prefix
            row0 = inputs["input_ids"][0, inputs["input_ids"].shape[1] - int(inputs["attention_mask"][0].sum()):]
            q_tokens = int(inputs["image_grid_thw"][:n_query_images].prod(-1).sum()) // 4
            if int((row0[:P] == self.image_token_id).sum()) != q_tokens:
                return None
        return P, n_query_images

    def _forward_with_prefix(self, inputs, P: int, n_q: int):
        """Logits at the last position, computing the shared prefix once.

        Position ids are the explicit 3D mRoPE ids of each FULL sequence (get_rope_index with
        the attention mask), then sliced. The prefix (system + instruction + query, with the
        query image's pixels) runs once at batch 1; its KV cache is expanded over the batch.
        Suffixes are left padded *between* prefix and suffix: the attention mask is
        [prefix ones | pad zeros | suffix ones], so every real token sees exactly the
        prefix and its own earlier tokens, as in the full sequence.
        """
        torch = self._torch
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        types = inputs["mm_token_type_ids"]
        grid = inputs.get("image_grid_thw")
        pixels = inputs.get("pixel_values")
        B, L = ids.shape
        lengths = mask.sum(1).tolist()
        position_ids, _ = self.model.model.get_rope_index(
            ids, mm_token_type_ids=types, image_grid_thw=grid, attention_mask=mask)

        # images per row, in order: the first n_q of each row are the query's
        per_row = [int((ids[i] == self.vision_start_id).sum()) for i in range(B)] \
            if grid is not None else [0] * B
        q_pix = q_grid = d_pix = d_grid = None
        if grid is not None and len(grid):
            sizes = grid.prod(-1).tolist()
            offsets = [0]
            for n in sizes:
                offsets.append(offsets[-1] + n)
            img, q_idx, d_idx = 0, [], []
            for i in range(B):
                for j in range(per_row[i]):
                    (q_idx if j < n_q else d_idx).append(img)
                    img += 1
            q_first = q_idx[:n_q] if n_q else []
            if q_first:
                q_pix = torch.cat([pixels[offsets[k]:offsets[k + 1]] for k in q_first])
                q_grid = grid[q_first]
            if d_idx:
                d_pix = torch.cat([pixels[offsets[k]:offsets[k + 1]] for k in d_idx])
                d_grid = grid[d_idx]

        start0 = L - lengths[0]
        p_ids = ids[0:1, start0:start0 + P]
        layers = self._prefix_kv(p_ids, position_ids[:, 0:1, start0:start0 + P],
                                 types[0:1, start0:start0 + P], q_pix, q_grid)
        P = layers[0][0].shape[2]

        S = [n - P for n in lengths]
        W = max(S)
        s_ids = torch.full((B, W), self.pad_id, dtype=ids.dtype, device=ids.device)
        s_types = torch.zeros((B, W), dtype=types.dtype, device=ids.device)
        s_pos = torch.ones((3, B, W), dtype=position_ids.dtype, device=ids.device)
        s_mask = torch.zeros((B, P + W), dtype=mask.dtype, device=ids.device)
        s_mask[:, :P] = 1
        for i, n in enumerate(S):
            s_ids[i, W - n:] = ids[i, L - n:]
            s_types[i, W - n:] = types[i, L - n:]
            s_pos[:, i, W - n:] = position_ids[:, i, L - n:]
            s_mask[i, P + W - n:] = 1
        cache = _make_cache([(k.expand(B, -1, -1, -1), v.expand(B, -1, -1, -1)) for k, v in layers])
        kwargs = {self._cache_kw: cache}
        out = self.model(input_ids=s_ids, attention_mask=s_mask, position_ids=s_pos,
                         mm_token_type_ids=s_types, pixel_values=d_pix, image_grid_thw=d_grid,
                         use_cache=True, logits_to_keep=1, **kwargs)
        return out.logits[:, -1, :]

    def _prefix_kv(self, p_ids, p_pos, p_types, q_pix, q_grid):
        """KV tensors of the prefix per layer (batch 1). Kept for the next batches of the same
        query: a stored prefix is reused when its tokens (and query-image pixels) match the
        batch's (possibly shorter or longer) common prefix, so it is computed once per query."""
        torch = self._torch
        st = self._prefix_store
        P = p_ids.shape[1]
        if st is not None and _same(torch, st["pix"], q_pix):
            n = st["ids"].shape[1]
            if n >= P and torch.equal(st["ids"][:, :P], p_ids):
                return [(k[:, :, :P], v[:, :, :P]) for k, v in st["layers"]]
            if n < P and torch.equal(p_ids[:, :n], st["ids"]):
                return st["layers"]  # a shorter stored prefix still fits this batch
        cache = _make_cache([])
        kwargs = {self._cache_kw: cache}
        self.model.model(input_ids=p_ids, attention_mask=torch.ones_like(p_ids), position_ids=p_pos,
                         mm_token_type_ids=p_types, pixel_values=q_pix, image_grid_thw=q_grid,
                         use_cache=True, **kwargs)
        layers = [(layer.keys, layer.values) for layer in cache.layers] if hasattr(cache, "layers") \
            else [(cache.key_cache[i], cache.value_cache[i]) for i in range(len(cache.key_cache))]
        self._prefix_store = {"ids": p_ids.clone(), "pix": q_pix, "layers": layers}
        self.stats["prefix_computed"] += 1
        return layers

def _make_cache(layers):
    """A DynamicCache holding the given per-layer (key, value) tensors (transformers 4.5x and 5.x)."""
    from transformers import DynamicCache

    cache = DynamicCache()
    for i, (k, v) in enumerate(layers):
        cache.update(k, v, i)
    return cache


def _same(torch, a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(torch.equal(a, b))


