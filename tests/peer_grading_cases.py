"""Peers' own grading test cases, transcribed with their expected values.

Each row was written by hand after reading the named peer test file; the
expected value is the peer's (``True``: the peer grades the response correct).
Rows cover the kinds of issue 12: bare answers, free-form finals, several
boxes, choice phrasings, other languages, relations and equations,
conventions (matrices, punctuation, units, ``.4``, mixed numbers) and Python
syntax. Rows that test only a peer's reference-side parsing (a gold written as
prose, "(D) Alina") are left out: longcot's reference is an answer.

``options`` carries a grading option when the peer's function has a format
rule that longcot expresses as an option, never otherwise:

- TRL's ``reasoning_accuracy_reward`` grades only after ``</think>``:
  ``require_think_close=True``;
- SkyThought's MMLU handler reads only "the answer is ...", and Math-Verify's
  inline ``$…$`` spans never cross a line: ``extract="strict"``, the mode
  for such format incentives.

Left out on purpose: rLLM's ``RewardMathFn`` rows "The answer is 4." (no
``</think>``) and "<think>…</think> The answer is 4." (no box), whose
expected 0 is rLLM's box-only format rule; longcot's strict mode also
accepts "the answer is", so no longcot option mirrors it.

Used by tests/test_verify_peer_cases.py and benchmarks/verify_peer_agreement.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PeerCase:
    source: str  # "repo path" of the peer test file
    kind: str
    gold: Any
    response: str
    expected: bool  # the peer's verdict: True = correct
    task: str = "math"
    options: dict[str, Any] = field(default_factory=dict)


MV = "huggingface/Math-Verify tests/test_all.py"
MV_MIXED = "huggingface/Math-Verify tests/test_mixed_number_extraction.py"
LE = "huggingface/lighteval tests/unit/metrics/test_extractive_match.py"
NS = "NVIDIA/NeMo-Skills tests/test_math_equal.py"
AR = "inclusionAI/AReaL areal/tests/test_math_verify_reward.py"
TRL = "huggingface/trl tests/test_rewards.py"
VERL = "volcengine/verl tests/interactions/test_gsm8k_interaction.py"
NRL = "NVIDIA/NeMo-RL tests/unit/environments/test_math_environment.py"
RLLM = "rllm-org/rllm tests/rewards/test_math_reward.py"
SKY_PRO = "NovaSky-AI/SkyThought tests/evals/tasks/test_mmlu_pro.py"
SKY = "NovaSky-AI/SkyThought tests/evals/tasks/test_mmlu.py"


def _rows(source: str, kind: str, rows, **extra) -> list[PeerCase]:
    return [PeerCase(source, kind, g, r, e, **extra) for g, r, e in rows]


def _both_ways(source: str, kind: str, pairs, expected: bool) -> list[PeerCase]:
    # NeMo-Skills' math_equal is symmetric and its tests check both orders.
    out = []
    for a, b in pairs:
        out.append(PeerCase(source, kind, a, str(b), expected))
        out.append(PeerCase(source, kind, b, str(a), expected))
    return out


CASES: list[PeerCase] = [
    # --- Math-Verify: numbers written alone (test_number_extraction) -------
    *_rows(
        MV,
        "bare answer",
        [
            ("-5", "-5", True),
            ("7425000", "7,425,000", True),
            ("1000", "1 000", True),
            ("1000", "1000.0", True),
            ("1000.0", "1,000.0", True),
            ("1000.99", "1000,99", True),  # decimal comma
            ("1,22", "1.22", True),  # decimal comma in the reference
            ("2.74", "Soucis : 2,74 $ a..", True),
            ("0.4", ".4", True),
            ("1000.99", "1,000.99", True),
            ("1000.99", "$1,000.99", True),
            ("1000.99", "1,000.99$", True),
            ("1000.99", "the number is not 10 which is 1,000.99€", True),
            ("1000.99", "so the number is 10 which is 1,000.99m²", True),
            ("1000.99", "not it's not 10 it's 1,000.99m²", True),
            ("0,111", "0.111", True),
            ("2", "AZYUK2A", False),  # no number of its own
            ("10/9", "\\frac{10}{9}", True),
            ("-10/9", "-\\frac{10}{9}", True),
            ("[0,1)", "$[0,1)$", True),
            ("[0,9)", "$[0,1)$", False),
            ("(0,9)", "$[0,9)$", False),
            ("1", "$-[0,1)$", False),
        ],
    ),
    # --- Math-Verify: LaTeX delimiters after "Answer" (test_latex_notation) --
    *_rows(
        MV,
        "free-form final",
        [
            ("9", "Answer \\[ 9 \\]", True),
            ("9", "Answer $ 9 $", True),
            ("9", "Answer $$ 9 $$", True),
            ("9", "Answer \\( 9 \\)", True),
            ("10", "Answer \\( (9+1) \\)", True),
            ("9", "Answer \\[ \n 9 \n \\]", True),
            ("9", "Answer $$ \n 9 \n $$", True),
            ("10/9", "Answer $ \\frac{1}{2} \\$ = \\frac{10}{9} $", True),
            ("1/3", "$\\frac13 $", True),
            ("1", "$\\frac3{3} $", True),
            ("\\sqrt{3}", "$\\sqrt3 $", True),
            ("1/3", "$\\cfrac{1}{3} $", True),
            ("1/3", "$\\dfrac{1}{3} $", True),
            ("1/3", "$\\tfrac{1}{3} $", True),
            ("1/3", "$ 1/3 $", True),
            ("1/3", "$\\left( \\frac{1}{3} \\right)$", True),
            ("1/3", "$\\frac{1}{3} \\text{meters}$", True),
            ("1/3", "$\\frac{1}{3} \\textbf{meters}$", True),
            ("1/3", "$k = \\frac{1}{3}$", True),
            ("34", "Final Answer: The largest $n$ is 34.", True),
        ],
    ),
    # An inline span that crosses lines is not a span for Math-Verify's LaTeX
    # extraction (its test runs LaTeX-only): a format rule, so strict mode.
    *_rows(
        MV,
        "free-form final",
        [
            ("9", "Answer $ \n 9 \n $", False),
            ("9", "Answer \\( \n 9 \n \\)", False),
        ],
        options={"extract": "strict"},
    ),
    # --- Math-Verify: units and percent after the number --------------------
    *_rows(
        MV,
        "units",
        [
            ("28\\%", "28 percent", True),
            ("28\\%", "28 pct", True),
            ("28\\%", "28 %", True),
            ("28\\%", "$28$ %", True),
            ("28\\%", "$28$ percent", True),
            ("28\\%", "$\\boxed{28}$ pct", True),
            ("28\\%", "$\\boxed{28 pct}", True),  # marked "failed" in Math-Verify's table
            ("28\\%", "$\\boxed{28 percent}", True),  # marked "failed" there too
            ("125", "The distance is $\\boxed{125\\textnormal{ miles}}.$", True),
        ],
    ),
    # --- Math-Verify: relations (test_relations_math) -----------------------
    *_rows(
        MV,
        "relation",
        [
            ("x >= 5", "Therefore $x \\geq 5$ is the solution.", True),
            ("x < 3", "We find that $x \\lt 3$.", True),
            ("x \\leq 2", "Thus $x <= 2$ is our answer.", True),
            ("x > 5", "Therefore $x \\gt 5$ is the solution.", True),
            ("x != 3", "We find that $x \\neq 3$.", True),
            ("x > 5", "Therefore $x < 5$ is the solution.", False),
            ("x \\geq 5", "The solution is $x \\leq 5$", False),
            ("x \\neq 5", "The solution is $x != 5$", True),
            ("x \\leq 5", "$5 \\geq x$", True),
            ("x \\geq 5", "$5 \\leq x$", True),
            ("x < 1", "$-x > -1$", True),
            ("x < 1", "$x > -1$", False),
            ("x <= 1", "$-x >= -1$", True),
        ],
    ),
    # --- Math-Verify: equations (test_relations_math) -----------------------
    *_rows(
        MV,
        "equation",
        [
            ("x = 11", "$x = 5+5+1 = 7 =11$", True),
            ("7 = 11a+c", "$11a+c$", False),
            ("x = 1/3", "$x = 5+5+1 = 1/3 \\approx 11$", True),
            ("11", "$x=11$", True),
            ("11", "$x\\approx11$", True),
            ("1/3", "$x=1/3\\approx1.3$", True),
            ("a +3z = 0", "$0$", False),
            ("2x + z = 1", "$1$", False),
            ("a^2 + b = 0", "$0$", False),
            ("k=1", "$1$", True),
            ("1", "$k=1$", True),
            ("z = 1 + 1 = 2", "$z = 3+3 = 2$", True),
            ("2x+4y-3=0", "$y=-\\frac{1}{2}x+\\frac{3}{4}$", True),
            ("x^2/4 + y^2/3 = 1", "$x^2/16 + y^2/12 = 1/4$", True),
        ],
    ),
    # --- Math-Verify: matrices in free text (test_matrix_extraction) --------
    *_rows(
        MV,
        "matrix",
        [
            (
                "\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}",
                "The identity matrix is $ \\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix} $.",
                True,
            ),
            (
                "\\begin{bmatrix}0 & 0 \\\\0 & 0\\end{bmatrix}",
                "Here is a zero matrix: $ \\begin{pmatrix}0 & 0 \\\\0 & 0\\end{pmatrix} $",
                True,
            ),
            (
                "\\begin{pmatrix}1 & 2 \\\\3 & 4\\end{pmatrix}",
                "Special matrix: $ \\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right] $",
                True,
            ),
            (
                "\\begin{pmatrix}\\frac{1}{2} & \\frac{3}{4} \\\\ \\frac{5}{6} & \\frac{7}{8}\\end{pmatrix}",
                "Matrix with fractions: $ \\begin{pmatrix}\\frac{1}{2} & \\frac{3}{4} \\\\ "
                "\\frac{5}{6} & \\frac{7}{8}\\end{pmatrix} $",
                True,
            ),
            (
                "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}",
                "The matrix is $\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}$",
                False,
            ),
        ],
    ),
    # --- Math-Verify: several boxes (test_math_extraction_additional_cases) -
    *_rows(MV, "several boxes", [("\\boxed{1}\\boxed{2}", "$\\boxed{1,2}$", True)]),
    # --- Math-Verify: mixed numbers ------------------------------------------
    *_rows(
        MV_MIXED,
        "mixed number",
        [
            ("40/9", "4 4/9", True),
            ("-40/9", "-4 4/9", True),
            ("71/6", "11 5/6", True),
            ("71/6", "+11 5/6", True),
            ("40/9", "The answer is 4 4/9.", True),
            ("4", "The answer is 4 4/9.", False),
            ("4/9", "0 4/9", True),
            ("4", "4 0/9", True),
            ("4", "4 4/0", False),
            ("0", "4 4/0", False),
            ("103/9", "11/10 4/9", False),
            ("103/9", "11.0 4/9", False),
            ("103/9", "11 - 4/9", False),
            ("40/900", "4 4/9%", True),
            ("40/9", "4 + 4/9", True),
            ("4/9", "There are 4 objects and 4/9 remain.", True),
        ],
    ),
    # --- lighteval: choice letters (test_extraction_abc, multilingual) ------
    *_rows(
        LE,
        "choice",
        [
            ("C", "thinking about it I think the correct answer is C", True),
            (
                "B",
                "Let's think step by step. It's not A because it doesn't make sense, "
                "therefore I think it's B",
                True,
            ),
            ("D", "The answer is for sure D, it can't be A or B", True),
            ("D", "The answer: D, it doesn't make sense for it to be A or B", True),
            ("D", "D. it can't be A or B", True),
            ("C", "réponse est C non A", True),
            ("B", "B。 不是 A", True),
            ("B", "B。不是 A", True),
            ("B", "B不是 A", True),
        ],
        task="choice",
    ),
    # --- lighteval: final numbers in other languages ------------------------
    *_rows(
        LE,
        "other language",
        [
            (
                "13",
                "首先，我们知道最初有3只鸟和4只鹳鸟坐在篱笆上，所以总共有3 + 4 = 7只鸟和鹳鸟。 "
                "然后，又有6只鹳鸟来加入它们，所以鹳鸟的总数变成4 + 6 = 10只。 因此，现在篱笆上总共有3只鸟"
                "（假设鸟的数量没有变化）和10只鹳鸟，所以一共有3 + 10 = 13只鸟和鹳鸟。",
                True,
            ),
            (
                "3",
                "瑞秋的数学作业有5页，阅读作业有2页。 要找出数学作业比阅读作业多多少页，我们可以简单地进行减法运算："
                " 5页（数学作业） - 2页（阅读作业） = 3页 因此，瑞秋的数学作业比阅读作业多 **3页**。",
                True,
            ),
            (
                "858",
                "2. **计算总糖果数量**：如果每个袋子里有33颗糖果，那么26个袋子里的糖果总数为：33颗/袋 * 26袋 = "
                "858颗。 因此，弗兰克一共有**858颗**糖果。 ",
                True,
            ),
            (
                "192",
                "66公斤（当前体重） + 126公斤（减掉的体重） = 192公斤 因此，杰西开始慢跑前的体重是192公斤。 ",
                True,
            ),
            (
                "8722",
                "89件T恤 * 98美元/件 = 8722美元 所以，他们从阿肯色州比赛中卖出的T恤赚了8722美元。 ",
                True,
            ),
            (
                "99",
                "1. **确定给所有男孩的弹珠数量**：11个男孩 * 9颗弹珠/男孩 = 99颗弹珠 2. **结论**："
                "Haley总共有99颗弹珠。 ",
                True,
            ),
            (
                "92",
                "1. أولاً، نقوم بضرب 79 في 2: 79 * 2 = 158 2. ثم نطرح 66 من النتيجة السابقة: 158 - 66 = 92 "
                "لذا، ناتج العملية الحسابية 79 * 2 - 66 هو **92**.",
                True,
            ),
            (
                "66",
                "1. أولاً، نقوم بضرب 55 في 3: 55 * 3 = 165 2. ثم نطرح 99 من النتيجة السابقة: 165 - 99 = 66 "
                "لذا، ناتج العملية الحسابية 55 * 3 - 99 هو **66**.",
                True,
            ),
            (
                "25%",
                "Cela signifie qu'il y a 1 chance sur 4 (25%) que Jerry n'obtienne pas un nombre pair deux "
                "fois de suite. En conclusion, la probabilité que Jerry obtienne un nombre supérieur à 3 "
                "plutôt qu'un nombre pair deux fois de suite est de **25%**.",
                True,
            ),
            ("105", "réponse est (35 + 70 = 105).", True),
            ("79", "donc 353 g - 79 g = 274 g. Donc, il a déjà 79 g de cire.", True),
            ("220", "Réponse: Janeth aura encore 220 $ à payer d'ici 12 mois.", True),
            (
                "70",
                "La réduction est de 100 * 0,30 = 30 $. Le coût final est donc de 100 - 30 = 70",
                True,
            ),
            (
                "2/5",
                "} \\times \\frac{1}{3} = \\frac{6}{15} = \\frac{2}{5} ] 所以，每份应该是 (\\frac{2}{5}) 吨。 "
                "答案：每份应该是 (\\frac{2}{5}) 吨。",
                True,
            ),
            ("4000", " 地块面积 = 72000 / 18 = 4000千克", True),
            (
                "300",
                "来计算水池中水的流出时间：12000升/40升/分钟=300分钟。因此，水池中水将在300分钟内被放完。",
                True,
            ),
            ("13/28", "计划的比例为13/28", True),
            ("8/46", "\\frac{4}{23}", True),
            ("\\frac{9.5}{3.14159}", "$\\frac{9.5}{3.14159} \\approx 3.01$", True),
            (
                "67",
                "3. कुल संख्या गणना: मूल संख्या और जोड़ी गई संख्या को जोड़ने पर दुकान में अब कितनी कमीजें हैं ज्ञात कर "
                "सकते हैं। इसलिए, गणना करें: [ 56 + 11 = 67 ] इसलिए, दुकान में अब 67 कमीजें हैं। ",
                True,
            ),
            ("0", "So the os then when we 9/3 we get 8 so the answer is 0", True),
            ("1", "so $x+y = 1000$ therefore answer is $1$", True),
            ("1", "how many $? just about 1$", True),
        ],
    ),
    # --- lighteval: several boxes (test_math_numina_cases) ------------------
    *_rows(
        LE,
        "several boxes",
        [
            (
                "(2,1),(1,2),(-1,-20),(-20,-1)",
                "solutions are:\n\n\\[\n\\boxed{(1, 2)}, \\boxed{(2, 1)}, \\boxed{(-1, -20)}, "
                "\\boxed{(-20, -1)}\n\\]",
                True,
            ),
            ("\\(\\boxed{1}\\) and \\(\\boxed{-2}\\).", "$\\boxed{-2,1}$.", True),
            (
                "\\boxed{1} and and and or thus but \\boxed{2} and \\boxed{3}",
                "$\\boxed{2,3}$",
                True,
            ),
            (
                "\\boxed{1} and and and or thus but \\boxed{2} and \\boxed{3}",
                "$\\boxed{1,2,3}$",
                False,
            ),
            ("\\(\\boxed{6 \\text{ and } 8}\\)", "$\\boxed{6,8}$", True),
        ],
    ),
    # --- NeMo-Skills: bare answers, both orders (math_equal) ----------------
    *_both_ways(
        NS,
        "bare answer",
        [
            (5, 5),
            (5, 5.0),
            ("1/2", 0.5),
            ("\\frac{1}{2}", 0.5),
            ("918\\frac{1}{2}", 918.5),
            ("x^2+2x+1", "x^2 + 2*x + 1"),
            ("x^2+2x+1", "x^2 + 2*x - (-1)"),
            ("y = x^2+2x+1", "2x+ 1+x^2"),
            ("E", "\\mathrm{E}"),
            ("A", "\\textbf{A}"),
            ("f'", "f'"),
            ("185", "185\\"),
            (".185", "0.185"),
            ("\\frac {1}{2}", 0.5),
            ("17\\text{ any text}", "17"),
            ("\\$10", "10"),
            ("10%", "10"),
            ("10\\%", "10"),
            (5 / 2, "\\frac{5}{2}"),
            ("\\frac{1}{3}", "\\dfrac{1}{3}"),
            ("(r+5)(r+5)", "(r+5)^2"),
            ("\\frac{\\sqrt{3}}{3}", "\\frac{\\sqrt{3}}{3} \\approx 0.577"),
            (
                "\\begin{pmatrix}0&0&0\\\\0&1&0\\\\0&0&1\\end{pmatrix}",
                "\\begin{bmatrix} 0 & 0 & 0 \\\\ 0 & 1 & 0 \\\\ 0 & 0 & 1 \\end{bmatrix}",
            ),
        ],
        True,
    ),
    *_both_ways(
        NS,
        "bare answer",
        [
            (5, 5.001),
            ("x^2+2x+1", "x^3+2x+1"),
            ("odd", "\\text{oddd}"),
            ("E", "\\mathrm{E}*2"),
            ("\\sqrt{67},-\\sqrt{85}", "\\sqrt{67}"),
        ],
        False,
    ),
    # --- AReaL: GSM8K-style free-form finals --------------------------------
    *_rows(
        AR,
        "free-form final",
        [
            ("4", "The answer is 4", True),
            ("1/2", "The answer is 0.5", True),
            ("4", "Step 1: 2+2=4. \\boxed{4}", True),
            ("4", "The answer is 5", False),
            ("4", "", False),
            ("2", "$\\sqrt{4} = 2$", True),
            ("2^3", "The answer is 8", True),
            ("4", "The answer is $\\sqrt{16}$", True),
            ("5/6", "The answer is $\\frac{5}{6}$", True),
            ("-15", "-15", True),
            ("3", "x = 3", True),
            ("42", "Step 1: Calculate\nStep 2: Simplify\nFinal answer: 42", True),
            ("1000", "$10^3$", True),
            ("42", "42", True),
            ("999999999999999", "999999999999999", True),
            ("0.0000001", "0.0000001", True),
            ("12/3", "4", True),
            ("3/12", "4", False),
            ("5", "3+2", True),
            ("4", "x = 4", True),
            ("-1", "$e^{i\\pi} = -1$", True),
            ("1000", "$10^3 = 1000$", True),
            ("1000", "$1 \\times 10^3$", True),
            ("3", "$\\begin{vmatrix} 2 & 1 \\\\ 1 & 2 \\end{vmatrix} = 3$", True),
            ("2/3", "$\\frac{\\frac{1}{2}}{\\frac{3}{4}} = \\frac{2}{3}$", True),
            ("10", "$\\binom{5}{2} = 10$", True),
            ("1", "$\\sin\\left(\\frac{\\pi}{2}\\right) = 1$", True),
            ("1", "$\\lim_{x \\to 0} \\frac{\\sin x}{x} = 1$", True),
            ("3", "The result is $3$", True),
            ("2", "$\\left| 3 - 5 \\right| = 2$", True),
            ("2", "$17 \\bmod 5 = 2$", True),
            ("3", "$\\log_2(8) = 3$", True),
            ("\\boxed{0.066666793}", "\\boxed{0.0666668}", True),
            ("\\boxed{0.066793}", "\\boxed{0.067}", False),
            ("\\boxed{2.23}", "\\boxed{2.232}", False),
            ("\\boxed{2.232}", "\\boxed{2.23}", False),
        ],
    ),
    # --- TRL: accuracy_reward and reasoning_accuracy_reward -----------------
    *_rows(
        TRL,
        "reasoning block",
        [
            ("\\frac{63}{400}", "\\boxed{\\frac{63}{400}}", True),
            ("63/400", "\\boxed{\\frac{63}{400}}", True),
            ("\\frac{63}{400}", "\\boxed{\\frac{64}{400}}", False),
            ("6", "\\boxed{3}", False),
        ],
    ),
    *_rows(
        TRL,
        "reasoning block",
        [
            (
                "\\frac{63}{400}",
                "<think> Reasoning content </think> \\boxed{\\frac{63}{400}}",
                True,
            ),
            ("\\frac{63}{400}", "Reasoning content </think> \\boxed{\\frac{63}{400}}", True),
            (
                "\\frac{63}{400}",
                "<think> Reasoning content </think> \\boxed{\\frac{64}{400}}",
                False,
            ),
            ("\\boxed{42}", "<think> My answer is \\boxed{42} </think> Some other text.", False),
            (
                "\\boxed{42}",
                "<think> The answer is \\boxed{42} </think> Here's a wrong answer: \\boxed{43}.",
                False,
            ),
            ("\\frac{63}{400}", "<think> Incomplete reasoning without closing tag", False),
            (
                "\\frac{63}{400}",
                "Correct answer \\frac{63}{400} but completely missing reasoning content",
                False,
            ),
        ],
        options={"require_think_close": True},
    ),
    # --- verl: GSM8K "####" answers -----------------------------------------
    *_rows(VERL, "gsm8k", [("42", "#### 42", True), ("42", "#### 24", False)]),
    # --- NeMo-RL: boxed and unboxed finals ----------------------------------
    *_rows(
        NRL,
        "free-form final",
        [
            ("4", "2 + 2 = \\boxed{4}", True),
            ("\\boxed{12}", "3 * 4 = \\boxed{12}", True),
            ("\\boxed{5}", "10 - 5 = \\boxed{5}", True),
            ("4.0", "2 + 2 = \\boxed{\\frac{8}{2}}", True),
            ("\\boxed{12}", "3 * 4 = 13", False),
            ("3.33333333", "2 + 1.333 = \\boxed{\\frac{10}{3}}", True),
        ],
    ),
    # --- rLLM: RewardMathFn ---------------------------------------------------
    *_rows(
        RLLM,
        "free-form final",
        [
            ("4", "<think>2 + 2 = 4</think>\nThe answer is \\boxed{4}.", True),
            ("4", "<think>2 + 2 = 5</think>\nThe answer is \\boxed{5}.", False),
            (
                "x = 2, x = -3",
                "<think>Let me solve</think>\nThe answer is \\boxed{x = 2, x = -3}.",
                True,
            ),
            ("\\boxed{24}", "<think>Let me calculate</think>\nThe answer is \\boxed{24}.", True),
            ("3.14159", "<think>pi</think>\nThe answer is \\boxed{3.14159}.", True),
            ("1/2", "<think>simplify</think>\nThe answer is \\boxed{\\frac{1}{2}}.", True),
            ("7", "<think>...</think>\nThe answer is \\boxed{42}.", False),
            ("7", "<think>...</think>\nThe answer is \\boxed{}.", False),
            (0, "<think>...</think>\nThe answer is \\boxed{0}.", True),
            ("\\boxed{0}", "<think>...</think>\nThe answer is \\boxed{0}.", True),
        ],
    ),
    # --- SkyThought: MMLU / MMLU-Pro letters --------------------------------
    *_rows(
        SKY_PRO,
        "choice",
        [("B", "B) Pumps blood to the body", True), ("A", "I think it's B", False)],
        task="choice",
    ),
    *_rows(SKY, "choice", [("B", "The answer is B) Paris", True)], task="choice"),
    # SkyThought's MMLU handler reads only "the answer is ...": a bare "C" is
    # a format failure there, the format incentive of strict mode.
    *_rows(SKY, "choice", [("C", "C", False)], task="choice", options={"extract": "strict"}),
]
