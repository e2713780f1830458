"""Shared-prefix ("cascade") attention: a prompt's KV cache is stored and read once for its n samples.

Decoding is memory-bound on CPU: every step each row reads its whole KV cache.
Profiled on SmolLM2-135M (16 MATH prompts x 4 samples, 128 new tokens, one core)
attention took 25 s of 74 s at ~5 GB/s, reading the same prompt keys once per
sample. Here the prompt part lives once per prompt, ``(P, H_kv, L, D)``, and only
the generated part per row, ``(R, H_kv, t, D)``. For one decoding step:

1. scatter the rows' queries into a ``(P, n)`` grid and attend to the prompt part:
   one read of each prompt's keys serves its n samples (and GQA head groups);
2. attend each row to its own generated part;
3. merge the two softmaxes exactly with their maxima and sums (log-sum-exp).

The result equals ordinary attention up to float rounding (a test checks the
logits). It is only used for sampling with ``n >= 2`` (greedy decodes one row per
prompt and keeps transformers' own path, bit-identical to ``model.generate``),
and only after :func:`enable` has checked, on the model itself, that both paths agree.
"""

from __future__ import annotations

import torch
from transformers import AttentionInterface, DynamicCache
from transformers.cache_utils import DynamicLayer
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

ATTENTION_NAME = "longcot_shared_prefix"
STATE_KWARG = "longcot_prefix"


class SharedPrefixLayer(DynamicLayer):
    """Prompt keys/values once per prompt (from prefill) plus per-row generated ones."""

    def __init__(self, gen_capacity: int) -> None:
        super().__init__()
        self.gen_capacity = gen_capacity
        self.prompt_keys: torch.Tensor | None = None  # (P, H_kv, L, D)
        self.prompt_values: torch.Tensor | None = None  # (P, H_kv, L, D)
        self._gen_keys: torch.Tensor | None = None  # (R, H_kv, gen_capacity, D)
        self._gen_values: torch.Tensor | None = None
        self.generated = 0

    def update(self, key_states, value_states, *args, **kwargs):
        if self.prompt_keys is None:  # prefill: keep the prompt, attend as usual
            self.dtype, self.device = key_states.dtype, key_states.device
            self.is_initialized = True
            self.prompt_keys, self.prompt_values = key_states, value_states
            self.keys, self.values = key_states, value_states
            return key_states, value_states
        end = self.generated + key_states.shape[-2]
        if end > self.gen_capacity:
            raise RuntimeError(
                f"shared-prefix cache full: {end} > {self.gen_capacity} generated positions"
            )
        self._gen_keys[:, :, self.generated : end] = key_states
        self._gen_values[:, :, self.generated : end] = value_states
        self.generated = end
        self.keys = self._gen_keys[:, :, :end]  # (B, H_kv, t, D), a view
        self.values = self._gen_values[:, :, :end]
        return self.keys, self.values

    def get_seq_length(self) -> int:
        prompt = 0 if self.prompt_keys is None else self.prompt_keys.shape[-2]
        return prompt + self.generated

    def batch_repeat_interleave(self, repeats: int) -> None:
        """After prefill: room for ``repeats`` generated rows per prompt; the prompt is not copied."""
        rows, heads, _, dim = self.prompt_keys.shape
        shape = (rows * repeats, heads, self.gen_capacity, dim)
        self._gen_keys = self.prompt_keys.new_empty(shape)
        self._gen_values = self.prompt_values.new_empty(shape)

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        self._gen_keys = self._gen_keys[indices]
        self._gen_values = self._gen_values[indices]
        self.keys = self._gen_keys[:, :, : self.generated]
        self.values = self._gen_values[:, :, : self.generated]

    def select_prompts(self, indices: torch.Tensor) -> None:
        self.prompt_keys = self.prompt_keys[indices]
        self.prompt_values = self.prompt_values[indices]


