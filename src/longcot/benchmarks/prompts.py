"""The paper's prompts, in one visible table that users can extend.

A :class:`PromptTemplate` holds one text per prompt style (math, TheoremQA,
multiple choice). Texts use ``string.Template`` placeholders (``$question``)
rather than ``str.format`` braces, because every prompt here contains LaTeX
braces (``\\boxed{}``) that ``str.format`` would need doubled.

Placeholders: ``$question`` (stripped problem text), ``$options`` (MMLU-Pro
options as ``A. …`` lines), ``$category`` (MMLU-Pro category),
``$answer_type_hint`` (TheoremQA: a sentence naming the expected answer form),
plus any string or integer field of ``example.meta`` (``$subject``, ``$level``).
Write ``$$`` for a literal dollar sign.

Add a template with ``TEMPLATES["mine"] = PromptTemplate(...)`` and call
``benchmark.prompt(example, "mine")``, or pass the object itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from .example import Example, Task
from .parsers import CHOICE_LETTERS

Message = dict[str, str]
"""``{"role": ..., "content": ...}``, the chat format of ``longcot.generate``."""

# Qwen2.5-Math / DeepSeek-R1's chain-of-thought instruction, the one the
# paper's math evaluations use.
BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."

# The official MMLU-Pro chain-of-thought instruction (TIGER-AI-Lab/MMLU-Pro,
# evaluate_from_api.py), verbatim. DESIGN §3 follows it with the options and a
# request for the letter in \boxed{}, so one extractor serves every benchmark;
# the verifier's choice task also reads "the answer is (X)".
MMLU_PRO_INSTRUCTION = (
    "The following are multiple choice questions (with answers) about $category. "
    'Think step by step and then finish your answer with "the answer is (X)" '
    "where X is the correct letter choice."
)

ANSWER_TYPE_HINTS: dict[str, str] = {
    # The official TheoremQA prompt (wenhuchen/TheoremQA run_gpt4.py; repeated in
    # TIGER-AI-Lab/TheoremQA run_gpt.py) lists four answer forms: "a numerical
    # value like 0.1, no symbol at all", "a list of number like [2, 3, 4]",
    # "True/False", "an option like (a), (b), (c), (d)". Each item here names
    # only its own form, so the model need not guess which one applies.
    "integer": "The answer is an integer, with no symbol or unit.",
    "float": "The answer is a numerical value like 0.1, with no symbol or unit.",
    "bool": "The answer is True or False.",
    "list of integer": "The answer is a list of integers like [2, 3, 4].",
    "list of float": "The answer is a list of numbers like [0.1, 0.2, 0.3].",
    "option": "The answer is an option like (a), (b), (c), (d).",
}
"""Sentence per TheoremQA ``Answer_type`` for ``$answer_type_hint``."""


@dataclass(frozen=True)
class PromptTemplate:
    """How to turn an :class:`Example` into a prompt.

    Attributes:
        math (`str`):
            User text for the ``math`` and ``aime`` tasks (MATH-500, AIME,
            MATH-train).
        theoremqa (`str`):
            User text for TheoremQA; may use ``$answer_type_hint``.
        choice (`str`):
            User text for multiple choice (MMLU-Pro); should use ``$options``.
        system (`str`, *optional*):
            A system message, or ``None`` for none (the paper uses none).
        chat (`bool`, *optional*, defaults to `True`):
            ``True``: ``prompt`` returns chat messages for the model's chat
            template. ``False``: it returns one plain string (system text, a
            blank line, then the user text), for base models.
    """

    math: str
    theoremqa: str
    choice: str
    system: str | None = None
    chat: bool = True

    def text_for(self, task: Task) -> str:
        """The user text for a verifier task (``aime`` uses the math text)."""
        if task in ("math", "aime"):
            return self.math
        if task == "theoremqa":
            return self.theoremqa
        if task == "choice":
            return self.choice
        raise ValueError(f"no prompt text for task {task!r}")


_DEFAULT = PromptTemplate(
    math=f"$question\n\n{BOXED_INSTRUCTION}",
    theoremqa=f"$question\n\n$answer_type_hint\n{BOXED_INSTRUCTION}",
    choice=(
        f"{MMLU_PRO_INSTRUCTION}\n\nQuestion: $question\nOptions:\n$options\n\n"
        "Please reason step by step, and put the letter of your final answer "
        "within \\boxed{}."
    ),
)

# The wording of the authors' released harness (tongyx361/metagen,
# configs/metagen/common/{messages/cot_boxed_qa,jobs/eval_reasoning_dlc}.yaml):
# no answer-type hint for TheoremQA, and the older MMLU-Pro instruction.
_DEMYSTIFY_QA = (
    '$question\n\nSolve the problem step by step and provide the final answer in "\\boxed{...}".'
)
_DEMYSTIFY = PromptTemplate(
    math=_DEMYSTIFY_QA,
    theoremqa=_DEMYSTIFY_QA,
    choice=(
        "The following are multiple choice questions (with answers) about $category. "
        "Think step by step and then output the answer in the format of "
        '"The answer is (X)" at the end.\n\n'
        "Question: $question\nOptions: $options\n\n"
        'Please solve the problem step by step and provide the final answer in "\\boxed{...}".'
    ),
)

TEMPLATES: dict[str, PromptTemplate] = {
    "default": _DEFAULT,
    "plain": PromptTemplate(
        math=_DEFAULT.math, theoremqa=_DEFAULT.theoremqa, choice=_DEFAULT.choice, chat=False
    ),
    "demystify": _DEMYSTIFY,
}
"""Named prompt templates. ``default``: the paper's prompts as chat messages.
``plain``: the same text as one string. ``demystify``: the exact wording of the
authors' released evaluation harness."""


