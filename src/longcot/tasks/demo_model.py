"""The CPU demo's tokenizer and model, built locally from nothing.

:func:`build_demo_model` writes a folder that ``AutoTokenizer`` and
``AutoModelForCausalLM.from_pretrained`` load as they are, so
``longcot.generate``'s ``hf`` backend and TRL's ``SFTTrainer`` use it
unchanged:

- **Tokenizer**: one token per character (printable ASCII, newline, tab) plus
  a few whole words: ``Wait``, ``Alternatively,`` and ``\\boxed{`` (from
  :data:`longcot.tasks.writers.WORD_TOKENS`) and the ChatML role names. A
  ``tokenizers`` WordLevel model behind a regex split that tries the words
  first, with a ``Fuse`` decoder so decoding concatenates without spaces.
  It is saved as ``TokenizersBackend`` (the class ``PreTrainedTokenizerFast``
  is in transformers 5), which loads ``tokenizer.json`` as written; a
  model-specific class would rebuild its own pipeline around the vocabulary
  (the DESIGN §5 trap with ``Qwen2Tokenizer``). Specials as in Qwen2/SmolLM2:
  ``<|im_end|>`` is eos and ends the assistant turn, ``<|endoftext|>`` pads.
  ``<think>``/``</think>`` are single, non-special tokens as in
  :mod:`longcot.tasks.tiny`, so reasoning-block prompts encode too. The chat
  template is ChatML with ``{% generation %}`` around each assistant reply
  and its ``<|im_end|>``, so TRL's ``assistant_only_loss`` masks the rest.
- **Model**: a randomly initialised ``LlamaForCausalLM`` (no biases, SwiGLU,
  RoPE, tied embeddings). Defaults: d = 64, 4 layers, 4 heads, MLP 176,
  0.21 M parameters: the size of DESIGN §5 study 2's GPT (d = 64, 4 layers,
  4 heads, 0.21 M), which learned the task; SwiGLU's three matrices at
  176 ≈ 2.75 d match a GELU MLP's two at 4 d.

Byte-identical for a fixed seed (weights seeded inside ``fork_rng``;
``tokenizer.json`` has no randomness).

**Training settings** (:data:`DEMO_SFT`), measured with
``benchmarks/demo_feasibility.py`` on this 2-core machine: a plain torch loop,
one thread, seconds of CPU spent in training steps, 500 held-out ``arith``
problems, greedy and sampled (T = 1, 2 samples each):

- long CoT, 3,000 steps of 8 sequences, lr 1.5e-3, cosine: **154 s**, greedy
  99.9 % (99.6–100, 5 seeds), sampled 70.7 % (66.6–77.5): high accuracy
  with RL headroom, which comes from the 20 % injected slips that sampling
  reproduces and the checks do not always catch (DESIGN §5 study 2: 100 %,
  81 %, 180 s on a hand-written GPT).
- short CoT, 2,500 steps of 8, lr 2e-3, cosine: **77 s**, greedy 88.9 %
  (70.8–100, 5 seeds), sampled 82.7 % (57.3–99.9) (study 2: 90 %, 77 %, 45 s).

Why these:

- **Small batches.** At a fixed number of sequences the model learns far
  faster in more, smaller steps, and a step's cost is nearly proportional to
  its tokens, so batch 8 wins per CPU-second: long CoT reached 93 % greedy
  after 800 steps of 64 (51 k sequences), 99.7 % after 1,200 of 32 (38 k),
  98.4–100 % after 1,800 of 16 (29 k, 147 s) and 99.6–100 % after 3,000 of 8
  (24 k, 154 s). A higher lr did not buy speed: batch 64 at 5e-3 stayed at
  12 % through 600 steps, batch 16 at 3e-3 reached 32 % in 1,500 short-CoT steps.
- **Fixed steps with margin.** Learning is a phase transition: the loss
  plateaus while accuracy sits at 10–20 % (a model stopped there copies the
  operands' digits but writes ``+`` for nearly every operator and misses the
  mod-10 table), then accuracy jumps to > 90 % within 250–500 steps. Where the jump
  comes varies with the seed and even the schedule's length: long CoT at
  batch 8 jumped between steps 1,500 and 2,500 over 5 seeds, and seed 0 of
  two 2,500-step schedules had not jumped by their end (17 % and 42 %), hence
  3,000. Short CoT is less regular: after 2,500 steps 2 of 5 seeds are at
  ≥ 99.8 % and 2 below 85 %; more steps push the lucky seeds to 100 % sampled, which
  leaves RL nothing to do.
- **Tried, no better**: weight decay 0.1 (33 % vs 18 % at a seed's 1,250-step
  mark, within seed noise) or 1.0 (12 %); RoPE base 100 instead of 10,000;
  a warm-up–stable–decay schedule (long seed 0 still stuck; short 73–93 % vs
  70–99 %); GPT-2 instead of Llama (1.5× slower per step); ``torch.compile``
  (20 % faster per step after 51 s of compiling); bfloat16 autocast (2.5×
  slower on this CPU).
- **Speed**: 0.052 s of CPU per long step of 8 (~14 k tokens/s), 0.030 s
  per short step; the Llama runs its matmuls near the core's fp32 peak, the
  rest is elementwise ops and attention over ~90-token sequences. TRL's
  ``SFTTrainer`` (1.16, which also computes entropy and token accuracy at
  every step) took 1.4–1.8× the plain loop's CPU per step on the same
  batches (1.5× long, 1.4× short on an otherwise idle machine, up to 1.8×
  on a busy one): budget ~1.6× these times for ``longcot sft`` on it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from longcot.constants import THINK_MARKERS
from longcot.tasks.tiny import ENDOFTEXT, IM_END, IM_START, save_random_model
from longcot.tasks.writers import WORD_TOKENS

UNK = "<unk>"
SPECIAL_TOKENS: tuple[str, ...] = (ENDOFTEXT, IM_START, IM_END, UNK)
ROLE_TOKENS: tuple[str, ...] = ("system", "user", "assistant")
# Printable ASCII plus newline and tab: any prompt or trace in plain English
# and arithmetic encodes without <unk>.
CHARACTERS: tuple[str, ...] = ("\n", "\t", *(chr(c) for c in range(32, 127)))

# ChatML as in Qwen2/SmolLM2, with TRL's {% generation %} markers: the
# assistant's reply and its <|im_end|> (which the model must learn to emit)
# are the trained tokens; the role header and the newline after are not.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\\n' }}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{{ '\\n' }}"
    "{% else %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@dataclass(frozen=True)
class DemoModelSpec:
    """Shape of the demo model. Defaults: DESIGN §5 study 2's size, as a Llama.

    Attributes:
        hidden (`int`, defaults to `64`): model width d, divisible by ``heads``.
        layers (`int`, defaults to `4`): decoder layers.
        heads (`int`, defaults to `4`): attention heads (head dim 16); no
            grouped-query attention at this size.
        intermediate (`int`, defaults to `176`): SwiGLU width.
        max_positions (`int`, defaults to `512`): RoPE context; long traces
            stay under 200 tokens with their prompt.
        seed (`int`, defaults to `0`): seeds the initial weights.
    """

    hidden: int = 64
    layers: int = 4
    heads: int = 4
    intermediate: int = 176
    max_positions: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("hidden", "layers", "heads", "intermediate", "max_positions"):
            if getattr(self, name) < 1:
                raise ValueError(f"DemoModelSpec.{name}={getattr(self, name)}: must be >= 1")
        if self.hidden % self.heads:
            raise ValueError(
                f"DemoModelSpec: hidden={self.hidden} must be divisible by heads={self.heads}"
            )


@dataclass(frozen=True)
class SFTSettings:
    """Plain SFT settings the demo model was measured to learn the task with.

    See the module docstring for the measurements behind :data:`DEMO_SFT`.

    Attributes:
        steps (`int`): optimiser steps. Fixed steps, not seconds: learning
            is a sharp phase transition whose timing varies with the seed.
        batch (`int`): sequences (prompt + reply) per step, length-bucketed.
        lr (`float`): peak learning rate; AdamW, betas (0.9, 0.95), no weight decay.
        warmup (`float`, defaults to `0.05`): share of the steps with linear warm-up.
        decay (`float`, defaults to `0.95`): share of the steps, at the end, over
            which the lr follows a cosine down to ``min_lr_ratio × lr``. The
            default, ``1 − warmup``, is a plain cosine after the warm-up; a
            smaller share holds the lr constant in between (transformers'
            ``warmup_stable_decay``), which did not help here.
        min_lr_ratio (`float`, defaults to `0.1`): where the decay ends, as a share of ``lr``.
        grad_clip (`float`, defaults to `1.0`): gradient-norm clip.
    """

    steps: int
    batch: int
    lr: float
    warmup: float = 0.05
    decay: float = 0.95
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0

    def lr_at(self, step: int) -> float:
        """The learning rate of 0-based ``step``."""
        warmup = max(1, round(self.warmup * self.steps))
        if step < warmup:
            return self.lr * (step + 1) / warmup
        decay_start = self.steps - max(1, round(self.decay * self.steps))
        if step < decay_start:
            return self.lr
        progress = (step - decay_start) / max(1, self.steps - 1 - decay_start)
        floor = self.min_lr_ratio
        return self.lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1 or not self.lr > 0:
            raise ValueError(f"{self}: steps and batch must be >= 1 and lr > 0")
        if not (0 <= self.warmup < 1 and 0 < self.decay <= 1 - self.warmup):
            raise ValueError(f"{self}: need 0 <= warmup < 1 and 0 < decay <= 1 - warmup")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"{self}: min_lr_ratio must be in [0, 1]")


DEMO_SFT: dict[str, SFTSettings] = {
    "long": SFTSettings(steps=3000, batch=8, lr=1.5e-3),
    "short": SFTSettings(steps=2500, batch=8, lr=2e-3),
}
"""Trace style -> SFT settings for the default :class:`DemoModelSpec` on the
default ``arith`` task (measured in ``benchmarks/demo_feasibility.py``)."""


def build_demo_tokenizer(words: tuple[str, ...] = WORD_TOKENS):
    """The demo tokenizer (a transformers fast tokenizer): characters plus ``words`` whole.

    Token ids: the 4 specials, the 2 reasoning markers, ``words``, the role
    names, then the characters, in that order.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    whole = tuple(dict.fromkeys((*words, *ROLE_TOKENS)))
    if any(len(w) < 2 for w in whole):
        raise ValueError(f"words={words!r}: whole-word tokens need at least two characters")
    ordered = (*SPECIAL_TOKENS, *THINK_MARKERS, *whole, *CHARACTERS)
    vocab = {token: i for i, token in enumerate(ordered)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    # Longest words first, so that one word that prefixes another cannot hide it.
    alternation = "|".join(re.escape(w) for w in sorted(whole, key=len, reverse=True))
    tok.pre_tokenizer = pre_tokenizers.Split(
        Regex(f"{alternation}|[\\s\\S]"), behavior="isolated", invert=False
    )
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    # Added but not special (as in tiny.py and Qwen3): decoding with
    # skip_special_tokens=True keeps them, so the verifier still sees them.
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_MARKERS])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        # A distinct pad token: padding with eos would hide real ends of sequence.
        pad_token=ENDOFTEXT,
        unk_token=UNK,
        extra_special_tokens=[IM_START],
        chat_template=CHAT_TEMPLATE,
        model_max_length=DemoModelSpec.max_positions,
    )


def build_demo_model(out_dir: str | Path, spec: DemoModelSpec | None = None) -> Path:
    """Write the demo tokenizer and a random ``LlamaForCausalLM`` of shape ``spec`` to ``out_dir``.

    Args:
        out_dir: `str` or `Path`, created if missing; existing files are overwritten.
        spec: `DemoModelSpec`, defaults to ``DemoModelSpec()`` (0.21 M parameters).

    Returns:
        `Path` of the folder.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    spec = spec or DemoModelSpec()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_demo_tokenizer()
    tokenizer.model_max_length = spec.max_positions
    tokenizer.save_pretrained(out)
    eos_id = tokenizer.convert_tokens_to_ids(IM_END)
    pad_id = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    save_random_model(
        out,
        LlamaConfig,
        LlamaForCausalLM,
        seed=spec.seed,
        eos_id=eos_id,
        pad_id=pad_id,
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden,
        intermediate_size=spec.intermediate,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.heads,
        max_position_embeddings=spec.max_positions,
    )
    return out
