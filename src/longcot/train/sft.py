"""``longcot sft``: supervised fine-tuning on TRL's ``SFTTrainer``, from a recipe.

:func:`run_sft` does, in this order (every check before the model is loaded):

1. the batch arithmetic: ``optim.batch_size`` examples per optimiser step over
   all processes = ``micro_batch_size`` × processes × accumulation steps, exactly;
2. the run folder: a folder holding a run is resumed only with ``resume=True``,
   from its last committed checkpoint, with the same recipe (keys that only change
   speed, logging or evaluation may differ) and the same tokenized data;
3. the tokenizer and the data (:mod:`longcot.train.sft_data`): a malformed row, an
   example without a solution or a chat prompt without a chat template stops the
   run here, with the file and line;
4. the model, then ``SFTTrainer.train`` with :class:`~.sft_trainer.CountingSFTTrainer`
   and :class:`~.sft_trainer.RunFolderCallback`;
5. ``final/`` (model + tokenizer, loadable by ``--model``), the final evaluation
   (``eval/final``, the recipe's backend on ``final/``) and ``summary.json``.

Paper settings (§3.1): lr 5e-6, 2 epochs, batch 256, chat template, loss on the
response only (``recipes/sft_paper.yaml``). Under ``accelerate launch`` the same
code runs on every process (DDP, FSDP or DeepSpeed from the accelerate config);
the main process writes the run folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .run_dir import RunDir
from .sft_args import precision, training_arguments
from .sft_data import SFTDataError, SFTDataStats, load_examples, tokenize_examples
from .sft_eval import check_evaluation, evaluate_live, evaluate_saved

log = logging.getLogger(__name__)

RESUMABLE_CHANGES: dict[str, frozenset[str] | None] = {
    "run": frozenset(
        {"max_steps", "save_every", "keep_last", "log_every", "report_to", "progress"}
    ),
    "model": frozenset({"threads"}),
    "eval": None,  # any key: evaluation does not change the weights
}
"""Recipe keys that may differ when a run is resumed (``None``: the whole section)."""


class SFTSetupError(ValueError):
    """The run cannot start; the message names the setting and how to fix it."""


def world_size() -> int:
    """Processes in this run (``WORLD_SIZE``, set by ``accelerate launch``/``torchrun``)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def accumulation_steps(batch_size: int, micro_batch_size: int, processes: int) -> int:
    """Micro-batches per optimiser step on each process.

    ``batch_size = micro_batch_size × processes × accumulation``; a batch that does
    not divide is an error rather than a silently different batch.

    >>> accumulation_steps(256, 4, 8)
    8
    """
    per_step = micro_batch_size * processes
    if batch_size % per_step:
        raise SFTSetupError(
            f"optim.batch_size={batch_size} is not a multiple of optim.micro_batch_size="
            f"{micro_batch_size} x {processes} process(es) = {per_step}; choose a batch size "
            f"such as {max(per_step, batch_size // per_step * per_step)} or another micro-batch"
        )
    return batch_size // per_step


def data_fingerprint(columns: dict[str, list[list[int]]]) -> str:
    """sha256 of the tokenized examples (ids and labels, in order), to refuse a resume on
    different data: the trainer resumes by skipping the batches already seen."""
    digest = hashlib.sha256()
    for name in ("input_ids", "labels"):
        for row in columns[name]:
            digest.update(len(row).to_bytes(4, "little"))
            digest.update(array("q", row).tobytes())
    return digest.hexdigest()


