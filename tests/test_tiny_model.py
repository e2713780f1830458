"""The tiny local model: builds offline, loads with Auto*, byte-identical per seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from longcot.cli import main
from longcot.tasks.tiny import THINK_TOKENS, build_tiny_model, count_parameters
from longcot.tasks.tiny_corpus import corpus

# Text the tokenizer never saw in training: accents that NFC composes
# differently, ligatures, CRLF, tabs, runs of spaces, contractions, digits,
# LaTeX, chat markers and reasoning markers.
VARIED_TEXTS = [
    "What is $\\frac{12}{35} + \\sqrt{2}$? Put it in \\boxed{}.",
    "Cafe\u0301 café ﬁne Ünïcödé — naïve 数学 🙂",
    "line one\r\nline two\n\n\tindented    spaced   out",
    "I'm sure it's 3.14159, they'll say we'd've known; DON'T",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>wait</think> 42",
    "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}  $$x^{2}-5x+6=0$$",
    "",
    "   leading and trailing   ",
]


def _texts(benchmarks_dir: Path | None) -> list[str]:
    texts = list(VARIED_TEXTS) + corpus(50, seed=7)
    if benchmarks_dir is not None:
        path = benchmarks_dir / "math500" / "test.jsonl"
        with path.open(encoding="utf-8") as f:
            texts += [json.loads(line)["solution"] for line in f]
    return texts


def test_loads_with_auto_classes(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert type(tok).__name__ == "Qwen2Tokenizer"
    assert type(model).__name__ == "Qwen2ForCausalLM"
    assert len(tok) == model.config.vocab_size == 4096
    # DESIGN §5: 4.2 M parameters with hidden 256, 4 layers, vocab 4,096.
    assert 4.0e6 < count_parameters(model) < 4.4e6
    assert tok.eos_token == "<|im_end|>"
    assert tok.pad_token == "<|endoftext|>"
    assert tok.pad_token_id != tok.eos_token_id


def test_autotokenizer_encodes_like_its_own_file(tiny_model_dir, request):
    """The DESIGN §5 trap: Qwen2Tokenizer rebuilds its own pipeline around the file's vocab."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    try:
        bench = request.getfixturevalue("benchmarks_dir")
    except pytest.skip.Exception:
        bench = None  # the varied texts and corpus lines still run
    raw = Tokenizer.from_file(str(tiny_model_dir / "tokenizer.json"))
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    mismatched = [t for t in _texts(bench) if raw.encode(t).ids != tok(t)["input_ids"]]
    assert mismatched == []
    # Round trip: byte-level BPE is lossless up to NFC normalisation.
    for text in VARIED_TEXTS:
        ids = tok(text)["input_ids"]
        assert tok.decode(ids) == raw.normalizer.normalize_str(text)


def test_special_and_reasoning_tokens(tiny_model_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    for marker in ("<|endoftext|>", "<|im_start|>", "<|im_end|>", *THINK_TOKENS):
        assert len(tok(marker)["input_ids"]) == 1, marker
    ids = tok("<think>a</think> b<|im_end|>")["input_ids"]
    # <think> markers survive skip_special_tokens (the verifier needs them); <|im_end|> does not.
    assert tok.decode(ids, skip_special_tokens=True) == "<think>a</think> b"


def test_chat_template_is_chatml(tiny_model_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    text = tok.apply_chat_template(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "1+1?"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n"
    )


def test_model_generates(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    ids = tok("Find $x$.", return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**ids, max_new_tokens=5, do_sample=False)
    assert out.shape == (1, ids["input_ids"].shape[1] + 5)


def _file_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_byte_identical_for_a_fixed_seed(tiny_model_dir, tmp_path):
    again = build_tiny_model(tmp_path / "again", seed=0)
    assert _file_bytes(again) == _file_bytes(tiny_model_dir)
    other = build_tiny_model(tmp_path / "other", seed=1)
    other_files = _file_bytes(other)
    assert other_files["model.safetensors"] != _file_bytes(tiny_model_dir)["model.safetensors"]
    # The tokenizer does not depend on the weight seed.
    assert other_files["tokenizer.json"] == _file_bytes(tiny_model_dir)["tokenizer.json"]


def test_build_does_not_touch_global_rng(tmp_path):
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_tiny_model(tmp_path / "m", seed=5, layers=1, hidden=64, heads=1, kv_heads=1)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": 100, "heads": 3}, "divisible"),
        ({"heads": 4, "kv_heads": 3}, "divisible"),
        ({"vocab": 200}, "vocab=200"),
    ],
)
def test_bad_sizes_are_refused(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_tiny_model(tmp_path, **kwargs)


def test_cli_builds_a_loadable_model(tmp_path, capsys):
    from transformers import AutoConfig

    out = tmp_path / "cli"
    assert main(["tiny-model", "--out", str(out), "--layers", "2", "--hidden", "128"]) == 0
    config = AutoConfig.from_pretrained(out)
    assert (config.num_hidden_layers, config.hidden_size) == (2, 128)
    assert str(out) in capsys.readouterr().out
