"""longcot's rewards inside other trainers, for the versions the tests run them with.

- :mod:`longcot.adapters.trl`: reward functions for TRL 1.16's ``GRPOTrainer``.
- :mod:`longcot.adapters.verl`: ``compute_score`` and a reward-loop manager for verl 0.9.x.
- :mod:`longcot.adapters.openrlhf`: the scoring behind ``longcot serve-reward``
  (:mod:`longcot.adapters.openrlhf_server`) and OpenRLHF 0.11.x's in-process
  ``reward_func`` file (:mod:`longcot.adapters.openrlhf_reward_func`).
- :mod:`longcot.adapters.batching`: groups concurrent one-sample calls (the server,
  verl's reward loop) into grading batches.

Every adapter gives a trainer one number per response,
:func:`longcot.rewards.scalar_reward`: none of these trainers has a per-token
path for a rule reward. Submodules are imported on demand: each pulls in only
its own trainer's needs.
"""