def _changed_keys(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    changed = []
    for section in sorted(set(stored) | set(current)):
        allowed = RESUMABLE_CHANGES.get(section, frozenset())
        if allowed is None:
            continue
        old, new = stored.get(section, {}) or {}, current.get(section, {}) or {}
        for key in sorted(set(old) | set(new)):
            if key not in allowed and old.get(key) != new.get(key):
                changed.append(f"{section}.{key} ({old.get(key)!r} -> {new.get(key)!r})")
    return changed


@dataclass(frozen=True)
class SFTResult:
    """What :func:`run_sft` returns (on the main process; others get ``summary = {}``)."""

    output: Path
    summary: dict[str, Any]
    final: Path
    evaluation: Any = None
    """The final :class:`~longcot.evaluate.EvalResult`, or ``None``."""


def _load_tokenizer(recipe: Any):
    from transformers import AutoTokenizer

    from longcot.models import resolve_model

    spec = recipe.model.tokenizer or recipe.model.path
    try:
        return AutoTokenizer.from_pretrained(
            resolve_model(spec), trust_remote_code=recipe.model.trust_remote_code
        )
    except OSError as e:
        raise SFTSetupError(f"model {spec}: cannot load its tokenizer ({e})") from None


def _eos_from_model(path: str):
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(path)
    except OSError:
        return None


def prepare_data(recipe: Any, tokenizer: Any, model_path: str):
    """``(datasets.Dataset, SFTDataStats, fingerprint)`` from ``recipe.data``."""
    from datasets import Dataset

    from .sft_data import eos_token_ids

    data = recipe.data
    examples = load_examples(
        data.source,
        solution_field=data.solution_field,
        template=data.template,
        data_dir=data.data_dir,
        limit=data.limit,
    )
    columns, stats = tokenize_examples(
        tokenizer,
        examples,
        max_length=data.max_length,
        overlong=data.overlong,
        eos_ids=eos_token_ids(tokenizer, _eos_from_model(model_path)),
    )
    if not stats.examples:
        raise SFTDataError(
            f"data.source {data.source}: all {stats.dropped_overlong} examples are longer than "
            f"data.max_length={data.max_length} tokens; raise it or set data.overlong: truncate"
        )
    return Dataset.from_dict(columns), stats, data_fingerprint(columns)


def _check_resume(run_dir: RunDir, recipe: Any, resume: bool) -> Path | None:
    """The checkpoint to resume from (``None``: start fresh); errors before any work."""
    if not run_dir.exists():
        return None
    if not resume:
        raise FileExistsError(
            f"{run_dir.path} already holds a run (run.json); pass --resume to continue it, "
            "or choose another --output"
        )
    changed = _changed_keys(run_dir.read_recipe(), recipe.to_dict())
    if changed:
        raise SFTSetupError(
            f"{run_dir.path}: the recipe differs from the stopped run's recipe.yaml in "
            f"{', '.join(changed)}; resume with the same recipe (or start a new --output)"
        )
    return run_dir.latest_checkpoint()


def run_sft(recipe: Any, *, resume: bool = False, callbacks: Sequence[Any] = ()) -> SFTResult:
    """Train ``recipe`` (a ``longcot.config.Recipe`` loaded for ``sft``); see the module docstring.

    Args:
        resume: continue the run in ``run.output`` from its last checkpoint.
        callbacks: extra ``transformers.TrainerCallback`` s, called after longcot's own.

    Raises:
        SFTSetupError, SFTDataError, FileExistsError, FileNotFoundError, ValueError:
            before any training, each naming the setting, file or line to fix.
    """
    if not recipe.model.path:
        raise SFTSetupError("model.path is not set: name the model to fine-tune (--model)")
    if not recipe.run.output:
        raise SFTSetupError("run.output is not set: give an output folder (--output)")
    accumulation = accumulation_steps(
        recipe.optim.batch_size, recipe.optim.micro_batch_size, world_size()
    )
    run_dir = RunDir(recipe.run.output)
    checkpoint = _check_resume(run_dir, recipe, resume)

    import torch

    from longcot.models import resolve_model

    if recipe.model.threads:
        torch.set_num_threads(recipe.model.threads)
    cuda = torch.cuda.is_available() and recipe.model.device != "cpu"
    if recipe.model.device == "cuda" and not torch.cuda.is_available():
        raise SFTSetupError("model.device=cuda, but torch sees no CUDA device")
    tokenizer = _load_tokenizer(recipe)
    model_path = resolve_model(recipe.model.path)
    dataset, stats, fingerprint = prepare_data(recipe, tokenizer, model_path)
    check_evaluation(recipe, run_dir)
    counters = (0, 0)
    if checkpoint is not None:
        from .sft_trainer import read_counters

        stored = read_counters(checkpoint)
        if stored.get("data_fingerprint") not in (None, fingerprint):
            raise SFTSetupError(
                f"{checkpoint}: the training data changed since this checkpoint was written "
                f"(data.source {recipe.data.source}); resuming would skip the wrong batches"
            )
        counters = (int(stored.get("train_tokens", 0)), int(stored.get("examples_seen", 0)))

    dtype, bf16, fp16 = precision(recipe.model.dtype, cuda)
    args = training_arguments(
        recipe,
        output_dir=str(run_dir.checkpoints_dir / ".tmp-trainer"),
        accumulation=accumulation,
        use_cpu=not cuda,
        bf16=bf16,
        fp16=fp16,
    )
    if "tensorboard" in recipe.run.report_to:
        os.environ.setdefault("TENSORBOARD_LOGGING_DIR", str(run_dir.path / "tensorboard"))
    trainer = _build_trainer(recipe, model_path, dtype, args, dataset, tokenizer, counters)
    is_main = trainer.accelerator.is_main_process
    resume_step = int(checkpoint.name.split("_")[-1]) if checkpoint is not None else None
    if is_main:
        run_dir.write_recipe(recipe)
        run_dir.start("sft", recipe.model.path, resume_step=resume_step)
        log.info(
            "sft: %d examples (%d dropped as over-long, %d truncated), %d response tokens "
            "an epoch, %d micro-batches x %d per process x %d process(es) per step",
            stats.examples,
            stats.dropped_overlong,
            stats.truncated,
            stats.response_tokens,
            accumulation,
            recipe.optim.micro_batch_size,
            world_size(),
        )
    trainer.accelerator.wait_for_everyone()

    from .sft_trainer import NothingToTrain, RunFolderCallback

    ev = recipe.eval
    callback = RunFolderCallback(
        run_dir,
        keep_last=recipe.run.keep_last,
        fingerprint=fingerprint,
        evaluate=lambda step: evaluate_live(recipe, trainer, run_dir.eval_dir(step), step),
        eval_every=ev.every,
        skip_last=ev.after_training,
    ).bind(trainer)
    trainer.add_callback(callback)
    for extra in callbacks:
        trainer.add_callback(extra)
    if ev.before_training and checkpoint is None:
        if is_main:
            evaluate_live(recipe, trainer, run_dir.eval_dir(0), 0)
        trainer.accelerator.wait_for_everyone()

    try:
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    except NothingToTrain as e:
        log.info("resumed at the last step (%s); saving and evaluating only", e)
    final = save_final(trainer, run_dir.final_dir)
    if is_main:  # the trainer's scratch folder (its model card); checkpoints are committed
        shutil.rmtree(args.output_dir, ignore_errors=True)
    if not is_main:
        return SFTResult(run_dir.path, {}, final)
    evaluation = None
    if ev.after_training:
        final_eval = run_dir.eval_dir("final")
        if trainer.state.global_step > (resume_step or 0) and final_eval.exists():
            # final/ changed (a finished run extended with more steps): the stored
            # samples belong to the old weights, and the eval store would resume past them.
            shutil.rmtree(final_eval)
        evaluation = evaluate_saved(recipe, final, final_eval)
    summary = _summary(trainer, stats, run_dir)
    run_dir.finish(summary)
    return SFTResult(run_dir.path, summary, final, evaluation)


def _build_trainer(recipe, model_path, dtype, args, dataset, tokenizer, counters):
    from transformers import AutoModelForCausalLM

    from .sft_trainer import CountingSFTTrainer

    m = recipe.model
    kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": m.trust_remote_code}
    if m.attn_implementation:
        kwargs["attn_implementation"] = m.attn_implementation
    model = AutoModelForCausalLM.from_pretrained(model_path, **kwargs)
    peft_config = None
    if m.lora is not None:
        from peft import LoraConfig

        target = m.lora.target_modules
        peft_config = LoraConfig(
            r=m.lora.r,
            lora_alpha=m.lora.alpha,
            lora_dropout=m.lora.dropout,
            target_modules=target if isinstance(target, str) else list(target),
            task_type="CAUSAL_LM",
        )
    return CountingSFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        counters=counters,
    )


