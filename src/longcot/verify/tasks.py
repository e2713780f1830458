"""One grader per task, in one visible table, and the in-process ``grade_local``.

``grade_local`` is the whole grading logic of one item with no time limit;
``longcot.verify.grade`` runs it inside worker processes that the parent can
kill (``pool.py``). Call ``grade_local`` directly only on trusted input or
when you enforce a limit yourself.

Built-in graders take the extraction policy (``extract``) as a keyword; user
graders (``"module:function"``) keep the three-argument
:data:`TaskGrader` signature and extract as they like.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .choice import grade_choice
from .extract import ExtractPolicy, check_policy, extract_final_answer
from .math_answers import compare_math
from .normalize import normalize_math
from .numbers import parse_number
from .reasoning import DEFAULT_THINK_MARKERS, answer_region
from .theoremqa import grade_theoremqa
from .verdict import Verdict, with_rule

TaskGrader = Callable[[str, Any, str | None], Verdict]
"""``(answer_region, gold, answer_type) -> Verdict``; the region is the
response text after any reasoning block."""


def _no_answer(extract: ExtractPolicy) -> Verdict:
    where = (
        "\\boxed{} or an English answer phrase"
        if extract == "strict"
        else "box, answer tag, answer phrase, ####, bare answer, equation, math span or number"
    )
    return Verdict("no_answer", None, f"no final answer found ({extract} extraction: {where})")


def _grade_math(
    region: str, gold: Any, answer_type: str | None, *, extract: ExtractPolicy = "auto"
) -> Verdict:
    if gold is None or (isinstance(gold, str) and not gold.strip()):
        return Verdict("bad_gold", None, "reference answer is missing")
    pred, rule = extract_final_answer(region, extract)
    if pred is None:
        return _no_answer(extract)
    return with_rule(compare_math(pred, str(gold)), rule)


def _aime_gold(gold: Any) -> int | None:
    if isinstance(gold, bool):
        return None
    if isinstance(gold, int):
        value = gold
    else:
        try:
            value = int(str(gold).strip())  # "025" -> 25
        except ValueError:
            return None
    return value if 0 <= value <= 999 else None


def _compare_aime(pred: str, gold_value: int) -> Verdict:
    num = parse_number(normalize_math(pred))
    if num is not None and not num.percent:
        if num.value.denominator != 1:
            return Verdict("incorrect", pred, "answer is not an integer")
        same = num.value.numerator == gold_value
        return Verdict("correct" if same else "incorrect", pred, "integers compared")
    # "5^2", "\\binom{6}{2}": let the symbolic comparison decide.
    return compare_math(pred, str(gold_value))


def _grade_aime(
    region: str, gold: Any, answer_type: str | None, *, extract: ExtractPolicy = "auto"
) -> Verdict:
    gold_value = _aime_gold(gold)
    if gold_value is None:
        return Verdict("bad_gold", None, f"AIME reference {gold!r} is not an integer 0-999")
    pred, rule = extract_final_answer(region, extract)
    if pred is None:
        return _no_answer(extract)
    return with_rule(_compare_aime(pred, gold_value), rule)


def _grade_theoremqa(
    region: str, gold: Any, answer_type: str | None, *, extract: ExtractPolicy = "auto"
) -> Verdict:
    pred, rule = extract_final_answer(region, extract)
    if pred is None:
        return _no_answer(extract)
    return with_rule(grade_theoremqa(pred, gold, answer_type), rule)


def _grade_choice(
    region: str, gold: Any, answer_type: str | None, *, extract: ExtractPolicy = "auto"
) -> Verdict:
    return grade_choice(region, gold, extract)


TASKS: dict[str, TaskGrader] = {
    "math": _grade_math,
    "aime": _grade_aime,
    "theoremqa": _grade_theoremqa,
    "choice": _grade_choice,
}


def check_task_name(task: str) -> None:
    """Raise the unknown-task error unless ``task`` is a known name or ``module:function``.

    Cheap (imports nothing), so callers can fail before any work is queued.
    """
    if task not in TASKS and ":" not in task:
        raise ValueError(
            f"unknown task {task!r}; known tasks: {sorted(TASKS)} or 'module:function'"
        )


def get_task(task: str) -> TaskGrader:
    """Look up a grader by name, or import ``package.module:function`` for user tasks."""
    check_task_name(task)
    if task in TASKS:
        return TASKS[task]
    if ":" in task:
        module, _, attr = task.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"task {task!r}: cannot import {attr!r} from {module!r}") from e
    raise AssertionError("unreachable: check_task_name accepted the name")


def grade_local(
    response: str,
    gold: Any,
    *,
    task: str = "math",
    answer_type: str | None = None,
    think_markers: tuple[str, str] | None = DEFAULT_THINK_MARKERS,
    require_think_close: bool = False,
    extract: ExtractPolicy = "auto",
) -> Verdict:
    """Grade one response in this process, with no time limit (arguments as ``grade``)."""
    grader = get_task(task)
    check_policy(extract)
    if not isinstance(response, str):
        raise TypeError(f"response must be str, got {type(response).__name__}")
    region = answer_region(response, think_markers, require_close=require_think_close)
    if region.text is None:
        return Verdict("no_answer", None, region.reason)
    if task in TASKS:
        return grader(region.text, gold, answer_type, extract=extract)
    return grader(region.text, gold, answer_type)
