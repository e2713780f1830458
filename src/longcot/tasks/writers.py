"""Reference solutions for arithmetic chains: a short CoT and a long CoT with reflection.

Both end with ``\\boxed{<answer>}``, which ``longcot.verify.grade`` (task
``math``) extracts; the demo tokenizer holds ``\\boxed{`` as one token, so the
answer costs 3 tokens. Everything else is one character per token.

**Short CoT**, the direct steps, left to right::

    0-2=8;8-4=4;4+9=3;\\boxed{3}

**Long CoT**, per step: the step, a check that undoes it (``r+b=a`` for ``−``,
``r−b=a`` for ``+``; ``×`` has no inverse mod 10, so its check recomputes the
product with the operands swapped, ``b*a=r``), then::

    8-4=5,5+4=9;Wait,8-4=4,4+4=8;        a slip (p_slip): its check gives 9, not 8,
                                          "Wait", back to the step's start, redone
    0-2=8,8+2=0;Alternatively,0+8=8;     an alternative route (p_alt): − as adding
                                          the complement, + with operands swapped,
                                          × as a·(b−1) + a in two steps

The checks are always true arithmetic; only a slip's step is wrong, and its
check then disagrees with the step's input (or, for ×, its output), which is
what the trace reacts to. So every "Wait" is earned and every
"Alternatively," reaches the same value: :func:`audit` checks exactly that, on
written traces and on a model's own.

Lengths (default task, 3–5 steps, demo tokenizer, reply without its
``<|im_end|>``, over the 20,000 training problems;
``benchmarks/demo_feasibility.py`` prints them plus 1 for that token): short
27.1 tokens, long 69.5 with p_slip = p_alt = 0.2, i.e. 2.6× (DESIGN §5
study 2: 21 and 46 tokens, without alternatives and with a one-token answer
marker). A greedy long-CoT model makes no slips and writes ~51 tokens.

Writers are deterministic: the long writer draws its slips and alternatives
from ``random.Random(f"{seed}/{problem text}")``, so a problem's trace does
not depend on which other problems were written or in what order.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from longcot.tasks.arithmetic import Chain, apply

WAIT = "Wait"
"""Opens a correction after a failed check (a reflection keyword, paper §6)."""
ALTERNATIVELY = "Alternatively,"
"""Opens a second route to a step's value (the paper's "branching" marker)."""
BOXED = "\\boxed{"
"""Opens the final answer; closed by ``}``."""
WORD_TOKENS: tuple[str, ...] = (WAIT, ALTERNATIVELY, BOXED)
"""Multi-character strings the demo tokenizer keeps whole (one token each)."""


@dataclass(frozen=True)
class LongCoTStyle:
    """How much reflection a long trace carries.

    Attributes:
        p_slip (`float`, defaults to `0.2`):
            Chance per step of a deliberate slip (a wrong value whose check
            fails, then "Wait" and the step redone), in [0, 1]. Study 2's value.
            A response's expected "wait" count is ``p_slip × steps``.
        p_alt (`float`, defaults to `0.2`):
            Chance per step of an "Alternatively," second route, in [0, 1].
    """

    p_slip: float = 0.2
    p_alt: float = 0.2

    def __post_init__(self) -> None:
        for name in ("p_slip", "p_alt"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"LongCoTStyle.{name}={value}: must be in [0, 1]")


def answer_text(value: int) -> str:
    return f"{BOXED}{value}}}"


def short_cot(chain: Chain) -> str:
    """The direct steps then the boxed answer: ``0-2=8;8-4=4;4+9=3;\\boxed{3}``."""
    values = chain.values
    parts = [
        f"{a}{op}{b}={r};"
        for a, (op, b), r in zip(values[:-1], chain.steps, values[1:], strict=True)
    ]
    return "".join(parts) + answer_text(chain.answer)


def _check(a: int, op: str, b: int, r: int, m: int) -> str:
    """The check of step ``a op b = r`` (``r`` as written, possibly a slip)."""
    if op == "+":
        return f"{r}-{b}={apply('-', r, b, m)}"
    if op == "-":
        return f"{r}+{b}={apply('+', r, b, m)}"
    return f"{b}*{a}={apply('*', b, a, m)}"


def _alternative(a: int, op: str, b: int, m: int) -> str:
    """Another route to ``a op b``: swapped operands, the complement, or a·(b−1) + a."""
    if op == "+":
        return f"{b}+{a}={apply('+', b, a, m)}"
    if op == "-":
        c = (m - b) % m
        return f"{a}+{c}={apply('+', a, c, m)}"
    d = (b - 1) % m
    s = apply("*", a, d, m)
    return f"{a}*{d}={s},{s}+{a}={apply('+', s, a, m)}"


def long_cot(chain: Chain, style: LongCoTStyle = LongCoTStyle(), seed: int = 0) -> str:
    """Steps with checks, caught slips and alternative routes, then the boxed answer."""
    rng = random.Random(f"{seed}/{chain.text}")
    m = chain.modulus
    values = chain.values
    parts: list[str] = []
    for a, (op, b), r in zip(values[:-1], chain.steps, values[1:], strict=True):
        # Draw both choices every step, so p_alt does not shift the slip pattern.
        slip = rng.random() < style.p_slip
        alt = rng.random() < style.p_alt
        wrong = (r + rng.randrange(1, m)) % m  # never equal to r
        if slip:
            parts.append(f"{a}{op}{b}={wrong},{_check(a, op, b, wrong, m)};{WAIT},")
        parts.append(f"{a}{op}{b}={r},{_check(a, op, b, r, m)};")
        if alt:
            parts.append(f"{ALTERNATIVELY}{_alternative(a, op, b, m)};")
    return "".join(parts) + answer_text(chain.answer)


# -- reading a trace back ------------------------------------------------------

_EQ = re.compile(r"(\d+)([-+*])(\d+)=(\d+)")
_ANSWER = re.compile(re.escape(BOXED) + r"(\d+)\}")


@dataclass(frozen=True)
class Audit:
    """What a trace (written or generated) actually does, step by step.

    Attributes:
        equations (`int`): ``x op y = z`` statements found.
        false_equations (`int`): of those, arithmetically wrong mod ``m``.
        waits (`int`): "Wait" markers.
        earned_waits (`int`): "Wait" right after a failed check (the
            block before it stated a wrong step).
        alternatives (`int`): "Alternatively," markers.
        agreeing_alternatives (`int`): alternatives whose last equation
            reaches the value of the step before them.
        answer (`int | None`): the boxed answer, ``None`` if there is none.
    """

    equations: int
    false_equations: int
    waits: int
    earned_waits: int
    alternatives: int
    agreeing_alternatives: int
    answer: int | None


def audit(text: str, modulus: int = 10) -> Audit:
    """Read a trace's blocks (separated by ``;``) and check every claim in it.

    A block's first equation is its step; the block is "failed" when the step
    is arithmetically wrong. A "Wait" counts as earned when the block before
    it failed. Tolerant of malformed model text: unparseable pieces are skipped.
    """
    blocks = text.split(";")
    equations = false_equations = waits = earned = alts = agreeing = 0
    prev_failed = False
    prev_value: int | None = None
    for block in blocks:
        eqs = [(int(x), int(y), int(z), op) for x, op, y, z in _EQ.findall(block)]
        equations += len(eqs)
        false_equations += sum(apply(op, x, y, modulus) != z for x, y, z, op in eqs)
        if block.startswith(WAIT):
            waits += 1
            earned += prev_failed
        if block.startswith(ALTERNATIVELY):
            alts += 1
            agreeing += bool(eqs) and eqs[-1][2] == prev_value
            continue  # an alternative is not a step: keep the step it follows
        if eqs:
            x, y, z, op = eqs[0]
            prev_failed = apply(op, x, y, modulus) != z
            prev_value = z
    found = _ANSWER.findall(text)
    return Audit(
        equations=equations,
        false_equations=false_equations,
        waits=waits,
        earned_waits=earned,
        alternatives=alts,
        agreeing_alternatives=agreeing,
        answer=int(found[-1]) if found else None,
    )
