"""What every command's parser shares: its page of help, and the recipe override option."""

from __future__ import annotations

import argparse


def command_parser(subparsers, name: str, help_text: str, doc: str) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` shows its module docstring as plain text."""
    return subparsers.add_parser(
        name,
        help=help_text,
        description=doc.replace("``", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_set_option(parser: argparse.ArgumentParser, examples: str) -> None:
    """``--set SECTION.KEY=VALUE``, repeatable, into ``args.sets`` (``config.load_recipe``)."""
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help=f"override one recipe key, repeatable ({examples})",
    )
