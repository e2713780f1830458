"""Tiny local models: a locally trained tokenizer plus a random Qwen2, no download.

Tests, CI and the CPU demo need a real Hugging Face checkpoint that
``AutoTokenizer`` / ``AutoModelForCausalLM.from_pretrained(DIR)`` load, on
machines that cannot reach the hub. :func:`build_tiny_model` writes one in about
half a second: a byte-level BPE trained on :mod:`longcot.tasks.tiny_corpus` and
a randomly initialised ``Qwen2ForCausalLM`` (4.2 M parameters by default),
byte-identical for a fixed seed.

The tokenizer trap (DESIGN §5): because the config says ``qwen2``,
``AutoTokenizer`` loads the folder as ``Qwen2Tokenizer``, which takes only the
vocabulary and merges from ``tokenizer.json`` and rebuilds Qwen2's own NFC
normaliser and regex pre-tokenizer around them. A BPE trained with a plain
ByteLevel pre-tokenizer then encodes 483 of 500 MATH-500 solutions differently
from its own file. So the BPE here is trained with exactly Qwen2's pipeline,
and the saved file is written by ``Qwen2Tokenizer`` itself: the file and the
loaded tokenizer are the same pipeline by construction (and a test checks it).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from longcot.constants import THINK_MARKERS
from longcot.tasks.tiny_corpus import corpus

# Special tokens, in id order 0..2 (ids fixed by the trainer's special_tokens).
ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END)
# Reasoning markers (DESIGN §3). Added tokens but *not* special, as in Qwen3:
# decoding with skip_special_tokens=True must keep them, or the verifier could
# never find the end of a reasoning block in a response.
THINK_TOKENS = THINK_MARKERS

# Qwen2's pre-tokenizer regex, as in transformers' Qwen2Tokenizer (5.23):
# contractions, letter runs with one leading non-letter, single digits,
# punctuation runs, newlines, whitespace.
QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"""
    r"""| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# ChatML, as Qwen2/SmolLM2 instruct models use it.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def train_tokenizer(vocab: int = 4096):
    """A byte-level BPE (``tokenizers.Tokenizer``) trained with Qwen2's normaliser and pre-tokenizer.

    The vocabulary holds at most ``vocab`` entries (256 bytes + 3 specials +
    merges); the built-in corpus fills 4,096 but stops short of a much larger
    ``vocab`` (the embedding then keeps unused rows, which is harmless).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    if vocab < 256 + len(SPECIAL_TOKENS):
        raise ValueError(f"vocab={vocab}: must be >= 259 (256 byte tokens + 3 special tokens)")
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        # All 256 bytes, so any text encodes without an unknown token.
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer)
    return tok


def _hf_tokenizer(tok):
    """Wrap the trained BPE as a ``Qwen2Tokenizer`` with ChatML and the special tokens."""
    import json

    from tokenizers import AddedToken
    from transformers import Qwen2Tokenizer

    model = json.loads(tok.to_str())["model"]
    hf_tok = Qwen2Tokenizer(
        vocab=model["vocab"],
        merges=[tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]],
        unk_token=None,
        eos_token=IM_END,
        # A distinct pad token: padding with eos would hide real ends of sequence.
        pad_token=ENDOFTEXT,
        extra_special_tokens=[IM_START],
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )
    hf_tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_TOKENS])
    return hf_tok


def build_tiny_model(
    out_dir: str | Path,
    *,
    layers: int = 4,
    hidden: int = 256,
    vocab: int = 4096,
    seed: int = 0,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int | None = None,
    max_positions: int = 4096,
) -> Path:
    """Build a tiny random Qwen2 model and its tokenizer in ``out_dir``; return the folder.

    Args:
        out_dir: `str` or `Path`, created if missing; existing files are overwritten.
        layers: `int`, decoder layers, defaults to 4.
        hidden: `int`, hidden size, divisible by ``heads``, defaults to 256.
        vocab: `int`, tokenizer vocabulary (special and ``<think>`` tokens included)
            and embedding rows, defaults to 4,096.
        seed: `int`, seeds the weights (the tokenizer does not depend on it), defaults to 0.
        heads: `int`, attention heads, defaults to 4 (head dim 64).
        kv_heads: `int`, key/value heads, defaults to 2: grouped-query attention as
            in real Qwen2 models, so cache code paths are exercised.
        intermediate: `int`, MLP width, defaults to ``3 * hidden``.
        max_positions: `int`, RoPE context length, defaults to 4,096.

    Returns:
        `Path` of the folder. Default sizes give 4.2 M parameters (tied embeddings).

    Raises:
        ValueError: ``hidden`` not divisible by ``heads``, ``heads`` not divisible by
            ``kv_heads``, or ``vocab`` below 261 (256 bytes + 5 special tokens).
    """
    from transformers import Qwen2Config, Qwen2ForCausalLM

    if hidden % heads or heads % kv_heads:
        raise ValueError(
            f"hidden={hidden}, heads={heads}, kv_heads={kv_heads}: "
            "hidden must be divisible by heads, and heads by kv_heads"
        )
    min_vocab = 256 + len(SPECIAL_TOKENS) + len(THINK_TOKENS)
    if vocab < min_vocab:
        raise ValueError(f"vocab={vocab}: must be >= {min_vocab} (256 bytes + 5 special tokens)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    # The two <think> tokens are added after training: train to vocab - 2 so that
    # the tokenizer and the embedding both hold exactly ``vocab`` entries.
    tokenizer = _hf_tokenizer(train_tokenizer(vocab - len(THINK_TOKENS)))
    tokenizer.save_pretrained(out)
    eos_id = tokenizer.convert_tokens_to_ids(IM_END)
    pad_id = tokenizer.convert_tokens_to_ids(ENDOFTEXT)

    save_random_model(
        out,
        Qwen2Config,
        Qwen2ForCausalLM,
        seed=seed,
        eos_id=eos_id,
        pad_id=pad_id,
        vocab_size=max(vocab, len(tokenizer)),
        hidden_size=hidden,
        intermediate_size=intermediate or 3 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
    )
    return out


def save_random_model(
    out: Path, config_cls, model_cls, *, seed: int, eos_id: int, pad_id: int, **shape
) -> None:
    """Random float32 weights of ``model_cls`` with ``shape`` (config keywords), seeded,
    tied embeddings, no BOS, saved to ``out``: the tiny and the demo model alike."""
    import torch
    from transformers import GenerationConfig

    config = config_cls(
        **shape,
        tie_word_embeddings=True,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        bos_token_id=None,
        dtype="float32",
    )
    # fork_rng: seeding here must not change the caller's global RNG stream.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_cls(config)
    model.generation_config = GenerationConfig(
        # Both end a response: <|im_end|> after a chat turn, <|endoftext|> after plain text.
        eos_token_id=[eos_id, pad_id],
        pad_token_id=pad_id,
        bos_token_id=None,
    )
    with _quiet_progress_bars():
        model.save_pretrained(out)


@contextmanager
def _quiet_progress_bars():
    """Hide transformers' "Writing model shards" bar for a 16 MB file, then restore."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def count_parameters(model) -> int:
    """Unique parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
