"""Turn one raw record into an :class:`Example`, validating every field used.

One small function per record layout. Each raises :class:`InvalidRecord`
naming the field and the bad value; the loader adds the file and line. The
layouts are those of the files described in ``shared/data/benchmarks/README.md``
(which are also the Hugging Face hub layouts, after ``hub.py``'s adapters).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from .example import THEOREMQA_ANSWER_TYPES, Example, InvalidRecord

logger = logging.getLogger(__name__)

_MISSING = object()
CHOICE_LETTERS = "ABCDEFGHIJ"
"""MMLU-Pro has up to 10 options, lettered A-J."""


def _field(record: Mapping[str, Any], key: str) -> Any:
    value = record.get(key, _MISSING)
    if value is _MISSING:
        raise InvalidRecord(f"missing field {key!r}")
    return value


def _str(record: Mapping[str, Any], key: str, *, optional: bool = False) -> str | None:
    """A string field; non-empty unless ``optional`` (then ``None``/absent is allowed)."""
    if optional and record.get(key) is None:
        return None
    value = _field(record, key)
    if not isinstance(value, str):
        raise InvalidRecord(f"field {key!r} must be a string, got {type(value).__name__} {value!r}")
    if not value.strip() and not optional:
        raise InvalidRecord(f"field {key!r} is empty")
    return value


def _int(record: Mapping[str, Any], key: str) -> int:
    value = _field(record, key)
    # bool is a subclass of int in Python; a True level or id is a broken record.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRecord(
            f"field {key!r} must be an integer, got {type(value).__name__} {value!r}"
        )
    return value


def _id(record: Mapping[str, Any], key: str) -> str:
    """An identifier that may be stored as a string or an integer."""
    value = _field(record, key)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise InvalidRecord(f"field {key!r} must be a non-empty string or integer, got {value!r}")
    return str(value)


# -- MATH (MATH-500 and the 7,500-problem training split) ---------------------


def parse_math500(record: Mapping[str, Any]) -> Example:
    """A MATH-500 record (PRM800K test split): the gold is the ``answer`` string."""
    level = _int(record, "level")
    if not 1 <= level <= 5:
        raise InvalidRecord(f"field 'level' must be 1-5, got {level}")
    return Example(
        id=_id(record, "unique_id"),
        question=_str(record, "problem"),
        gold=_str(record, "answer"),
        meta={
            "subject": _str(record, "subject"),
            "level": level,
            "solution": _str(record, "solution"),
        },
    )


def parse_math_train(record: Mapping[str, Any]) -> Example:
    """A MATH training record.

    ``answer`` must be present but may be ``null`` or empty. Four of the 7,500
    solutions have no usable boxed answer: two have no ``\\boxed{}`` at all
    (``train/algebra/24014.json``, ``train/algebra/25040.json``, ``null`` in
    the file) and two box nothing (``train/number_theory/7115.json`` and
    ``7117.json``, ``""``). They are kept, with ``gold=None``, so that counts
    and ids match the official split and the verifier grades them ``bad_gold``
    (never "wrong"); callers that need a gold answer keep
    ``[e for e in examples if e.gold is not None]``.
    """
    answer = _field(record, "answer")
    if answer is not None and not isinstance(answer, str):
        raise InvalidRecord(
            f"field 'answer' must be a string or null, got {type(answer).__name__} {answer!r}"
        )
    return Example(
        id=_id(record, "unique_id"),
        question=_str(record, "problem"),
        gold=answer if answer and answer.strip() else None,
        meta={
            # "Level 1".."Level 5", and "Level ?" for two items, as in the original.
            "level": _str(record, "level"),
            "subject": _str(record, "type"),
            "solution": _str(record, "solution"),
        },
    )


# -- AIME 2024 ----------------------------------------------------------------

_AIME_ANSWER = re.compile(r"\d{1,3}")


def _aime_answer(value: Any) -> int:
    """An AIME answer: an integer 0-999, possibly a zero-padded string (``"025"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _AIME_ANSWER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise InvalidRecord(f"field 'answer' must be an integer 0-999, got {value!r}")
    if not 0 <= number <= 999:
        raise InvalidRecord(f"field 'answer' must be an integer 0-999, got {value!r}")
    return number


def parse_aime(record: Mapping[str, Any]) -> Example:
    """An AIME record (Qwen2.5-Math copy, same layout as ``HuggingFaceH4/aime_2024``)."""
    return Example(
        id=_id(record, "id"),
        question=_str(record, "problem"),
        gold=_aime_answer(_field(record, "answer")),
        meta={
            "solution": _str(record, "solution", optional=True),
            "url": _str(record, "url", optional=True),
        },
    )


# -- TheoremQA ----------------------------------------------------------------

_OPTION = re.compile(r"\([a-zA-Z]\)")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_theoremqa_answer(answer: Any, answer_type: str) -> None:
    """Raise unless ``answer`` has the JSON type its ``Answer_type`` promises."""
    ok = {
        "integer": isinstance(answer, int) and not isinstance(answer, bool),
        "float": _is_number(answer),
        "bool": isinstance(answer, bool),
        "list of integer": isinstance(answer, list)
        and bool(answer)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in answer),
        "list of float": isinstance(answer, list)
        and bool(answer)
        and all(_is_number(v) for v in answer),
        "option": isinstance(answer, str) and bool(_OPTION.fullmatch(answer.strip())),
    }[answer_type]
    if not ok:
        raise InvalidRecord(
            f"field 'Answer' is {type(answer).__name__} {answer!r}, "
            f"which does not fit Answer_type {answer_type!r}"
        )


