"""``longcot serve-reward``: the rule-based reward server for OpenRLHF 0.11 and any HTTP client.

    longcot serve-reward --config recipes/rewards_paper.yaml --max-length 14336 \\
        --tokenizer PATH --port 5000

``--max-length`` is required and must equal the rollout's generation budget
(OpenRLHF ``--rollout.max_new_tokens``): it is the cosine reward's ``L_max``,
and OpenRLHF sends no finish reason, so a response without end-of-sequence that
reaches it is the one scored as truncated. Needs the ``[serve]`` extra
(FastAPI, uvicorn). Binds 127.0.0.1 unless ``--host`` says otherwise: the
server has no authentication.
"""

from __future__ import annotations

import argparse
import logging
import resource

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
        required=True,
        help="generation budget in tokens, equal to the trainer's (OpenRLHF "
        "--rollout.max_new_tokens); overrides the config",
    )
    parser.add_argument("--preset", help="outcome reward preset (paper, classic, base_rl, ...)")
    parser.add_argument(
        "--tokenizer",
        help="policy tokenizer folder or hub id, to count response tokens; without it, "
        "requests must carry response_token_ids",
    )
    parser.add_argument(
        "--eos-token",
        action="append",
        help="an end-of-sequence string the policy stops on (repeatable; default: the "
        "tokenizer's and its generation config's)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument(
        "--max-concurrency", type=int, default=2, help="batches graded at once (default 2)"
    )
    parser.add_argument(
        "--max-batch-items", type=int, default=256, help="responses per batch (default 256)"
    )
    parser.add_argument(
        "--max-pending",
        type=int,
        default=65536,
        help="queued responses before answering 503 (default 65536)",
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


def raise_open_file_limit() -> int:
    """Lift the soft limit on open files to the hard one: OpenRLHF opens one
    connection per sample, thousands at once, past the usual soft limit of 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from longcot.adapters.openrlhf_server import create_app
    except ImportError as e:
        raise SystemExit(
            f"serve-reward needs the [serve] extra: pip install 'longcot[serve]' ({e})"
        ) from e
    from longcot.adapters.common import eos_strings, load_tokenizer

    try:
        spec = build_spec(args)
    except ValueError as e:
        raise SystemExit(f"serve-reward: {e}") from e
    tokenizer = load_tokenizer(args.tokenizer) if args.tokenizer else None
    eos = tuple(args.eos_token or ())
    if tokenizer is not None and not eos:
        eos = eos_strings(tokenizer, args.tokenizer)
    app = create_app(
        spec,
        tokenizer=tokenizer,
        tokenizer_name=args.tokenizer,
        eos=eos or None,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_concurrency=args.max_concurrency,
        max_batch_items=args.max_batch_items,
        max_pending=args.max_pending,
    )
    files = raise_open_file_limit()
    log.warning(
        "reward server on http://%s:%d. max_length=%d tokens must equal the trainer's generation "
        "budget (OpenRLHF --rollout.max_new_tokens): a response without end-of-sequence %s is "
        "scored as truncated when its query keeps special tokens or it comes within 16 tokens "
        "of max_length. Up to %d open connections.",
        args.host,
        args.port,
        spec.max_length,
        f"(one of {list(eos)})" if eos else "",
        files,
    )
    # backlog: OpenRLHF connects once per sample, thousands at a time. A keep-alive
    # longer than uvicorn's 5 s default: pooled clients (httpx, requests) that reuse
    # a connection the server is closing see a read error instead of a reply.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        backlog=8192,
        timeout_keep_alive=75,
    )
    return 0