def save_final(trainer: Any, final_dir: Path) -> Path:
    """Save the trained model and tokenizer into ``final_dir``, loadable by ``--model``.

    A LoRA run saves the merged weights (``merge_and_unload``), so ``final/`` is a
    plain checkpoint like any other.
    """
    model = trainer.accelerator.unwrap_model(trainer.model)
    if hasattr(model, "merge_and_unload"):
        if trainer.accelerator.is_main_process:
            merged = model.merge_and_unload()
            merged.save_pretrained(final_dir)
            trainer.processing_class.save_pretrained(final_dir)
        trainer.accelerator.wait_for_everyone()
    else:
        trainer.save_model(str(final_dir))  # gathers FSDP/DeepSpeed shards; main writes
    return final_dir


def _summary(trainer: Any, stats: SFTDataStats, run_dir: RunDir) -> dict[str, Any]:
    rows = run_dir.metrics()
    return {
        "train_tokens": int(trainer.train_tokens),
        "examples": stats.examples,
        "dropped_overlong": stats.dropped_overlong,
        "truncated": stats.truncated,
        "steps": int(trainer.state.global_step),
        "epochs": float(trainer.state.epoch or 0.0),
        "seconds": round(run_dir.elapsed(), 3),
        "final_loss": rows[-1]["loss"] if rows else None,
    }
