"""The demo tokenizer and model: built offline, loaded by Auto*, used unchanged by the
hf backend and TRL's SFTTrainer, byte-identical for a seed."""

from __future__ import annotations

import math

import pytest

from longcot.cli import main
from longcot.tasks.arithmetic import ArithConfig, generate
from longcot.tasks.demo_model import (
    DEMO_SFT,
    DemoModelSpec,
    SFTSettings,
    build_demo_model,
    build_demo_tokenizer,
)
from longcot.tasks.tiny import count_parameters
from longcot.tasks.writers import ALTERNATIVELY, BOXED, WAIT, LongCoTStyle, long_cot, short_cot


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return build_demo_model(tmp_path_factory.mktemp("demo-model"))


@pytest.fixture(scope="module")
def tok(demo_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(demo_dir)


def _traces(n: int = 200) -> list[str]:
    chains = generate(ArithConfig(), "train", n)
    style = LongCoTStyle(p_slip=0.5, p_alt=0.5)
    return [t for c in chains for t in (short_cot(c), long_cot(c, style), c.statement())]


class TestTokenizer:
    def test_loads_as_written_with_chatml_specials(self, tok, demo_dir):
        from transformers import AutoConfig

        # Not a model-specific class that would rebuild its own pipeline (DESIGN §5).
        assert type(tok).__name__ == "TokenizersBackend"
        assert AutoConfig.from_pretrained(demo_dir).model_type == "llama"
        assert (tok.eos_token, tok.pad_token) == ("<|im_end|>", "<|endoftext|>")
        assert tok.eos_token_id != tok.pad_token_id
        assert len(tok) == len(build_demo_tokenizer())

    def test_characters_one_token_each_and_words_whole(self, tok):
        for word in (WAIT, ALTERNATIVELY, BOXED, "<think>", "</think>", "<|im_end|>"):
            assert len(tok(word)["input_ids"]) == 1, word
        text = "0-2=8,8+2=0;Wait,0+8=8;\\boxed{8}"
        tokens = tok.convert_ids_to_tokens(tok(text)["input_ids"])
        assert tokens[12:14] == ["Wait", ","] and tokens[-3:] == ["\\boxed{", "8", "}"]
        assert len(tokens) == len(text) - len("Wait") - len("\\boxed{") + 2

    def test_traces_round_trip_without_unknowns(self, tok):
        unk = tok.unk_token_id
        for text in _traces():
            ids = tok(text)["input_ids"]
            assert unk not in ids
            assert tok.decode(ids, skip_special_tokens=True) == text

    def test_reasoning_markers_survive_decoding(self, tok):
        ids = tok("<think>1+1=2</think>\\boxed{2}<|im_end|>")["input_ids"]
        assert tok.decode(ids, skip_special_tokens=True) == "<think>1+1=2</think>\\boxed{2}"

    def test_chat_template_marks_the_reply_and_its_end(self, tok):
        messages = [
            {"role": "user", "content": "0-2-4+9"},
            {"role": "assistant", "content": "0-2=8;8-4=4;4+9=3;\\boxed{3}"},
        ]
        enc = tok.apply_chat_template(
            messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        ids, mask = enc["input_ids"], enc["assistant_masks"]
        trained = [i for i, m in zip(ids, mask, strict=True) if m]
        assert tok.decode(trained) == messages[1]["content"] + "<|im_end|>"
        prompt = tok.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
        assert prompt == "<|im_start|>user\n0-2-4+9<|im_end|>\n<|im_start|>assistant\n"


class TestModel:
    def test_loads_with_auto_classes_at_study_size(self, demo_dir, tok):
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(demo_dir)
        assert type(model).__name__ == "LlamaForCausalLM"
        assert model.config.vocab_size == len(tok)
        c = model.config
        assert (c.hidden_size, c.num_hidden_layers, c.num_attention_heads) == (64, 4, 4)
        # DESIGN §5 study 2: d = 64, 4 layers, 4 heads, 0.21 M parameters.
        assert 0.19e6 < count_parameters(model) < 0.23e6
        assert tok.eos_token_id in model.generation_config.eos_token_id

    def test_byte_identical_for_a_seed(self, demo_dir, tmp_path):
        again = build_demo_model(tmp_path / "again")
        names = sorted(p.name for p in demo_dir.iterdir())
        assert names == sorted(p.name for p in again.iterdir())
        for name in names:
            assert (demo_dir / name).read_bytes() == (again / name).read_bytes(), name
        other = build_demo_model(tmp_path / "other", DemoModelSpec(seed=1))
        weights = "model.safetensors"
        assert (other / weights).read_bytes() != (demo_dir / weights).read_bytes()
        assert (other / "tokenizer.json").read_bytes() == (demo_dir / "tokenizer.json").read_bytes()

    def test_does_not_touch_the_global_rng(self, tmp_path):
        import torch

        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        build_demo_model(tmp_path / "m")
        assert torch.equal(torch.rand(3), expected)

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"hidden": 62}, "divisible by heads"),
            ({"layers": 0}, "layers"),
            ({"seed": 0, "heads": 0}, "heads"),
        ],
    )
    def test_spec_rejects_bad_shapes(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            DemoModelSpec(**kwargs)

    def test_hf_backend_generates_from_it(self, demo_dir, tok):
        from longcot.generate import SamplingParams, load_backend

        backend = load_backend("hf", str(demo_dir), device="cpu", threads=1)
        try:
            chat = [{"role": "user", "content": "0-2-4+9"}]
            [[greedy]] = backend.generate([chat], SamplingParams(temperature=0, max_new_tokens=12))
            [sampled] = backend.generate(
                ["1+1"], SamplingParams(n=2, temperature=1.0, top_p=1.0, max_new_tokens=12)
            )
        finally:
            backend.close()
        assert len(sampled) == 2
        for c in (greedy, *sampled):
            assert 1 <= c.completion_tokens <= 12
            # Decoding joins the tokens as they are: no spaces in between.
            tokens = tok.convert_ids_to_tokens(list(c.token_ids))
            assert c.text == "".join(t for t in tokens if t not in tok.all_special_tokens)


def test_cli_builds_the_arith_kind(tmp_path, capsys):
    from transformers import AutoConfig

    out = tmp_path / "cli"
    assert main(["tiny-model", "--kind", "arith", "--out", str(out), "--layers", "2"]) == 0
    config = AutoConfig.from_pretrained(out)
    assert (config.model_type, config.num_hidden_layers, config.hidden_size) == ("llama", 2, 64)
    assert str(out) in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--vocab applies to --kind bpe"):
        main(["tiny-model", "--kind", "arith", "--out", str(out), "--vocab", "100"])


@pytest.mark.slow
def test_trl_sft_trainer_trains_on_it_unchanged(demo_dir, tmp_path):
    """TRL's SFTTrainer with assistant-only loss, two steps on long traces: it runs and
    the loss is the reply's (the chat template's {% generation %} marks it)."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    chains = generate(ArithConfig(), "train", 16)
    data = Dataset.from_dict(
        {
            "messages": [
                [
                    {"role": "user", "content": c.text},
                    {"role": "assistant", "content": long_cot(c)},
                ]
                for c in chains
            ]
        }
    )
    args = SFTConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=8,
        max_steps=2,
        learning_rate=2e-3,
        assistant_only_loss=True,
        bf16=False,
        use_cpu=True,
        report_to=[],
        save_strategy="no",
        logging_steps=1,
        seed=0,
    )
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(demo_dir),
        args=args,
        train_dataset=data,
        processing_class=AutoTokenizer.from_pretrained(demo_dir),
    )
    batch = trainer.data_collator([trainer.train_dataset[0]])
    labels = batch["labels"][0]
    tok = trainer.processing_class
    trained = tok.decode([t for t in labels.tolist() if t != -100])
    assert trained == long_cot(chains[0]) + "<|im_end|>"
    result = trainer.train()
    assert result.global_step == 2
    # A random model over ~109 tokens starts near ln(109) = 4.7 nats.
    assert 3.0 < result.training_loss < 5.5


class TestSFTSettings:
    def test_warmup_stable_decay(self):
        s = SFTSettings(steps=100, batch=8, lr=1.0, warmup=0.05, decay=0.25, min_lr_ratio=0.1)
        # Warm-up: (step + 1) / 5 over the first 5 steps.
        assert [s.lr_at(i) for i in range(5)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
        # Stable until the last 25 steps, then a half cosine from 1.0 to 0.1.
        assert s.lr_at(5) == s.lr_at(75) == 1.0
        assert s.lr_at(87) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 12 / 24)))
        assert s.lr_at(99) == pytest.approx(0.1)

    def test_plain_cosine_when_decay_spans_the_run(self):
        s = SFTSettings(steps=101, batch=8, lr=2.0, warmup=0.0, decay=1.0, min_lr_ratio=0.0)
        assert s.lr_at(1) == pytest.approx(2.0 * 0.5 * (1 + math.cos(math.pi / 100)))
        assert s.lr_at(100) == pytest.approx(0.0)

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"steps": 0}, "steps"),
            ({"lr": 0.0}, "lr"),
            ({"warmup": 0.5, "decay": 0.6}, "decay <= 1 - warmup"),
            ({"min_lr_ratio": 1.5}, "min_lr_ratio"),
        ],
    )
    def test_rejects_bad_values(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            SFTSettings(**{"steps": 10, "batch": 8, "lr": 1e-3, **kwargs})

    def test_demo_settings_name_both_styles(self):
        assert set(DEMO_SFT) == {"long", "short"}
