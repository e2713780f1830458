"""``longcot tiny-model --out DIR``: build a tiny random model + tokenizer, no download."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=(
            "Build a randomly initialised Qwen2 model and a byte-level BPE tokenizer trained "
            "locally on built-in math text, loadable with AutoModelForCausalLM/AutoTokenizer."
        ),
    )
    parser.add_argument("--out", required=True, help="output folder (created; files overwritten)")
    parser.add_argument("--layers", type=int, default=4, help="decoder layers (default 4)")
    parser.add_argument("--hidden", type=int, default=256, help="hidden size (default 256)")
    parser.add_argument("--vocab", type=int, default=4096, help="vocabulary size (default 4096)")
    parser.add_argument("--seed", type=int, default=0, help="weight seed (default 0)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from longcot.tasks.tiny import build_tiny_model

    heads = max(1, args.hidden // 64)  # head dim 64, as in the default 256/4
    kv_heads = heads // 2 if heads % 2 == 0 else heads
    out = build_tiny_model(
        args.out,
        layers=args.layers,
        hidden=args.hidden,
        vocab=args.vocab,
        seed=args.seed,
        heads=heads,
        kv_heads=kv_heads,
    )
    log.info("tiny model written to %s", out)
    print(out)
    return 0
