"""The ``vllm`` backend: offline ``vllm.LLM`` on one or more GPUs (extra ``[vllm]``).

vLLM is imported only when this backend is constructed, so the package and its
tests never need it. Prompts are tokenized here, exactly as the ``hf`` backend
does (``longcot.generate.prompts``), and passed to vLLM as token ids, so both
backends see the same input for the same prompt.

:func:`completions_from_vllm` is the one place where vLLM's ``RequestOutput``
becomes longcot's :class:`Completion`; it reads only attributes (duck typing),
so it is unit-tested with small stand-ins and no GPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from longcot.generate import prompts as prompt_codec
from longcot.generate.types import Completion, FinishReason, Prompt, SamplingParams


class VLLMUnavailableError(ImportError):
    """vLLM is not installed; the message says how to install it."""


def completions_from_vllm(output, eos_ids: Iterable[int] = ()) -> list[Completion]:
    """Convert one vLLM ``RequestOutput`` (one prompt, ``n`` outputs) into Completions.

    Reads ``output.prompt_token_ids`` and, per ``CompletionOutput``: ``index``,
    ``text``, ``token_ids``, ``finish_reason`` (``"stop" | "length" | "abort"``),
    ``stop_reason`` (the stop string, a stop token id, or ``None`` for EOS) and
    ``cumulative_logprob``. vLLM keeps the end-of-sequence token in ``token_ids``;
    longcot's contract excludes it, so a trailing EOS (or stop token id) is dropped.

    Raises:
        RuntimeError: a completion was aborted or is unfinished (no finish reason).
    """
    eos = set(eos_ids)
    prompt_tokens = len(output.prompt_token_ids or ())
    completions = []
    for out in sorted(output.outputs, key=lambda o: o.index):
        if out.finish_reason not in ("stop", "length"):
            raise RuntimeError(
                f"vLLM request {getattr(output, 'request_id', '?')} output {out.index} "
                f"finished with {out.finish_reason!r} (aborted or unfinished)"
            )
        finish: FinishReason = out.finish_reason
        token_ids = list(out.token_ids)
        stop_reason = out.stop_reason
        extra: dict = {}
        if finish == "stop" and isinstance(stop_reason, str):
            extra["stop"] = stop_reason
        elif finish == "stop" and token_ids:
            ender = {stop_reason} if isinstance(stop_reason, int) else eos
            if token_ids[-1] in ender:
                extra["eos_token_id"] = token_ids[-1]
        sampled = list(out.token_ids)
        if getattr(out, "logprobs", None):
            # One {token_id: Logprob} dict per generated token, the sampled one included.
            lps = [d[t].logprob for t, d in zip(sampled, out.logprobs, strict=False)]
            extra["token_logprobs"] = lps[: len(token_ids) - ("eos_token_id" in extra)]
            if "eos_token_id" in extra and len(lps) == len(token_ids):
                extra["eos_logprob"] = lps[-1]
        if "eos_token_id" in extra:
            token_ids.pop()
        if out.cumulative_logprob is not None:
            extra["cumulative_logprob"] = out.cumulative_logprob
        completions.append(
            Completion(
                text=out.text,
                token_ids=tuple(token_ids),
                finish_reason=finish,
                prompt_tokens=prompt_tokens,
                completion_tokens=len(token_ids),
                extra=extra,
            )
        )
    return completions


def to_vllm_sampling_params(
    params: SamplingParams, vllm_module, *, n: int | None = None, seed: int | None = None
):
    """vLLM's ``SamplingParams`` for ours (same meanings; ``max_new_tokens`` is ``max_tokens``).

    ``n`` and ``seed`` override ``params`` for the per-sample requests of
    :meth:`VLLMBackend.generate`.
    """
    return vllm_module.SamplingParams(
        n=params.n if n is None else n,
        temperature=params.temperature,
        # Greedy ignores top_p (our contract); send 1 so no vLLM version objects.
        top_p=params.top_p if params.temperature > 0 else 1.0,
        max_tokens=params.max_new_tokens,
        seed=params.seed if seed is None else seed,
        stop=list(params.stop) or None,
        skip_special_tokens=True,
        # 0: the sampled token's own log-prob, no alternatives (what importance sampling needs).
        logprobs=0 if params.logprobs else None,
    )


class VLLMBackend:
    """Generate with an offline ``vllm.LLM``.

    Args:
        model: a named model, a local folder or a hub id (see ``longcot.models``).
        tensor_parallel_size: GPUs to shard the model over, defaults to 1.
        dtype: ``auto`` or a dtype name, passed to vLLM.
        gpu_memory_utilization: fraction of GPU memory vLLM may take, defaults to 0.9.
        max_model_len: context length; defaults to the model's (lower it to save KV memory).
        **llm_kwargs: anything else ``vllm.LLM`` accepts (``enable_prefix_caching``, ...).
    """

    name = "vllm"

    def __init__(
        self,
        model: str | os.PathLike,
        *,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        gpu_memory_utilization: float = 0.9,
        max_model_len: int | None = None,
        trust_remote_code: bool = False,
        cache_dir: str | os.PathLike | None = None,
        **llm_kwargs,
    ) -> None:
        try:
            import vllm
        except ImportError as e:
            raise VLLMUnavailableError(
                "the vllm backend needs vLLM and a CUDA GPU: pip install 'longcot[vllm]'"
            ) from e
        from longcot.models import resolve_model

        self._vllm = vllm
        self.model_name = os.fspath(model)
        self.llm = vllm.LLM(
            model=resolve_model(model, cache_dir),
            tensor_parallel_size=tensor_parallel_size,
            dtype=dtype,
            gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len,
            trust_remote_code=trust_remote_code,
            **llm_kwargs,
        )
        self.tokenizer = self.llm.get_tokenizer()
        eos = getattr(self.tokenizer, "eos_token_id", None)
        self.eos_ids = () if eos is None else (eos,)

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        if not prompts:
            return []
        token_prompts = [
            {"prompt_token_ids": prompt_codec.encode(self.tokenizer, p)} for p in prompts
        ]
        if params.seed is None:
            sampling = to_vllm_sampling_params(params, self._vllm)
            outputs = self.llm.generate(token_prompts, sampling, use_tqdm=False)
            return [completions_from_vllm(o, self.eos_ids) for o in outputs]
        # Seeded: one request per sample with seed + sample index (as the openai
        # backend does), so sample i of a prompt is the same whether it is drawn
        # with its siblings or alone when an evaluation resumes a half-done
        # problem. vLLM's prefix cache still computes each prompt's KV once.
        n = params.n
        requests = [p for p in token_prompts for _ in range(n)]
        per_sample = [
            to_vllm_sampling_params(params, self._vllm, n=1, seed=params.seed + i)
            for _ in token_prompts
            for i in range(n)
        ]
        outputs = self.llm.generate(requests, per_sample, use_tqdm=False)
        flat = [c for o in outputs for c in completions_from_vllm(o, self.eos_ids)]
        return [flat[k * n : (k + 1) * n] for k in range(len(prompts))]

    def load_weights(self, weights) -> int:
        """Replace the engine's weights with ``(name, tensor)`` pairs (RL weight sync).

        Names are the Hugging Face checkpoint's (``longcot.train.rl.sync.rollout_weights``
        gives them, LoRA merged). The engine runs in this process (colocated with the
        trainer, as TRL's ``vllm_mode="colocate"``; vLLM >= 0.10 needs
        ``VLLM_ENABLE_V1_MULTIPROCESSING=0`` for that), so the tensors are copied
        in place without a round trip through disk. The prefix cache is reset, since
        its KV entries belong to the old weights. Returns how many tensors were loaded.
        """
        model = self._engine_model()
        count = 0
        for name, tensor in weights:
            model.load_weights([(name, tensor)])
            count += 1
        self.llm.reset_prefix_cache()
        return count

    def _engine_model(self):
        engine = self.llm.llm_engine
        try:
            return engine.model_executor.driver_worker.model_runner.model
        except AttributeError:
            pass
        try:  # vLLM V1 in-process: the worker wraps the runner once more
            return engine.model_executor.driver_worker.worker.model_runner.model
        except AttributeError as e:
            raise RuntimeError(
                "cannot reach the vLLM engine's model to load new weights; run the engine "
                "in this process (VLLM_ENABLE_V1_MULTIPROCESSING=0) or sync through a "
                "checkpoint folder"
            ) from e

    def close(self) -> None:
        """Free the engine and its GPU memory. Idempotent."""
        if getattr(self, "llm", None) is None:
            return
        self.llm = None
        import gc

        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover
            pass
