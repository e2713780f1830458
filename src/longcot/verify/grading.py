"""Public grading entry points: ``grade``, ``grade_many``, ``agrade_many``.

One verifier used everywhere (DESIGN.md §2): RL rewards, rejection sampling,
silver-data filtering and evaluation all call these.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .extract import ExtractPolicy, check_policy
from .pool import GraderPool
from .reasoning import DEFAULT_THINK_MARKERS
from .tasks import check_task_name, grade_local
from .verdict import Verdict
from .worker import Request

_shared: GraderPool | None = None
_shared_lock = threading.Lock()


def shared_pool(workers: int | None = None) -> GraderPool:
    """The process-wide pool, created on first use; grown if ``workers`` asks for more."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = GraderPool(workers)
        elif workers is not None and workers > _shared.size:
            # Grow in place: replacing the pool would kill workers that other
            # threads are grading on right now.
            _shared.grow(workers)
        return _shared


def _close_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.close()
        _shared = None


atexit.register(_close_shared)


def _check_timeout(timeout: float) -> None:
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")


def grade(
    response: str,
    gold: Any,
    *,
    task: str = "math",
    answer_type: str | None = None,
    timeout: float = 5.0,
    think_markers: tuple[str, str] | None = DEFAULT_THINK_MARKERS,
    require_think_close: bool = False,
    extract: ExtractPolicy = "auto",
) -> Verdict:
    """Grade one free-form response against a reference answer.

    Args:
        response: the model's response (without the prompt).
        gold: the reference answer: a LaTeX string for ``math`` (a reference
            written with ``\\boxed{}`` is read by its boxes), an integer (or
            ``"025"``) for ``aime``, TheoremQA's typed value for
            ``theoremqa``, a letter for ``choice``.
        task: ``math`` | ``aime`` | ``theoremqa`` | ``choice``, or
            ``"package.module:function"`` for a user grader.
        answer_type: TheoremQA's ``Answer_type`` (``integer``, ``float``,
            ``bool``, ``list of integer``, ``list of float``, ``option``).
        timeout: hard limit in seconds; the worker is killed past it and the
            verdict is ``timeout``. Works from any thread.
        think_markers: ``(open, close)`` reasoning markers; the answer is taken
            after ``close``, and an unclosed block means ``no_answer``. ``None``
            grades the whole response.
        require_think_close: the prompt opened the reasoning block, so a
            response without ``close`` has no answer.
        extract: where the final answer may be. ``"auto"`` tries, in order:
            the last ``\\boxed{}``/``\\fbox{}`` (rule ``boxed``; ``boxes`` when
            boxes joined by "and"/commas form the answer together),
            ``<answer>…</answer>`` (``answer tag``), an answer phrase in
            English or another language ("the answer is", "Answer:",
            "答案："; ``answer phrase``), ``#### 42`` (``gsm8k ####``), a
            response that is only an answer (``bare answer``), the
            right-hand side of an equation on the last line (``final
            equation rhs``), the last ``$…$``/``\\(…\\)``/``\\[…\\]``
            (``last math span``), the last number (``last number``).
            ``"strict"`` reads only the last box or the English phrases
            "final answer is"/"the answer is"/"Answer:", for RL recipes that
            want a format incentive. ``choice`` reads letters by its own
            rules (``longcot.verify.choice``).

    Returns:
        A :class:`Verdict`; ``verdict.correct`` is the boolean. Its ``reason``
        says which comparison decided and ends with ``(extracted by:
        <rule>)`` naming the extraction rule (``verdict.extraction_rule``).
        A grader that raised gives status ``timeout`` (it could not tell)
        with reason ``grader error: <exception>``; a real time-out gives
        ``time limit reached after ...``.
    """
    check_task_name(task)
    _check_timeout(timeout)
    check_policy(extract)
    request: Request = (
        response,
        gold,
        task,
        answer_type,
        think_markers,
        require_think_close,
        extract,
    )
    return shared_pool().run(request, timeout)


def _request(i: int, item: Mapping[str, Any], defaults: dict[str, Any]) -> Request:
    if not isinstance(item, Mapping):
        raise TypeError(f"items[{i}] must be a dict, got {type(item).__name__}")
    if "response" not in item or "gold" not in item:
        raise ValueError(f"items[{i}] needs 'response' and 'gold' keys, got {sorted(item)}")
    if not isinstance(item["response"], str):
        raise TypeError(
            f"items[{i}]['response'] must be str, got {type(item['response']).__name__}"
        )
    task = item.get("task", "math")
    check_task_name(task)
    extract = item.get("extract", defaults["extract"])
    try:
        check_policy(extract)
    except ValueError as e:
        raise ValueError(f"items[{i}]: {e}") from None
    return (
        item["response"],
        item["gold"],
        task,
        item.get("answer_type"),
        item.get("think_markers", defaults["think_markers"]),
        item.get("require_think_close", defaults["require_think_close"]),
        extract,
    )


def grade_many(
    items: Sequence[Mapping[str, Any]],
    *,
    workers: int | None = None,
    timeout: float = 5.0,
    think_markers: tuple[str, str] | None = DEFAULT_THINK_MARKERS,
    require_think_close: bool = False,
    extract: ExtractPolicy = "auto",
) -> list[Verdict]:
    """Grade a batch in parallel, preserving order.

    Each item is a dict with ``response``, ``gold``, optional ``task``
    (default ``math``), ``answer_type``, ``think_markers``,
    ``require_think_close`` and ``extract`` (the last three default to the
    arguments here, which mean what they mean in :func:`grade`).

    ``workers``: grader processes (default: usable CPU cores); ``0`` grades
    in this process with no time limit, for debugging. Safe to call from
    several threads at once; from asyncio use :func:`agrade_many`.
    """
    _check_timeout(timeout)
    check_policy(extract)
    defaults = {
        "think_markers": think_markers,
        "require_think_close": require_think_close,
        "extract": extract,
    }
    requests = [_request(i, item, defaults) for i, item in enumerate(items)]
    if workers == 0:
        return [
            grade_local(
                r, g, task=t, answer_type=a, think_markers=m, require_think_close=c, extract=x
            )
            for r, g, t, a, m, c, x in requests
        ]
    return shared_pool(workers).map(requests, timeout)


async def agrade_many(items: Sequence[Mapping[str, Any]], **kwargs: Any) -> list[Verdict]:
    """:func:`grade_many` without blocking the event loop."""
    return await asyncio.to_thread(grade_many, items, **kwargs)