class PrefixState:
    """Which prompt and sample slot each batch row is; passed to the model as ``longcot_prefix``."""

    def __init__(self, cache: DynamicCache, prompt_mask: torch.Tensor, n: int) -> None:
        num_prompts = prompt_mask.shape[0]
        device = prompt_mask.device
        self.cache = cache
        self.n = n
        rows = torch.arange(num_prompts * n, device=device)
        self.row_prompt = rows // n  # (B,)
        self.row_sample = rows % n  # (B,)
        self.dense = True  # every (prompt, sample) slot still has its row, in order
        # Additive mask over prompt positions: 0 for tokens, -inf for left padding.
        self.prompt_bias = torch.zeros(
            prompt_mask.shape, dtype=torch.float32, device=device
        )  # (P, L)
        self.prompt_bias.masked_fill_(prompt_mask == 0, float("-inf"))

    def select_rows(self, indices: torch.Tensor) -> None:
        """Keep batch rows ``indices``; forget prompts none of whose rows remain."""
        self.row_prompt = self.row_prompt[indices]
        self.row_sample = self.row_sample[indices]
        self.dense = False
        live = torch.unique(self.row_prompt)  # sorted
        if len(live) < self.prompt_bias.shape[0]:
            for layer in self.cache.layers:
                layer.select_prompts(live)
            self.prompt_bias = self.prompt_bias[live]
            self.row_prompt = torch.searchsorted(live, self.row_prompt)


# CPU's fused attention also returns the log-sum-exp that merging needs; private
# to torch, so it is looked up defensively and the plain-matmul path stays.
_FLASH_CPU = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)


