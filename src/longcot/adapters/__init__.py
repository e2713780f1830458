"""longcot's rewards inside other trainers.

- :mod:`longcot.adapters.trl`: reward functions for TRL's ``GRPOTrainer``.
- :mod:`longcot.adapters.verl`: ``compute_score`` and a token-level reward manager for verl.
- :mod:`longcot.adapters.openrlhf`: the scoring behind ``longcot serve-reward``
  (:mod:`longcot.adapters.openrlhf_server`) and OpenRLHF's in-process
  ``reward_func`` file (:mod:`longcot.adapters.openrlhf_reward_func`).

Submodules are imported on demand: each pulls in only its own trainer's needs.
"""
