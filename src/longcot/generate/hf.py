"""The ``hf`` backend: transformers on CPU or CUDA, batched, with a shared-prefill KV cache.

Prompts are tokenized (chat template for conversations), sorted by length
(longest first, so a batch that does not fit in memory fails at once rather
than an hour in) and cut into batches by a row count and a token budget; each
batch is decoded by :func:`longcot.generate.hf_engine.decode_group`.
Results come back in prompt order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from longcot.generate import prompts as prompt_codec
from longcot.generate.hf_engine import RowOutput, decode_group
from longcot.generate.sampling import completion_seed, step_uniforms
from longcot.generate.shared_prefix import ATTENTION_NAME, unusable_reason
from longcot.generate.stops import StopWatcher, cut_at_stop
from longcot.generate.types import Completion, Prompt, SamplingParams

log = logging.getLogger(__name__)

# Batch limits (rows = completions decoded together). On one CPU core, SmolLM2-135M
# in float32 costs 4.4 ms/row per step at 64 rows and 3.7 at 128 (70 ms at 1 row):
# its matmuls are near the core's fp32 peak by then. Whole runs (64 MATH prompts x 4
# x 128 tokens) measured 159 tokens/s at 64 rows, 165 at 128, and less at 256, where
# one batch holds prompts of 73 to 450 tokens and attention pays for the padding.
# The 4 M tiny model runs ~1,400 tokens/s at 64, 128 or 256 rows.
DEFAULT_MAX_ROWS = {"cpu": 128, "cuda": 256}
# rows x (longest prompt + max_new_tokens) per batch: bounds the KV cache.
# SmolLM2 holds 46 KB per token (30 layers x 2 x 3 heads x 64 x 4 B), so 2^17
# tokens is ~6 GB; a 1.5 B model in bfloat16 holds 28 KB per token.
DEFAULT_MAX_BATCH_TOKENS = {"cpu": 2**17, "cuda": 2**20}


@dataclass(frozen=True)
class _Work:
    """A batch: these prompts (indices into the call's list), samples [first, first + count)."""

    prompts: tuple[int, ...]
    first_sample: int
    count: int


def plan_batches(
    lengths: Sequence[int], n: int, max_new_tokens: int, max_rows: int, max_tokens: int
) -> list[_Work]:
    """Group prompts, longest first, so each batch respects ``max_rows`` and ``max_tokens``.

    A prompt whose ``n`` samples alone exceed a limit is split into sample chunks
    (seeds depend on the absolute sample index, so chunking changes no output).
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    work: list[_Work] = []
    group: list[int] = []
    for i in order:
        span = lengths[i] + max_new_tokens
        per_prompt = max(1, min(max_rows, max_tokens // span))
        if n > per_prompt:
            work.extend(_Work((i,), s, min(per_prompt, n - s)) for s in range(0, n, per_prompt))
            continue
        # Sorted longest first, so the group's first prompt sets its padded length.
        longest = lengths[group[0]] if group else lengths[i]
        rows = (len(group) + 1) * n
        if group and (rows > max_rows or rows * (longest + max_new_tokens) > max_tokens):
            work.append(_Work(tuple(group), 0, n))
            group = []
        group.append(i)
    if group:
        work.append(_Work(tuple(group), 0, n))
    return work


def _pick_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def _pick_dtype(dtype: str, device: str):
    import torch

    if dtype != "auto":
        return getattr(torch, dtype) if isinstance(dtype, str) else dtype
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    # float32 on CPU: exact agreement with model.generate and no precision
    # surprises. bfloat16 is 2.3x faster for SmolLM2 at 64 rows on CPUs with
    # AMX (measured here); opt in with dtype="bfloat16".
    return torch.float32


class HFBackend:
    """Generate with a transformers causal LM.

    Args:
        model: a named model (``smollm2-135m-instruct``), a local folder, a hub id, or
            an already loaded ``PreTrainedModel`` (then ``tokenizer`` is required).
        tokenizer: defaults to the model's own.
        device: ``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda``, ``cuda:1`` ...
        dtype: ``auto`` (bfloat16/float16 on CUDA, float32 on CPU) or a torch dtype name.
        max_batch_rows: completions decoded together; defaults per device above.
        max_batch_tokens: rows x (longest prompt + max_new_tokens) per batch.
        threads: torch threads while generating (restored afterwards). On a shared
            CPU, fewer threads than cores avoids OpenMP stalls: with 2 threads on 2 cores
            and one core busy elsewhere, a SmolLM2 step took 1.9 s instead of 0.1 s here.
        shared_prefix: store each prompt's KV cache once for its ``n`` samples and use
            shared-prefix attention when sampling (``longcot.generate.shared_prefix``);
            switched on only if the model passes a self-check. When it cannot be used,
            the reason is logged once and :attr:`stats` reports ``shared_prefix: 0``.

    A loaded model (the trainer's live policy) is borrowed, not changed: each
    ``generate`` call switches it to eval mode, the shared-prefix attention and
    ``threads``, and restores its train/eval mode, attention implementation and
    the process's thread count when it returns.
    """

    name = "hf"

    def __init__(
        self,
        model,
        tokenizer=None,
        *,
        device: str = "auto",
        dtype: str = "auto",
        max_batch_rows: int | None = None,
        max_batch_tokens: int | None = None,
        threads: int | None = None,
        shared_prefix: bool = True,
        trust_remote_code: bool = False,
        cache_dir: str | os.PathLike | None = None,
    ) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from longcot.models import resolve_model

        self.threads = threads
        if isinstance(model, str | os.PathLike):
            path = resolve_model(model, cache_dir)
            self.device = _pick_device(device)
            self.model = AutoModelForCausalLM.from_pretrained(
                path,
                dtype=_pick_dtype(dtype, self.device),
                trust_remote_code=trust_remote_code,
            ).to(self.device)
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(
                path, trust_remote_code=trust_remote_code
            )
            self.model_name = os.fspath(model)
        else:
            if tokenizer is None:
                raise ValueError("pass the tokenizer along with an already loaded model")
            self.model, self.tokenizer = model, tokenizer
            self.device = str(model.device)
            self.model_name = getattr(model.config, "_name_or_path", "") or type(model).__name__
        self.shared_prefix_reason = (
            unusable_reason(self.model) if shared_prefix else "switched off (shared_prefix=False)"
        )
        self.shared_prefix = self.shared_prefix_reason is None
        if shared_prefix and not self.shared_prefix:
            # Once per backend: every later call takes the plain path for the same reason.
            log.warning(
                "hf backend: shared-prefix decoding is off for this model (%s); sampling "
                "n > 1 per prompt stores each prompt's KV cache n times",
                self.shared_prefix_reason,
            )
        kind = "cuda" if self.device.startswith("cuda") else "cpu"
        self.max_batch_rows = max_batch_rows or DEFAULT_MAX_ROWS[kind]
        self.max_batch_tokens = max_batch_tokens or DEFAULT_MAX_BATCH_TOKENS[kind]
        self.eos_ids = self._eos_ids()
        self.pad_id = self._pad_id()
        self.max_positions = getattr(self.model.config, "max_position_embeddings", None)

    @property
    def stats(self) -> dict[str, float]:
        """Numbers for a trainer's metrics: ``shared_prefix`` is 1 on the fast path, else 0."""
        return {"shared_prefix": float(self.shared_prefix)}

    @contextmanager
    def _borrowed(self) -> Iterator[None]:
        """Eval mode, the fast attention and our thread count, for one call only."""
        import torch

        model = self.model
        was_training = model.training
        threads_before = torch.get_num_threads()
        attn_before = getattr(model.config, "_attn_implementation", None)
        try:
            if self.threads is not None:
                torch.set_num_threads(self.threads)
            model.eval()
            if self.shared_prefix and attn_before != ATTENTION_NAME:
                model.set_attn_implementation(ATTENTION_NAME)
            yield
        finally:
            if self.shared_prefix and attn_before != ATTENTION_NAME:
                model.set_attn_implementation(attn_before)
            model.train(was_training)
            torch.set_num_threads(threads_before)

    def _eos_ids(self) -> tuple[int, ...]:
        ids = self.model.generation_config.eos_token_id
        ids = [] if ids is None else [ids] if isinstance(ids, int) else list(ids)
        if self.tokenizer.eos_token_id is not None:
            ids.append(self.tokenizer.eos_token_id)
        if not ids:
            raise ValueError("the model has no end-of-sequence token; cannot tell when to stop")
        return tuple(sorted(set(ids)))

    def _pad_id(self) -> int:
        for candidate in (self.tokenizer.pad_token_id, self.model.generation_config.pad_token_id):
            if candidate is not None:
                return int(candidate)
        # Padding positions are masked out, so any id works; eos is always valid.
        return self.eos_ids[0]

    def encode(self, prompt: Prompt) -> list[int]:
        return prompt_codec.encode(self.tokenizer, prompt)

    def _cap(self, prompt_len: int, max_new_tokens: int, index: int) -> int:
        if self.max_positions is None:
            return max_new_tokens
        if prompt_len >= self.max_positions:
            raise ValueError(
                f"prompt {index} has {prompt_len} tokens, the model's context is "
                f"{self.max_positions}: shorten the prompt"
            )
        return min(max_new_tokens, self.max_positions - prompt_len)

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        import torch

        encoded = [self.encode(p) for p in prompts]
        if not encoded:
            return []
        # Greedy samples are all identical: decode one and copy it.
        decode_n = 1 if params.temperature == 0 else params.n
        work = plan_batches(
            [len(ids) for ids in encoded],
            decode_n,
            params.max_new_tokens,
            self.max_batch_rows,
            self.max_batch_tokens,
        )
        rows: dict[tuple[int, int], RowOutput] = {}
        watcher = StopWatcher(self.tokenizer, params.stop) if params.stop else None
        with self._borrowed(), torch.inference_mode():
            for item in work:
                group = [encoded[i] for i in item.prompts]
                caps = [
                    self._cap(len(ids), params.max_new_tokens, i)
                    for i, ids in zip(item.prompts, group, strict=True)
                ]
                samples = range(item.first_sample, item.first_sample + item.count)
                seeds = [completion_seed(params.seed, ids, s) for ids in group for s in samples]
                outputs = decode_group(
                    self.model,
                    group,
                    item.count,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    new_token_caps=caps,
                    uniforms=step_uniforms(seeds, max(caps), torch.device("cpu")),
                    eos_ids=self.eos_ids,
                    pad_id=self.pad_id,
                    stop_watcher=watcher,
                    shared_prefix=self.shared_prefix,
                    logprobs=params.logprobs,
                )
                for r, out in enumerate(outputs):
                    rows[(item.prompts[r // item.count], samples[r % item.count])] = out
        return [
            [
                self._completion(rows[(i, j if decode_n > 1 else 0)], len(ids), params)
                for j in range(params.n)
            ]
            for i, ids in enumerate(encoded)
        ]

    def _completion(self, row: RowOutput, prompt_tokens: int, params: SamplingParams) -> Completion:
        text = self.tokenizer.decode(row.token_ids, skip_special_tokens=True)
        finish = row.finish_reason
        extra: dict = {}
        if row.eos_token_id is not None:
            extra["eos_token_id"] = row.eos_token_id
        if row.logprobs is not None:
            extra["token_logprobs"] = list(row.logprobs)
            if row.eos_logprob is not None:
                extra["eos_logprob"] = row.eos_logprob
        if params.stop:
            text, matched = cut_at_stop(text, params.stop)
            if matched is not None:
                finish, extra["stop"] = "stop", matched
        return Completion(
            text=text,
            token_ids=tuple(row.token_ids),
            finish_reason=finish,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(row.token_ids),
            extra=extra,
        )

    def close(self) -> None:
        """Drop the model so its memory can be freed. Idempotent."""
        import gc

        if getattr(self, "model", None) is not None:
            self.model = None
            gc.collect()
            try:
                import torch

                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
            except ImportError:  # pragma: no cover - torch is a hard dependency
                pass