def _attend(q, k, v, bias, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention of q (N, H, M, D) over k, v (N, H, T, D): (output (N, H, M, D), lse (N, H, M, 1))."""
    if _FLASH_CPU is not None and q.device.type == "cpu" and q.dtype == k.dtype == torch.float32:
        out, lse = _FLASH_CPU(q, k, v, 0.0, False, attn_mask=bias, scale=scale)
        return out, lse.unsqueeze(-1)
    scores = torch.matmul(q.float(), k.float().transpose(-1, -2)) * scale  # (N, H, M, T)
    if bias is not None:
        scores = scores + bias
    lse = torch.logsumexp(scores, dim=-1, keepdim=True)
    return torch.matmul(torch.exp(scores - lse), v.float()), lse


def shared_prefix_attention(
    module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs
):
    """Attention for decode steps with a :class:`PrefixState`; anything else goes to SDPA unchanged."""
    state: PrefixState | None = kwargs.pop(STATE_KWARG, None)
    if state is None or query.shape[2] != 1:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kwargs
        )
    layer = state.cache.layers[module.layer_idx]
    rows, heads, _, dim = query.shape  # (B, H, 1, D)
    kv_heads = key.shape[1]
    group = heads // kv_heads  # query heads per KV head (GQA), as repeat_kv orders them
    prompts, n = state.prompt_bias.shape[0], state.n
    scale = scaling if scaling is not None else dim**-0.5
    q = query.view(rows, kv_heads, group, dim)  # (B, H_kv, g, D)

    # 1. Prompt part: the queries of a prompt's samples side by side, one read of its keys.
    if state.dense:  # rows are exactly prompt-major (P, n): a view, no scatter
        grid = q.view(prompts, n, kv_heads, group, dim)
    else:
        grid = q.new_zeros(prompts, n, kv_heads, group, dim)
        grid[state.row_prompt, state.row_sample] = q
    grid = grid.permute(0, 2, 1, 3, 4).reshape(
        prompts, kv_heads, n * group, dim
    )  # (P, H_kv, n*g, D)
    bias = state.prompt_bias.to(query.dtype)[:, None, None, :]  # (P, 1, 1, L)
    p_out, p_lse = _attend(grid, layer.prompt_keys, layer.prompt_values, bias, scale)

    def per_row(t: torch.Tensor) -> torch.Tensor:  # (P, H_kv, n*g, X) -> (B, H_kv, g, X)
        t = t.view(prompts, kv_heads, n, group, -1).permute(0, 2, 1, 3, 4)
        if state.dense:
            return t.reshape(rows, kv_heads, group, -1)
        return t[state.row_prompt, state.row_sample]

    p_out, p_lse = per_row(p_out), per_row(p_lse)

    # 2. Generated part, per row (the current token is already in it).
    g_out, g_lse = _attend(q, key, value, None, scale)  # (B, H_kv, g, D), (B, H_kv, g, 1)

    # 3. Exact merge of the two partial softmaxes by their log-sum-exps.
    top = torch.maximum(p_lse, g_lse)
    p_w, g_w = torch.exp(p_lse - top), torch.exp(g_lse - top)
    out = (p_out * p_w + g_out * g_w) / (p_w + g_w)  # (B, H_kv, g, D)
    return out.to(query.dtype).reshape(rows, 1, heads, dim), None


def shared_prefix_cache(config, gen_capacity: int) -> DynamicCache | None:
    """A cache of :class:`SharedPrefixLayer`, or ``None`` if a layer is not plain full attention."""
    cache = DynamicCache(config=config)
    if not cache.layers or any(type(layer) is not DynamicLayer for layer in cache.layers):
        return None
    cache.layers = [SharedPrefixLayer(gen_capacity) for _ in cache.layers]
    return cache


def _register() -> None:
    # Global registries of transformers, under our own name only; SDPA's mask suits prefill.
    AttentionInterface.register(ATTENTION_NAME, shared_prefix_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(ATTENTION_NAME, sdpa_mask)


@torch.inference_mode()
def _agrees(model) -> bool:
    """Do shared-prefix and ordinary decode give the same logits on this model? (2 prompts x 2 samples)"""
    from longcot.generate.kv_cache import preallocated_cache

    device = model.device
    ids = torch.tensor([[0, 5, 6, 7], [8, 9, 10, 11]], device=device) % model.config.vocab_size
    mask = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]], device=device)
    positions = (mask.cumsum(-1) - 1).clamp_min(0)
    step = torch.tensor([[3], [4], [5], [6]], device=device)
    step_mask = torch.cat(
        [mask.repeat_interleave(2, 0), torch.ones(4, 1, dtype=mask.dtype, device=device)], -1
    )
    step_pos = torch.tensor([[3], [3], [4], [4]], device=device)
    logits = []
    for shared in (False, True):
        cache = (
            shared_prefix_cache(model.config, 4) if shared else preallocated_cache(model.config, 8)
        )
        model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
        )
        cache.batch_repeat_interleave(2)
        extra = {STATE_KWARG: PrefixState(cache, mask, 2)} if shared else {}
        out = model(
            input_ids=step,
            attention_mask=step_mask,
            position_ids=step_pos,
            past_key_values=cache,
            use_cache=True,
            **extra,
        )
        logits.append(out.logits[:, -1].float())
    tolerance = 1e-4 if logits[0].dtype == torch.float32 and model.dtype == torch.float32 else 3e-2
    return torch.allclose(logits[0], logits[1], rtol=tolerance, atol=tolerance)


def unusable_reason(model) -> str | None:
    """Why shared-prefix attention cannot run on ``model`` (``None``: it can).

    Only models on transformers' SDPA path with plain full-attention layers
    qualify, and only if a two-prompt check gives the same logits both ways (a
    model whose layers drop the extra keyword would otherwise attend to
    generated tokens only). The model's attention implementation is the same
    after the call as before it.
    """
    before = getattr(model.config, "_attn_implementation", None)
    if before == ATTENTION_NAME:
        return None
    if before != "sdpa":
        return f"attention implementation is {before!r}; the fast path needs 'sdpa'"
    if shared_prefix_cache(model.config, 1) is None:
        return "the model has layers that are not plain full attention (sliding window, hybrid)"
    _register()
    try:
        model.set_attn_implementation(ATTENTION_NAME)
        if model.config._attn_implementation != ATTENTION_NAME:
            return "the model does not accept a custom attention implementation"
        if not _agrees(model):
            return "its logits differ from plain decoding in the self-check"
        return None
    except (ValueError, TypeError, RuntimeError, AttributeError) as e:
        return f"the self-check failed ({type(e).__name__}: {e})"
    finally:
        model.set_attn_implementation(before)


def enable(model) -> bool:
    """Route the model's attention through :func:`shared_prefix_attention` if it is safe
    (:func:`unusable_reason`). Returns whether it is enabled; otherwise the model is
    left unchanged."""
    if unusable_reason(model) is not None:
        return False
    if model.config._attn_implementation != ATTENTION_NAME:
        model.set_attn_implementation(ATTENTION_NAME)
    return True
