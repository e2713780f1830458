"""Synthetic tasks as benchmarks: generated in memory, so ``eval``, ``sample``, ``sft`` and ``rl`` name them.

>>> from longcot.benchmarks import get_benchmark
>>> bench = get_benchmark("arith")
>>> ex = bench.load(limit=1)[0]
>>> bench.prompt(ex)  # doctest: +SKIP
[{'role': 'user', 'content': '3*7+2-5'}]
>>> ex.meta["short_cot"], ex.gold  # doctest: +SKIP
('3*7=1;1+2=3;3-5=8;\\\\boxed{8}', '8')

Registered names (:data:`SYNTHETIC`):

- ``arith``: the held-out split, 500 problems (study 2 evaluated on 500;
  ±2 points of standard error at 80 % accuracy);
- ``arith_train``: the training split, 20,000 problems, for SFT, rejection
  sampling and RL prompts (the demo's SFT settings read 24,000 long or
  20,000 short sequences: about one epoch).

Each :class:`~longcot.benchmarks.Example` carries both reference solutions in
``meta["short_cot"]`` and ``meta["long_cot"]`` (see
:mod:`longcot.tasks.writers`), plus ``meta["ops"]`` (chain length) and
``meta["statement"]`` (the problem as a sentence). ``gold`` is the answer as
a string, graded by ``longcot.verify.grade`` with task ``math``.

Prompts: the ``default`` template sends the bare chain (``0-2-4+9``) as the
user message, ``plain`` the same text without a chat template; both are
what the demo model is trained on, and short prompts keep its sequences short.
Any other template (``demystify``, a ``PromptTemplate``) gets the sentence
form, for evaluating real language models on the task.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from longcot.tasks.arithmetic import ArithConfig, Split, generate
from longcot.tasks.writers import LongCoTStyle, long_cot, short_cot

if TYPE_CHECKING:
    from longcot.benchmarks import Example, PromptTemplate
    from longcot.verify import Verdict

SOLUTION_KEYS: dict[str, str] = {"short": "short_cot", "long": "long_cot"}
"""Trace style -> the ``Example.meta`` key holding that reference solution."""


@dataclass(frozen=True)
class ArithmeticBenchmark:
    """One split of the arithmetic-chain task, shaped like ``longcot.benchmarks.Benchmark``.

    Frozen and made of plain values, so it pickles into worker processes and
    hashes (the generated examples are cached per object value).

    Attributes:
        name (`str`): registry key.
        split (`Split`): ``train`` or ``test``; the two never share a problem.
        size (`int`): problems :meth:`load` returns without a ``limit``.
        config (`ArithConfig`): the task's knobs; defaults to study 2's.
        style (`LongCoTStyle`): slip and alternative rates of the long traces.
        seed (`int`): seeds which problems are drawn and the long traces' slips.
        task (`str`): the verifier task, ``math``: answers are ``\\boxed{}`` digits.
        default_samples (`int`): samples per problem in evaluation, as for MATH-500.
        description (`str`): one line for listings.
    """

    name: str
    split: Split
    size: int
    config: ArithConfig = field(default_factory=ArithConfig)
    style: LongCoTStyle = field(default_factory=LongCoTStyle)
    seed: int = 0
    task: str = "math"
    default_samples: int = 4
    description: str = ""

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(
                f"ArithmeticBenchmark {self.name!r}: size must be >= 1, got {self.size}"
            )

    def with_options(self, **changes: Any) -> ArithmeticBenchmark:
        """A copy with other fields, e.g. ``size=2000`` or ``config=ArithConfig(max_ops=7)``."""
        return replace(self, **changes)

    def load(self, source: Any = None, *, limit: int | None = None) -> list[Example]:
        """The split's problems, generated in memory (no files, no network).

        ``source`` is accepted for the benchmark interface (``longcot eval``
        passes its ``--data-dir``) and ignored: nothing is read.
        ``limit`` keeps the first ``limit`` problems, the same ones any
        larger load starts with.
        """
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 0
        ):
            raise ValueError(f"limit must be a non-negative integer or None, got {limit!r}")
        examples = _examples(self)
        return list(examples if limit is None else examples[:limit])

    def prompt(self, example: Example, template: str | PromptTemplate = "default") -> Any:
        """The bare chain for ``default`` (chat) and ``plain`` (string); the sentence otherwise."""
        if template == "default":
            return [{"role": "user", "content": example.question}]
        if template == "plain":
            return example.question
        from longcot.benchmarks.example import Example
        from longcot.benchmarks.prompts import render_prompt

        worded = Example(example.id, example.meta["statement"], example.gold)
        return render_prompt(template, "math", worded)

    def score(self, example: Example, response: str, **grade_kwargs: Any) -> Verdict:
        """Grade with ``longcot.verify.grade`` (task ``math``); ``grade_kwargs`` pass through."""
        from longcot.verify import grade

        return grade(response, example.gold, task=self.task, **grade_kwargs)


def solution(example: Example, style: str) -> str:
    """The ``short`` or ``long`` reference solution of a synthetic example."""
    if style not in SOLUTION_KEYS:
        raise ValueError(f"solution style {style!r}: must be one of {sorted(SOLUTION_KEYS)}")
    return example.meta[SOLUTION_KEYS[style]]


@lru_cache(maxsize=8)
def _examples(bench: ArithmeticBenchmark) -> tuple[Example, ...]:
    # Imported here: longcot.benchmarks imports this module for its registry.
    from longcot.benchmarks.example import Example

    chains = generate(bench.config, bench.split, bench.size, bench.seed)
    return tuple(
        Example(
            id=f"{bench.name}/{i}",
            question=chain.text,
            gold=str(chain.answer),
            meta={
                "ops": len(chain.steps),
                "statement": chain.statement(),
                "short_cot": short_cot(chain),
                "long_cot": long_cot(chain, bench.style, bench.seed),
            },
        )
        for i, chain in enumerate(chains)
    )


SYNTHETIC: dict[str, ArithmeticBenchmark] = {
    "arith": ArithmeticBenchmark(
        name="arith",
        split="test",
        size=500,
        description="arithmetic chains mod 10, held-out split, 500 problems (generated)",
    ),
    "arith_train": ArithmeticBenchmark(
        name="arith_train",
        split="train",
        size=20_000,
        description="arithmetic chains mod 10, training split, 20,000 problems (generated)",
    ),
}
"""Synthetic task name -> benchmark-shaped object; ``longcot.benchmarks.get_benchmark`` finds them."""
