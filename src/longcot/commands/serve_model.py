"""``longcot serve-model --model NAME_OR_PATH``: an OpenAI-compatible server on a local checkpoint."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def add_parser(subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=(
            "Serve a local model through the hf backend with /v1/chat/completions, "
            "/v1/completions, /v1/models and /health (FastAPI on uvicorn)."
        ),
    )
    parser.add_argument(
        "--model", required=True, help="named model (smollm2-135m-instruct), local folder or hub id"
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free)")
    parser.add_argument(
        "--served-name", default=None, help="model id clients use (default: --model)"
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--dtype", default="auto", help="auto | float32 | bfloat16 | float16")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--max-tokens", type=int, default=16384, help="max_tokens when a request gives none"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from longcot.generate import load_backend
    from longcot.generate.server import create_app

    backend = load_backend(
        "hf", args.model, device=args.device, dtype=args.dtype, threads=args.threads
    )
    served = args.served_name or args.model
    app = create_app(backend, served, default_max_tokens=args.max_tokens)
    log.info("serving %s as %r on http://%s:%d/v1", args.model, served, args.host, args.port)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    finally:
        backend.close()
    return 0
