"""The TRL adapter plugged into a real GRPOTrainer (TRL 1.16) with the tiny local model, on CPU."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_tiny_grpo_run_uses_longcot_rewards(tiny_model_dir, tmp_path):
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from longcot.adapters.trl import get_reward_func, get_reward_funcs
    from longcot.rewards import RewardSpec

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    max_new = 16
    spec = RewardSpec(max_length=max_new, ngram=2)
    dataset = Dataset.from_dict(
        {
            "prompt": [[{"role": "user", "content": f"What is {a} + {a}?"}] for a in range(4)],
            "answer": [str(2 * a) for a in range(4)],
        }
    )
    calls = []

    class Spy:
        # Records what TRL passes, then defers to the real reward function.
        __name__ = "spy"

        def __init__(self, inner):
            self.inner = inner

        def __call__(self, **kwargs):
            calls.append(kwargs)
            return self.inner(**kwargs)

    args = GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,  # counts completions: 1 prompt x 4 generations
        num_generations=4,
        max_completion_length=max_new,
        max_steps=1,
        learning_rate=1e-5,
        bf16=False,  # TRL 1.16 defaults to bf16, which this CPU refuses
        use_cpu=True,
        report_to=[],
        logging_steps=1,
        save_strategy="no",
        seed=0,
    )
    eos = [tokenizer.eos_token_id]
    reward_funcs = [
        Spy(get_reward_func(spec, eos_token_ids=eos)),
        *get_reward_funcs(spec, eos_token_ids=eos),
    ]
    trainer = GRPOTrainer(
        model=str(tiny_model_dir),
        reward_funcs=reward_funcs,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    trainer.train()

    assert calls, "TRL never called the longcot reward"
    kw = calls[0]
    assert len(kw["completion_ids"]) == len(kw["completions"]) == 4
    assert all(len(ids) <= max_new for ids in kw["completion_ids"])
    logs = {k: v for entry in trainer.state.log_history for k, v in entry.items()}
    assert "rewards/longcot_outcome/mean" in logs and "rewards/longcot_repetition/mean" in logs
    assert logs["longcot/count"] == 4
    # A random 4M-parameter model answers nothing: every completion is wrong or cut off.
    assert logs["rewards/longcot_outcome/mean"] <= 0.0
