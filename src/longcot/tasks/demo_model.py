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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from longcot.constants import THINK_MARKERS
from longcot.tasks.tiny import ENDOFTEXT, IM_END, IM_START, _quiet_progress_bars
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
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    spec = spec or DemoModelSpec()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_demo_tokenizer()
    tokenizer.model_max_length = spec.max_positions
    tokenizer.save_pretrained(out)
    eos_id = tokenizer.convert_tokens_to_ids(IM_END)
    pad_id = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden,
        intermediate_size=spec.intermediate,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.heads,
        max_position_embeddings=spec.max_positions,
        tie_word_embeddings=True,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        bos_token_id=None,
        dtype="float32",
    )
    # fork_rng: seeding here must not change the caller's global RNG stream.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=[eos_id, pad_id], pad_token_id=pad_id, bos_token_id=None
    )
    with _quiet_progress_bars():
        model.save_pretrained(out)
    return out
