"""``longcot tiny-model --out DIR [--kind bpe|arith]``: build a tiny random model + tokenizer, no download."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)

KINDS = ("bpe", "arith")


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=(
            "Build a randomly initialised model and its tokenizer locally, loadable with "
            "AutoModelForCausalLM/AutoTokenizer. --kind bpe (default): a Qwen2 with a "
            "byte-level BPE trained on built-in math text (4.2 M parameters), for tests. "
            "--kind arith: the CPU demo's 0.21 M-parameter Llama with a character-level "
            "tokenizer for the arithmetic-chain task (longcot.tasks.demo_model)."
        ),
    )
    parser.add_argument("--out", required=True, help="output folder (created; files overwritten)")
    parser.add_argument("--kind", choices=KINDS, default="bpe", help="which model (default bpe)")
    parser.add_argument("--layers", type=int, help="decoder layers (default 4)")
    parser.add_argument("--hidden", type=int, help="hidden size (default 256 bpe, 64 arith)")
    parser.add_argument(
        "--vocab", type=int, help="BPE vocabulary size (default 4096; --kind bpe only)"
    )
    parser.add_argument("--seed", type=int, default=0, help="weight seed (default 0)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    out = _arith(args) if args.kind == "arith" else _bpe(args)
    log.info("tiny model written to %s", out)
    print(out)
    return 0


def _bpe(args: argparse.Namespace):
    from longcot.tasks.tiny import build_tiny_model

    hidden = args.hidden or 256
    heads = max(1, hidden // 64)  # head dim 64, as in the default 256/4
    kv_heads = heads // 2 if heads % 2 == 0 else heads
    return build_tiny_model(
        args.out,
        layers=args.layers or 4,
        hidden=hidden,
        vocab=args.vocab or 4096,
        seed=args.seed,
        heads=heads,
        kv_heads=kv_heads,
    )


def _arith(args: argparse.Namespace):
    from dataclasses import replace

    from longcot.tasks.demo_model import DemoModelSpec, build_demo_model

    if args.vocab is not None:
        raise SystemExit("--vocab applies to --kind bpe; the arith tokenizer's vocabulary is fixed")
    spec = DemoModelSpec(seed=args.seed)
    if args.layers:
        spec = replace(spec, layers=args.layers)
    if args.hidden:
        # Keep the head dim (16) and the MLP ratio (2.75) of the default shape.
        spec = replace(
            spec,
            hidden=args.hidden,
            heads=max(1, args.hidden // 16),
            intermediate=args.hidden * 11 // 4,
        )
    return build_demo_model(args.out, spec)