def parse_theoremqa(record: Mapping[str, Any]) -> Example:
    """A TheoremQA record: the gold is the typed ``Answer`` as it is.

    Items with a ``Picture`` (53 of 800) are kept and flagged with
    ``meta["needs_picture"]``: the paper reports TheoremQA over all 800, and
    the authors' harness kept them by dropping the picture column. Filter with
    ``[e for e in examples if not e.meta["needs_picture"]]`` for a text-only set.
    """
    answer_type = _str(record, "Answer_type")
    if answer_type not in THEOREMQA_ANSWER_TYPES:
        raise InvalidRecord(
            f"unknown Answer_type {answer_type!r}; expected one of {list(THEOREMQA_ANSWER_TYPES)}"
        )
    answer = _field(record, "Answer")
    _check_theoremqa_answer(answer, answer_type)
    picture = record.get("Picture")
    if picture is not None and not isinstance(picture, str | dict):
        raise InvalidRecord(f"field 'Picture' must be a path or null, got {picture!r}")
    return Example(
        id=_id(record, "id"),
        question=_str(record, "Question"),
        gold=answer,
        answer_type=answer_type,
        meta={
            "needs_picture": picture is not None,
            # The local JSON holds a relative path (images are not shipped); a
            # hub row holds the image itself, which is not kept here.
            "picture": picture if isinstance(picture, str) else None,
            "field": record.get("field"),
            "subfield": record.get("subfield"),
            "theorem": record.get("theorem"),
            "source": record.get("source"),
        },
    )


# -- MMLU-Pro -----------------------------------------------------------------


def parse_mmlu_pro(record: Mapping[str, Any]) -> Example:
    """An MMLU-Pro record: the gold is the ``answer`` letter; options go to ``meta``.

    The letter decides, as in the official MMLU-Pro scorer. One row of the test
    split (question_id 3983) has an ``answer_index`` that disagrees with its
    letter (the letter is the right one); such rows are logged, not rejected.
    """
    options = _field(record, "options")
    if (
        not isinstance(options, list)
        or not 2 <= len(options) <= len(CHOICE_LETTERS)
        or not all(isinstance(o, str) and o.strip() for o in options)
    ):
        raise InvalidRecord(
            f"field 'options' must be a list of 2-{len(CHOICE_LETTERS)} non-empty strings, "
            f"got {options!r}"
        )
    letter = _str(record, "answer")
    letters = CHOICE_LETTERS[: len(options)]
    if len(letter) != 1 or letter not in letters:
        raise InvalidRecord(
            f"field 'answer' must be one of the {len(options)} option letters {letters}, "
            f"got {letter!r}"
        )
    qid = _id(record, "question_id")
    index = record.get("answer_index")
    if isinstance(index, int) and not isinstance(index, bool) and index != letters.index(letter):
        logger.warning(
            "MMLU-Pro question_id %s: answer %r disagrees with answer_index %d; using the letter",
            qid,
            letter,
            index,
        )
    return Example(
        id=qid,
        question=_str(record, "question"),
        gold=letter,
        meta={
            "options": list(options),
            "category": _str(record, "category"),
            "src": _str(record, "src", optional=True),
        },
    )