def format_options(options: list[str]) -> str:
    """``A. first\\nB. second…``. Options are stripped: 475 rows of the staged
    MMLU-Pro revision carry a leading space that upstream later removed."""
    return "\n".join(f"{CHOICE_LETTERS[i]}. {text.strip()}" for i, text in enumerate(options))


def _fields(example: Example) -> dict[str, str]:
    fields = {k: str(v) for k, v in example.meta.items() if isinstance(v, str | int)}
    fields["question"] = example.question.strip()
    fields["options"] = format_options(example.meta.get("options") or [])
    fields["category"] = str(example.meta.get("category") or "")
    fields["answer_type_hint"] = ANSWER_TYPE_HINTS.get(example.answer_type or "", "")
    return fields


def render_prompt(
    template: str | PromptTemplate, task: Task, example: Example
) -> list[Message] | str:
    """Fill ``template`` (a name in :data:`TEMPLATES` or an object) for ``example``."""
    if isinstance(template, str):
        if template not in TEMPLATES:
            raise ValueError(
                f"unknown prompt template {template!r}; known templates: {sorted(TEMPLATES)} "
                "(add one with longcot.benchmarks.TEMPLATES[name] = PromptTemplate(...))"
            )
        template = TEMPLATES[template]
    text = template.text_for(task)
    try:
        user = Template(text).substitute(_fields(example))
    except KeyError as e:
        raise ValueError(
            f"prompt template for task {task!r} uses unknown placeholder ${e.args[0]}; "
            "available: $question, $options, $category, $answer_type_hint and "
            "the string/integer keys of example.meta"
        ) from e
    except ValueError as e:  # a lone "$" not followed by a name
        raise ValueError(
            f"prompt template for task {task!r} is malformed ({e}); write $$ for a literal $"
        ) from e
    if not template.chat:
        return f"{template.system}\n\n{user}" if template.system else user
    messages: list[Message] = []
    if template.system:
        messages.append({"role": "system", "content": template.system})
    messages.append({"role": "user", "content": user})
    return messages
