"""OpenRLHF in-process reward file: ``reward_func(queries, prompts, labels)``.

OpenRLHF loads a ``.py`` file given as ``--remote_rm_url`` by path and calls
its ``reward_func`` in a worker thread, with no way to pass options. So this
entry-point file (not library code) reads two environment variables, once:

- ``LONGCOT_REWARD_CONFIG``: reward settings YAML (required; e.g.
  ``recipes/rewards_paper.yaml``, with ``max_length`` = OpenRLHF's
  ``--generate_max_len``).
- ``LONGCOT_TOKENIZER``: the policy's tokenizer (folder or hub id), to count
  response tokens (required: OpenRLHF sends text only).

Usage::

    export LONGCOT_REWARD_CONFIG=recipes/rewards_paper.yaml LONGCOT_TOKENIZER=/path/to/policy
    python -m openrlhf.cli.train_ppo_ray ... \\
        --remote_rm_url "$(python -c 'import longcot.adapters.openrlhf_reward_func as m; print(m.__file__)')" \\
        --label_key answer

The return value follows OpenRLHF's examples: ``rewards`` and ``scores`` as
float tensors, ``extra_logs`` as scalars (see :mod:`longcot.adapters.openrlhf`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

CONFIG_ENV = "LONGCOT_REWARD_CONFIG"
TOKENIZER_ENV = "LONGCOT_TOKENIZER"


@lru_cache(maxsize=1)
def _setup(config: str | None, tokenizer: str | None):
    from longcot.adapters.common import load_tokenizer
    from longcot.rewards import RewardSpec

    if not config:
        raise RuntimeError(
            f"set {CONFIG_ENV} to a reward settings YAML (e.g. recipes/rewards_paper.yaml)"
        )
    if not tokenizer:
        raise RuntimeError(
            f"set {TOKENIZER_ENV} to the policy's tokenizer: lengths are counted in its tokens"
        )
    return RewardSpec.from_yaml(config), load_tokenizer(tokenizer)


def reward_func(queries: list[str], prompts: list[str], labels: list[Any], **kwargs: Any) -> dict:
    """Score one OpenRLHF batch with the settings named by the environment."""
    import torch

    from longcot.adapters.openrlhf import score_queries

    spec, tokenizer = _setup(os.environ.get(CONFIG_ENV), os.environ.get(TOKENIZER_ENV))
    out = score_queries(spec, queries, prompts, labels, tokenizer=tokenizer)
    return {
        "rewards": torch.tensor(out["rewards"], dtype=torch.float32),
        "scores": torch.tensor(out["scores"], dtype=torch.float32),
        "extra_logs": out["extra_logs"],
    }
