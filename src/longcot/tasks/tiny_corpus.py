"""A small built-in, deterministic corpus of math text for training the tiny tokenizer.

Needs no files and no download: the tiny model must build on a fresh clone with
nothing beside it (tests, CI, the CPU demo). The text is synthetic but shaped
like MATH problems and solutions: English words from MATH, inline LaTeX
(``\\frac{}{}``, ``\\sqrt{}``, ``\\boxed{}``, matrices), numbers and the
reflection words of long chain-of-thought ("Wait", "Alternatively").

The word list is the ~600 most frequent words of the MATH training problems and
solutions (outside ``$...$`` and ``[asy]`` blocks), taken once and written here
so the corpus never depends on a data folder.
"""

from __future__ import annotations

import random

# Counted once over MATH train (7,500 problems): the 600 most frequent words.
_MATH_WORDS_TEXT = """
ab abc about above ac ad add added adding addition adjacent after again align aligned all along
also altitude always am among amount an and angle angles another answer any applying arc are
area areas arithmetic around arrange arrangements array as assume at average ax axis back ball
balls base bc bd be because becomes before begin being below between blue bob both bottom box
boxes but bx by calculate call can cannot card cards case cases cd center centered centimeters
cents check choices choose chosen circle circles circumference cis class cm coefficient
coefficients coins color column commas common complete completing complex compute condition
conditions cone congruent consecutive consider consists constant contain contains coordinate
coordinates corresponding cost could count cross cube cubes cubic cylinder day days decimal
define defined degree degrees denominator denote desired determine diagonal diagonals diagram
diameter dice die difference different digit digits direction discriminant distance distinct
divide divided divides dividing divisible division divisor divisors do does dollars domain
double down draw drawn each eight either elements ellipse end enter equal equality equals
equation equations equilateral equivalent evaluate even every exactly example expanding express
expressed expression face faces fact factor factoring factorization factors feet figure final
finally find first five following follows foot for form formed formula formulas four fourth
fraction fractions from function furthermore game games gcd geometric get give given gives
giving go graph greater greatest green half hand has have he heads height hence her here
hexagon his horizontal hour hours how however hyperbola hypotenuse if implies in inches
inclusive increasing inequality information inscribed inside integer integers intercept interior
intersect intersection intersects interval into inverse is isosceles it its just know large
larger largest last law least leaves left leg legs length lengths less let letter letters lie
lies like line lines list long look looking made make makes many marbles matrix maximum may mean
means measure measures median members meters middle midpoint miles minimum minutes modulo more
most much multiple multiples multiply multiplying must nearest need negative neither new next no
non nonnegative nonzero not notation note notice now number numbers numerator obtain occurs odd
of on once one ones only onto opposite or order ordered origin original other our out outcomes
over pair pairs parabola parallel parallelogram part particular parts passes people per percent
perfect perimeter perpendicular person pick pieces place plane players plugging pmatrix point
points polygon polynomial positive possibilities possible power powers prime primes probability
problem product projection property put pyramid pythagorean quadratic quadrilateral radical
radius random randomly range ratio rational re real recall rectangle rectangular red region
regular relatively remainder remaining represent representation respectively result rewrite
right roll rolls root roots row rows same satisfies satisfy second see segment segments selected
separated sequence series set setting seven shaded share she should show shown shows side sides
similar similarly simplest simplifies simplify simplifying simply since six slope small smaller
smallest so solution solutions solve solving some sphere square squares squaring standard start
starting steps students substitute substituting subtract subtracting such sum suppose surface
symmetry system table tabular take takes taking tangent team tells ten tens tenth term terms th
than that the their them then theorem there therefore these they third this those three through
thus time times to together top total trapezoid triangle triangles true try twice two unit units
up us use used using value values vector vectors vertex vertical vertices vieta vmatrix volume
want was way ways we well were what when where which while white who whole whose width will with
without words work works would write written xy year years yields you your yz zero
"""
MATH_WORDS = tuple(_MATH_WORDS_TEXT.split())

