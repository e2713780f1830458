"""OpenRLHF 0.11 in-process reward file: ``reward_func(queries, prompts, labels)``.

OpenRLHF loads a ``.py`` file given as ``--reward.remote_url`` by path
(``importlib.util.spec_from_file_location``) and calls its ``reward_func`` in a
worker thread, one sample per call, with no way to pass options. So this
entry-point file (not library code) reads environment variables, once:

- ``LONGCOT_REWARD_CONFIG``: reward settings YAML (required; e.g.
  ``recipes/rewards_paper.yaml``).
- ``LONGCOT_MAX_LENGTH``: the generation budget in tokens (required), equal to
  OpenRLHF's ``--rollout.max_new_tokens``; it overrides the YAML's.
- ``LONGCOT_TOKENIZER``: the policy's tokenizer (folder or hub id), to count
  response tokens (required: OpenRLHF sends text only).

Usage::

    export LONGCOT_REWARD_CONFIG=recipes/rewards_paper.yaml LONGCOT_MAX_LENGTH=14336 \\
        LONGCOT_TOKENIZER=/path/to/policy
    python -m openrlhf.cli.train_ppo_ray ... \\
        --reward.remote_url "$(python -c 'import longcot.adapters.openrlhf_reward_func as m; print(m.__file__)')" \\
        --data.label_key answer --rollout.max_new_tokens 14336

The return value follows OpenRLHF's examples: ``rewards`` and ``scores`` as
float tensors, ``extra_logs`` as scalars with the same keys for every call
(see :mod:`longcot.adapters.openrlhf`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

CONFIG_ENV = "LONGCOT_REWARD_CONFIG"
MAX_LENGTH_ENV = "LONGCOT_MAX_LENGTH"
TOKENIZER_ENV = "LONGCOT_TOKENIZER"


@lru_cache(maxsize=1)
def _setup(config: str | None, max_length: str | None, tokenizer: str | None):
    from longcot.adapters.common import eos_strings, load_tokenizer
    from longcot.rewards import RewardSpec

    if not config:
        raise RuntimeError(
            f"set {CONFIG_ENV} to a reward settings YAML (e.g. recipes/rewards_paper.yaml)"
        )
    if not max_length or not max_length.strip().isdigit():
        raise RuntimeError(
            f"set {MAX_LENGTH_ENV} to the generation budget in tokens (OpenRLHF "
            f"--rollout.max_new_tokens), got {max_length!r}"
        )
    if not tokenizer:
        raise RuntimeError(
            f"set {TOKENIZER_ENV} to the policy's tokenizer: lengths are counted in its tokens"
        )
    tok = load_tokenizer(tokenizer)
    spec = RewardSpec.from_yaml(config, {"max_length": int(max_length)})
    return spec, tok, eos_strings(tok, tokenizer)


def reward_func(queries: list[str], prompts: list[str], labels: list[Any], **kwargs: Any) -> dict:
    """Score one OpenRLHF batch with the settings named by the environment."""
    import torch

    from longcot.adapters.openrlhf import score_queries

    spec, tokenizer, eos = _setup(
        os.environ.get(CONFIG_ENV), os.environ.get(MAX_LENGTH_ENV), os.environ.get(TOKENIZER_ENV)
    )
    out = score_queries(spec, queries, prompts, labels, tokenizer=tokenizer, eos=eos)
    return {
        "rewards": torch.tensor(out["rewards"], dtype=torch.float32),
        "scores": torch.tensor(out["scores"], dtype=torch.float32),
        "extra_logs": out["extra_logs"],
    }
