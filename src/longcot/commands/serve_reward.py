"""``longcot serve-reward``: the rule-based reward server for OpenRLHF and any HTTP client.

    longcot serve-reward --config recipes/rewards_paper.yaml --tokenizer PATH --port 5000

Needs the ``[serve]`` extra (FastAPI, uvicorn). Binds 127.0.0.1 unless
``--host`` says otherwise: the server has no authentication.
"""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=(
            "Serve longcot's rewards over HTTP: POST /get_reward with OpenRLHF's "
            '{"query", "prompts", "labels"} body; GET /health.'
        ),
    )
    parser.add_argument("--config", help="reward settings YAML (e.g. recipes/rewards_paper.yaml)")
    parser.add_argument(
        "--max-length",
        type=int,
        help="generation budget in tokens; overrides the config (required without --config)",
    )
    parser.add_argument("--preset", help="outcome reward preset (paper, classic, base_rl, ...)")
    parser.add_argument(
        "--tokenizer",
        help="policy tokenizer folder or hub id, to count response tokens; without it, "
        "requests must carry response_token_ids",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument(
        "--max-concurrency", type=int, default=4, help="batches graded at once (default 4)"
    )
    parser.add_argument(
        "--max-pending", type=int, default=256, help="requests allowed to wait; more get 503"
    )
    parser.add_argument(
        "--max-body-mb", type=float, default=32.0, help="largest request body in MiB (default 32)"
    )
    parser.add_argument(
        "--grade-workers", type=int, help="grader processes (default: verify's choice)"
    )
    parser.set_defaults(func=run)
    return parser


def build_spec(args: argparse.Namespace):
    from longcot.rewards import RewardSpec

    overrides = {}
    if args.max_length is not None:
        overrides["max_length"] = args.max_length
    if args.preset is not None:
        overrides["preset"] = args.preset
    if args.grade_workers is not None:
        overrides["grade_workers"] = args.grade_workers
    if args.config:
        return RewardSpec.from_yaml(args.config, overrides)
    return RewardSpec.from_dict(overrides)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from longcot.adapters.openrlhf_server import create_app
    except ImportError as e:
        raise SystemExit(
            f"serve-reward needs the [serve] extra: pip install 'longcot[serve]' ({e})"
        ) from e
    from longcot.adapters.common import load_tokenizer

    try:
        spec = build_spec(args)
    except ValueError as e:
        raise SystemExit(f"serve-reward: {e}") from e
    tokenizer = load_tokenizer(args.tokenizer) if args.tokenizer else None
    app = create_app(
        spec,
        tokenizer=tokenizer,
        tokenizer_name=args.tokenizer,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_concurrency=args.max_concurrency,
        max_pending=args.max_pending,
    )
    log.info("reward server on http://%s:%d (max_length=%d)", args.host, args.port, spec.max_length)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