# The words long-CoT models use to reflect (DESIGN §3, "Reflection statistics").
REFLECTION_OPENERS = ("Wait,", "Alternatively,", "However,", "Let me recheck:", "Let me retry.")
OPENERS = ("Find", "Compute", "What is", "Let", "Suppose", "Evaluate", "Simplify", "If", "How many")
LATEX_SYMBOLS = (
    r"\pi", r"\cdot", r"\times", r"\le", r"\ge", r"\neq", r"\pm", r"\infty", r"\theta",
    r"\alpha", r"\beta", r"\omega", r"\circ", r"\dots", r"\equiv", r"\angle", r"\triangle",
)  # fmt: skip
LATEX_FUNCS = (r"\sin", r"\cos", r"\tan", r"\log", r"\ln", r"\gcd", r"\sqrt")
SUFFIXES = ("s", "es", "ed", "ing", "ly", "er", "est", "al", "ity", "ment", "ness", "ion")
VARIABLES = (*"abcnmxyzkpqr", "AB", "BC", "ABC")

# 2,000 lines (~40 K words) fill a 4,096-token vocabulary with min_frequency 2
# (1,500 already do; measured), generated in ~0.04 s and trained in ~0.2 s.
DEFAULT_LINES = 2000
CORPUS_SEED = 20250221


def _number(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.6:
        return str(rng.randint(0, 99))
    if kind < 0.85:
        return str(rng.randint(100, 99999))
    return f"{rng.randint(0, 99)}.{rng.randint(0, 999)}"


def _atom(rng: random.Random) -> str:
    return rng.choice(VARIABLES) if rng.random() < 0.5 else _number(rng)


def _expression(rng: random.Random, depth: int = 0) -> str:
    """One random LaTeX expression, nested at most two levels."""
    if depth >= 2:
        return _atom(rng)
    sub = _expression(rng, depth + 1)
    pick = rng.randrange(11)
    if pick == 0:
        return rf"\frac{{{sub}}}{{{_expression(rng, depth + 1)}}}"
    if pick == 1:
        return rf"\sqrt{{{sub}}}"
    if pick == 2:
        return f"{_atom(rng)}^{{{rng.randint(2, 12)}}}"
    if pick == 3:
        return rf"\left( {sub} \right)"
    if pick == 4:
        return f"{sub} {rng.choice('+-=<>')} {_expression(rng, depth + 1)}"
    if pick == 5:
        return f"{rng.choice(LATEX_FUNCS)} {sub}"
    if pick == 6:
        return f"{sub} {rng.choice(LATEX_SYMBOLS)} {_atom(rng)}"
    if pick == 7:
        return rf"\begin{{pmatrix}} {_atom(rng)} \\ {_atom(rng)} \end{{pmatrix}}"
    if pick == 8:
        return rf"\dfrac{{{_atom(rng)}}}{{{_atom(rng)}}}"
    if pick == 9:
        return rf"\text{{{rng.choice(MATH_WORDS)}}}"
    return f"{_atom(rng)}{rng.choice(VARIABLES)}"


def _word(rng: random.Random) -> str:
    """A MATH word, sometimes inflected or capitalised.

    Variants matter: BPE can only merge inside a pre-token, so 600 bare words
    cap a vocabulary near 2,900 tokens; inflections and capitals fill 4,096.
    """
    word = rng.choice(MATH_WORDS)
    roll = rng.random()
    if roll < 0.25:
        word += rng.choice(SUFFIXES)
    elif roll < 0.4:
        word = word.capitalize()
    elif roll < 0.45:
        word = f"({word})"
    return word


def _sentence(rng: random.Random) -> str:
    words = [_word(rng) for _ in range(rng.randint(4, 14))]
    for _ in range(rng.randint(0, 2)):
        words.insert(rng.randrange(len(words) + 1), f"${_expression(rng)}$")
    opener = rng.choice(OPENERS) if rng.random() < 0.5 else rng.choice(REFLECTION_OPENERS)
    if rng.random() < 0.3:
        # Capitalised words too: BPE learns " The" and " the" as different pieces.
        words[0] = words[0].capitalize()
    return f"{opener} {' '.join(words)}{rng.choice('.?.,:')}"


def corpus(lines: int = DEFAULT_LINES, seed: int = CORPUS_SEED) -> list[str]:
    """``lines`` deterministic lines of synthetic MATH-like text (same seed, same text)."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(lines):
        kind = rng.random()
        if kind < 0.7:
            out.append(" ".join(_sentence(rng) for _ in range(rng.randint(1, 3))))
        elif kind < 0.85:
            out.append(f"$$ {_expression(rng)} = {_expression(rng)} $$")
        else:
            # Solutions end in a boxed answer; long-CoT ones after "Final Answer".
            out.append(rf"The final answer is $\boxed{{{_expression(rng)}}}$.")
    return out
