"""The ``SFTConfig`` (TRL's TrainingArguments) a recipe means, every default that matters explicit."""

from __future__ import annotations

import math
from typing import Any


def precision(dtype: str, cuda: bool):
    """``(weights dtype, bf16, fp16)`` for TrainingArguments.

    ``bfloat16`` trains bf16 weights with bf16 autocast; ``float16`` keeps float32
    weights under fp16 autocast (fp16 weights cannot be trained with a grad scaler);
    ``auto`` is bfloat16 on CUDA and float32 on CPU.
    """
    import torch

    if dtype == "auto":
        dtype = "bfloat16" if cuda else "float32"
    if dtype == "bfloat16":
        return torch.bfloat16, True, False
    if dtype == "float16":
        return torch.float32, False, True
    return torch.float32, False, False


def training_arguments(
    recipe: Any, *, output_dir: str, accumulation: int, use_cpu: bool, bf16: bool, fp16: bool
):
    """The ``SFTConfig`` a recipe means (every TRL default that matters set explicitly)."""
    from trl import SFTConfig

    optim, run, data = recipe.optim, recipe.run, recipe.data
    if optim.schedule == "cosine":
        scheduler, scheduler_kwargs = "cosine_with_min_lr", {"min_lr_rate": optim.min_lr_ratio}
    else:
        scheduler, scheduler_kwargs = "constant_with_warmup", {}
    return SFTConfig(
        output_dir=output_dir,
        per_device_train_batch_size=optim.micro_batch_size,
        gradient_accumulation_steps=accumulation,
        num_train_epochs=float(optim.epochs),
        max_steps=run.max_steps or -1,
        learning_rate=optim.lr,
        adam_beta1=optim.betas[0],
        adam_beta2=optim.betas[1],
        adam_epsilon=optim.eps,
        weight_decay=optim.weight_decay,
        optim="adamw_torch",
        # No clipping still reports the norm: clip_grad_norm_ at inf only measures.
        max_grad_norm=optim.grad_clip if optim.grad_clip is not None else math.inf,
        lr_scheduler_type=scheduler,
        lr_scheduler_kwargs=scheduler_kwargs,
        # A float below 1 is a share of the steps; 1.0 itself would mean "one step".
        warmup_steps=min(optim.warmup_ratio, 0.999999),
        seed=run.seed,
        data_seed=run.seed,
        train_sampling_strategy="random" if data.shuffle else "sequential",
        shuffle_dataset=False,
        logging_steps=run.log_every,
        save_strategy="steps",
        # 0: only the checkpoint at the end (the trainer always saves the last step).
        save_steps=run.save_every or 10**9,
        save_total_limit=None,
        report_to=list(run.report_to) or "none",
        disable_tqdm=not run.progress,
        use_cpu=use_cpu,
        bf16=bf16,
        fp16=fp16,
        activation_checkpointing=recipe.model.gradient_checkpointing,
        max_length=data.max_length,
        packing=data.packing,
        packing_strategy="bfd",
        pad_to_multiple_of=None,
        dataset_num_proc=None,
        average_tokens_across_devices=True,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,  # a causal LM uses every weight each step
    )
