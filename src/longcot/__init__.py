"""longcot: train and study long chain-of-thought reasoning.

Data flows one way (DESIGN.md §1): benchmarks/tasks -> generate -> verify ->
rewards -> train/evaluate -> analyze. ``verify`` and ``rewards`` import neither
torch nor transformers, so they stay cheap to import inside RL workers.
"""

__version__ = "0.1.0"
