"""``longcot <command>``: a thin dispatcher.

Each command lives in ``longcot/commands/<name>.py`` and exposes
``add_parser(subparsers)``, which registers its arguments and sets ``func``.
Modules are imported lazily, so ``longcot grade`` never imports torch and
``longcot --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# name -> (module, one-line help). Adding a command is one line here plus its module.
COMMANDS: dict[str, tuple[str, str]] = {
    "grade": ("longcot.commands.grade", "grade responses in a JSONL file against gold answers"),
    "tiny-model": ("longcot.commands.tiny_model", "build a tiny local model and tokenizer offline"),
    "serve-model": ("longcot.commands.serve_model", "serve a local model over an OpenAI API"),
    "serve-reward": ("longcot.commands.serve_reward", "serve rewards over HTTP (OpenRLHF)"),
    "eval": ("longcot.commands.eval", "evaluate a model on the paper's benchmarks (resumable)"),
    "sft": ("longcot.commands.sft", "supervised fine-tuning on TRL (chat JSONL or solutions)"),
    "rl": ("longcot.commands.rl", "RL with verifiable rewards: PPO per-stream, GRPO, RLOO"),
    "sample": ("longcot.commands.sample", "rejection sampling: N candidates, graded, kept"),
    "construct": ("longcot.commands.construct", "long CoT built through actions by a teacher"),
    "silver": ("longcot.commands.silver", "web QA pairs -> answers -> filtered RL prompt set"),
    "report": ("longcot.commands.report", "plots and tables of runs in one HTML page (+ Markdown)"),
    "keywords": ("longcot.commands.keywords", "reflection keyword rates of JSONL responses"),
    "demo": ("longcot.commands.demo", "the whole pipeline on CPU: SFT -> RL -> eval -> report"),
}


def _selected_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="longcot", description="Train and study long chain-of-thought reasoning."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    chosen = _selected_command(argv)
    for name, (module, help_text) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).add_parser(sub, name, help_text)
        else:
            # Listed in --help without importing the module (and its heavy deps).
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
